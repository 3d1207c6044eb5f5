using System.Runtime.CompilerServices;

// The brute-force tests check the planner's grid optimum directly, and the benchmark compares it with
// the previous heuristic on the same internal timeline.
[assembly: InternalsVisibleTo("CarbonFunctions.Core.Tests")]
[assembly: InternalsVisibleTo("CarbonFunctions.Bench")]
