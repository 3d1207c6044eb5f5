using BenchmarkDotNet.Running;
using CarbonFunctions.Bench.Telemetry;

// Run one suite with: dotnet run -c Release --project bench/CarbonFunctions.Bench -- --filter '*Planner*'
// Generate telemetry files with: dotnet run -c Release --project bench/CarbonFunctions.Bench -- generate nvidia-smi 256 /tmp/x.csv
if (args is ["generate", ..])
{
    return TelemetryFiles.Generate(args[1..]);
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;
