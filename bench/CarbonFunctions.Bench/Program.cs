using BenchmarkDotNet.Running;
using CarbonFunctions.Bench.Planning;
using CarbonFunctions.Bench.Telemetry;

// Run one suite with: dotnet run -c Release --project bench/CarbonFunctions.Bench -- --filter '*Planner*'
// Generate telemetry files with: dotnet run -c Release --project bench/CarbonFunctions.Bench -- generate nvidia-smi 256 /tmp/x.csv
// Compare the exact suspend-resume with the legacy heuristic (quality and speed): ... -- quality [jobs] [elasticJobs] [overheadMinutes]
if (args is ["quality", ..])
{
    return PlannerQuality.Run(args[1..]);
}

// The exact elastic planner's speed, and its pruned programme against the full one: ... -- elastic [jobs] [checked]
if (args is ["elastic", ..])
{
    return ElasticSpeed.Run(args[1..]);
}

if (args is ["generate", ..])
{
    return TelemetryFiles.Generate(args[1..]);
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;
