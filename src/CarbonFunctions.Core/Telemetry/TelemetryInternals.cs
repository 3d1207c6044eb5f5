using System.Runtime.CompilerServices;

// The benchmarks compare the span parsers and the row splitter with the packaged CSV readers on the same rows.
[assembly: InternalsVisibleTo("CarbonFunctions.Bench")]
