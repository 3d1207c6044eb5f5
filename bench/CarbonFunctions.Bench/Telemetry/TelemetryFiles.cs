using System.Globalization;
using System.Text;

namespace CarbonFunctions.Bench.Telemetry;

/// <summary>
/// Generated telemetry in each format the readers take, written as the tools write it, for the benchmarks and
/// for the end-to-end comparison with the pandas script (bench/telemetry_pandas.py). Deterministic (seeded), so
/// two runs give the same file. Large files go to /tmp and are never committed.
/// </summary>
public static class TelemetryFiles
{
    /// <summary>The capture starts here (local time of the nvidia-smi host, UTC for the comparison).</summary>
    public static readonly DateTime Start = new(2026, 1, 1, 0, 0, 0, DateTimeKind.Unspecified);

    public static readonly string[] Formats = ["nvidia-smi", "hl-smi", "dcgm", "jsonl"];

    /// <summary><c>generate FORMAT MIB PATH</c> or <c>generate trace DAYS PATH</c> (hourly intensity from <see cref="Start"/>).</summary>
    public static int Generate(string[] args)
    {
        if (args.Length != 3 || !int.TryParse(args[1], CultureInfo.InvariantCulture, out var size) || size <= 0)
        {
            Console.Error.WriteLine("usage: generate nvidia-smi|hl-smi|dcgm|jsonl MIB PATH | generate trace DAYS PATH");
            return 2;
        }

        if (args[0] == "trace")
        {
            WriteTrace(args[2], size);
        }
        else
        {
            Write(args[0], args[2], size * 1024L * 1024);
        }

        Console.WriteLine($"{args[2]}: {new FileInfo(args[2]).Length / (1024.0 * 1024):0.0} MiB");
        return 0;
    }

    /// <summary>The path of a cached file of at least <paramref name="bytes"/> in the temp folder, generated when missing.</summary>
    public static string Cached(string format, long bytes)
    {
        var path = Path.Combine(Path.GetTempPath(), $"carbonfunctions-bench-{format}-{bytes >> 20}mb.{(format == "jsonl" ? "jsonl" : format == "dcgm" ? "prom" : "csv")}");
        if (!File.Exists(path) || new FileInfo(path).Length < bytes)
        {
            Write(format, path, bytes);
        }

        return path;
    }

    public static void Write(string format, string path, long bytes)
    {
        using var writer = new StreamWriter(path, false, new UTF8Encoding(false), 1 << 20);
        var random = new Random(42);
        var line = new StringBuilder(256);
        long written = 0;
        void Emit(StringBuilder text)
        {
            writer.Write(text);
            written += text.Length;
            text.Clear();
        }

        switch (format)
        {
            case "nvidia-smi":
                // nvidia-smi --query-gpu=timestamp,index,power.draw,utilization.gpu,memory.used --format=csv -lms 100
                line.Append("timestamp, index, power.draw [W], utilization.gpu [%], memory.used [MiB]\n");
                Emit(line);
                for (var poll = 0L; written < bytes; poll++)
                {
                    for (var gpu = 0; gpu < 2; gpu++)
                    {
                        var at = Start.AddTicks((poll * TimeSpan.TicksPerMillisecond * 100) + (gpu * TimeSpan.TicksPerMillisecond * 2));
                        line.Append(CultureInfo.InvariantCulture, $"{at:yyyy/MM/dd HH:mm:ss.fff}, {gpu}, {150 + (random.NextDouble() * 100):0.00} W, {random.Next(100)} %, 30001 MiB\n");
                        Emit(line);
                    }
                }

                break;
            case "hl-smi":
                // hl-smi -Q timestamp,module_id,power.draw,utilization.aip -f csv -l 1 (one Gaudi node: 8 AIPs)
                line.Append("timestamp, module_id, power.draw [W], utilization.aip [%]\n");
                Emit(line);
                for (var poll = 0L; written < bytes; poll++)
                {
                    for (var aip = 0; aip < 8; aip++)
                    {
                        var at = Start.AddTicks((poll * TimeSpan.TicksPerSecond) + (aip * TimeSpan.TicksPerMillisecond));
                        line.Append(CultureInfo.InvariantCulture, $"{at:yyyy/MM/dd HH:mm:ss.fff}, {aip}, {200 + (random.NextDouble() * 150):0} W, {random.Next(100)} %\n");
                        Emit(line);
                    }
                }

                break;
            case "dcgm":
                // DCGM exporter scrapes of :9400/metrics appended with timestamps (ms), 2 GPUs, power gauge and energy counter.
                var energy = new double[2];
                for (var scrape = 0L; written < bytes; scrape++)
                {
                    var ms = (long)(new DateTimeOffset(Start, TimeSpan.Zero) - DateTimeOffset.UnixEpoch).TotalMilliseconds + (scrape * 1000);
                    line.Append("# HELP DCGM_FI_DEV_POWER_USAGE Power draw (in W).\n# TYPE DCGM_FI_DEV_POWER_USAGE gauge\n");
                    for (var gpu = 0; gpu < 2; gpu++)
                    {
                        var watts = 150 + (random.NextDouble() * 100);
                        energy[gpu] += watts * 1000;
                        line.Append(CultureInfo.InvariantCulture, $"DCGM_FI_DEV_POWER_USAGE{{gpu=\"{gpu}\",UUID=\"GPU-{gpu:x8}\",device=\"nvidia{gpu}\",modelName=\"NVIDIA H100 80GB HBM3\",Hostname=\"node-a\"}} {watts:0.000000} {ms}\n");
                    }

                    line.Append("# HELP DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION Total energy consumption since boot (in mJ).\n# TYPE DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION counter\n");
                    for (var gpu = 0; gpu < 2; gpu++)
                    {
                        line.Append(CultureInfo.InvariantCulture, $"DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION{{gpu=\"{gpu}\",UUID=\"GPU-{gpu:x8}\",device=\"nvidia{gpu}\",modelName=\"NVIDIA H100 80GB HBM3\",Hostname=\"node-a\"}} {energy[gpu]:0} {ms}\n");
                    }

                    Emit(line);
                }

                break;
            case "jsonl":
                for (var poll = 0L; written < bytes; poll++)
                {
                    for (var gpu = 0; gpu < 2; gpu++)
                    {
                        var at = new DateTimeOffset(Start, TimeSpan.Zero).AddTicks(poll * TimeSpan.TicksPerMillisecond * 100);
                        line.Append(CultureInfo.InvariantCulture, $"{{\"timestamp\":\"{at:yyyy-MM-ddTHH:mm:ss.fffZ}\",\"device\":\"{gpu}\",\"powerWatts\":{150 + (random.NextDouble() * 100):0.00}}}\n");
                        Emit(line);
                    }
                }

                break;
            default:
                throw new ArgumentException($"unknown format '{format}' (nvidia-smi, hl-smi, dcgm, jsonl)", nameof(format));
        }
    }

    /// <summary>Hourly actual intensity (start,gCO2e/kWh) from <see cref="Start"/> for the given days: a daily curve.</summary>
    public static void WriteTrace(string path, int days)
    {
        using var writer = new StreamWriter(path, false, new UTF8Encoding(false));
        writer.Write("start,gco2_per_kwh\n");
        for (var hour = 0; hour < days * 24; hour++)
        {
            var grams = 250 + (120 * Math.Sin(hour * Math.PI / 12));
            writer.Write(string.Create(CultureInfo.InvariantCulture, $"{Start.AddHours(hour):yyyy-MM-ddTHH:mm:ssZ},{grams:0.0}\n"));
        }
    }
}
