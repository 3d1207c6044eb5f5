using BenchmarkDotNet.Running;

// Run one suite with: dotnet run -c Release --project bench/CarbonFunctions.Bench -- --filter '*Planner*'
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
