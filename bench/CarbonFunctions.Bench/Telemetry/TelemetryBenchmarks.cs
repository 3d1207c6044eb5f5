using System.Diagnostics;
using System.Globalization;
using BenchmarkDotNet.Attributes;
using CarbonFunctions.Core.Emissions;
using CarbonFunctions.Core.Telemetry;
using CsvHelper;
using CsvHelper.Configuration;

namespace CarbonFunctions.Bench.Telemetry;

/// <summary>
/// Parse + integrate throughput on a generated nvidia-smi capture (2 GPUs, 100 ms polls, units in
/// values, no index): the streaming Sylvan reader against a straightforward CsvHelper + LINQ version.
/// Each benchmark prints its process's peak working set at the end (BenchmarkDotNet runs every
/// benchmark in its own process), which shows whether memory follows the file size.
/// </summary>
[MemoryDiagnoser]
public class TelemetryBenchmarks
{
    private string _path = "";

    [Params(64)]
    public int FileMegabytes { get; set; }

    public static long FileBytes(string path) => new FileInfo(path).Length;

    [GlobalSetup]
    public void Setup()
    {
        _path = Path.Combine(Path.GetTempPath(), $"carbonfunctions-bench-nvidia-smi-{FileMegabytes}mb.csv");
        var target = FileMegabytes * 1024L * 1024;
        if (File.Exists(_path) && FileBytes(_path) >= target)
        {
            return;
        }

        using var writer = new StreamWriter(_path);
        writer.Write("timestamp, power.draw [W], utilization.gpu [%], memory.used [MiB]\n");
        var start = new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Unspecified);
        var random = new Random(42);
        long written = 0;
        for (var poll = 0L; written < target; poll++)
        {
            for (var gpu = 0; gpu < 2; gpu++)
            {
                var at = start.AddTicks((poll * TimeSpan.TicksPerMillisecond * 100) + (gpu * TimeSpan.TicksPerMillisecond * 2));
                var line = string.Create(CultureInfo.InvariantCulture, $"{at:yyyy/MM/dd HH:mm:ss.fff}, {150 + (random.NextDouble() * 100):0.00} W, {random.Next(100)} %, 30001 MiB\n");
                writer.Write(line);
                written += line.Length;
            }
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        using var process = Process.GetCurrentProcess();
        Console.WriteLine($"// Peak working set: {process.PeakWorkingSet64 / (1024.0 * 1024):0.0} MiB for a {FileBytes(_path) / (1024.0 * 1024):0.0} MiB file");
    }

    [Benchmark(Baseline = true)]
    public double StreamingSylvan()
    {
        using var file = File.OpenRead(_path);
        return TelemetryEmissions.Integrate(file, new TelemetryReadOptions(), new EmissionsOptions()).Profile.EnergyKwh;
    }

    [Benchmark]
    public double CsvHelperLinq()
    {
        using var reader = new StreamReader(_path);
        using var csv = new CsvReader(reader, new CsvConfiguration(CultureInfo.InvariantCulture) { TrimOptions = TrimOptions.Trim });
        var rows = csv.GetRecords<dynamic>()
            .Select(r => (IDictionary<string, object>)r)
            .Select(r => new
            {
                At = DateTime.ParseExact((string)r["timestamp"], "yyyy/MM/dd HH:mm:ss.fff", CultureInfo.InvariantCulture),
                Watts = double.Parse(((string)r["power.draw [W]"]).Replace(" W", "", StringComparison.Ordinal), CultureInfo.InvariantCulture),
            })
            .ToList();

        // Devices by row order within a poll: a new poll starts more than 50 ms after the previous poll's first row.
        var pollStart = DateTime.MinValue;
        var rowInPoll = 0;
        var samples = rows.Select(r =>
        {
            if ((r.At - pollStart).TotalMilliseconds > 50)
            {
                pollStart = r.At;
                rowInPoll = 0;
            }

            return new { Device = rowInPoll++, r.At, r.Watts };
        }).ToList();

        return samples.GroupBy(s => s.Device)
            .Select(g => g.OrderBy(s => s.At).ToList())
            .Sum(list => list.Zip(list.Skip(1))
                .Where(p => (p.Second.At - p.First.At).TotalSeconds <= 60)
                .Sum(p => (p.First.Watts + p.Second.Watts) / 2 * (p.Second.At - p.First.At).TotalSeconds)) / 3.6e6;
    }
}
