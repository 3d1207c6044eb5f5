using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using CarbonFunctions.Core.Emissions;
using CarbonFunctions.Core.Telemetry;

namespace CarbonFunctions.Bench.Telemetry;

/// <summary>
/// Parse + integrate throughput in process, per format, on generated files (<see cref="TelemetryFiles"/>):
/// what the blob handler and <c>carbonctl emissions compute</c> run. Each benchmark prints its process's peak
/// working set at the end (BenchmarkDotNet runs every benchmark in its own process).
/// </summary>
[MemoryDiagnoser]
public class TelemetryBenchmarks
{
    private string _path = "";

    [Params("nvidia-smi", "hl-smi", "dcgm", "jsonl")]
    public string Format { get; set; } = "nvidia-smi";

    [Params(64)]
    public int FileMegabytes { get; set; }

    /// <summary>1: one pass; 2: the CSV formats in two parts side by side, as the CLI reads a file on a 2-core machine.</summary>
    [Params(1, 2)]
    public int Parallelism { get; set; } = 1;

    [GlobalSetup]
    public void Setup() => _path = TelemetryFiles.Cached(Format, FileMegabytes * 1024L * 1024);

    [GlobalCleanup]
    public void Cleanup()
    {
        using var process = Process.GetCurrentProcess();
        Console.WriteLine($"// Peak working set: {process.PeakWorkingSet64 / (1024.0 * 1024):0.0} MiB for a {new FileInfo(_path).Length / (1024.0 * 1024):0.0} MiB {Format} file");
    }

    [Benchmark]
    public double Integrate()
    {
        using var file = new FileStream(_path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan);
        return TelemetryEmissions.Integrate(file, new TelemetryReadOptions { Parallelism = Parallelism }, new EmissionsOptions()).Profile.EnergyKwh;
    }
}
