using System.Text;
using BenchmarkDotNet.Attributes;
using CarbonFunctions.Core.Telemetry;
using nietras.SeparatedValues;
using Sylvan.Data.Csv;

namespace CarbonFunctions.Bench.Telemetry;

/// <summary>
/// The row splitter alone, on the same nvidia-smi capture: Sep 0.17.1, Sylvan.Data.Csv 1.4.4 and the
/// project's quote-blind <see cref="CsvRowReader"/>. Every variant does the same per-row work with the same
/// span parsers (timestamp field, power field), so the splitter is the only difference.
/// </summary>
[MemoryDiagnoser]
public class CsvReaderBenchmarks
{
    private string _path = "";

    [Params(64)]
    public int FileMegabytes { get; set; }

    [GlobalSetup]
    public void Setup() => _path = TelemetryFiles.Cached("nvidia-smi", FileMegabytes * 1024L * 1024);

    private StreamReader Open() =>
        new(new FileStream(_path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan), Encoding.UTF8, true, 64 * 1024);

    [Benchmark(Baseline = true)]
    public double RowReader()
    {
        using var text = Open();
        var csv = new CsvRowReader(text, 64 * 1024);
        var values = new TelemetryValues(TimeZoneInfo.Utc);
        var sum = new Sum();
        csv.Read(); // header
        while (csv.Read())
        {
            sum.Add(values, csv.Field(0), csv.Field(2));
        }

        return sum.Total;
    }

    [Benchmark]
    public double Sylvan()
    {
        using var text = Open();
        using var csv = CsvDataReader.Create(text, new CsvDataReaderOptions { HasHeaders = true, BufferSize = 64 * 1024 });
        var values = new TelemetryValues(TimeZoneInfo.Utc);
        var sum = new Sum();
        while (csv.Read())
        {
            sum.Add(values, csv.GetFieldSpan(0), csv.GetFieldSpan(2));
        }

        return sum.Total;
    }

    [Benchmark]
    public double Sep()
    {
        using var text = Open();
        using var csv = nietras.SeparatedValues.Sep.New(',').Reader(o => o with { HasHeader = true, DisableQuotesParsing = true }).From(text);
        var values = new TelemetryValues(TimeZoneInfo.Utc);
        var sum = new Sum();
        foreach (var row in csv)
        {
            sum.Add(values, row[0].Span, row[2].Span);
        }

        return sum.Total;
    }

    /// <summary>Watts and timestamps folded into one number, so that nothing is optimised away.</summary>
    private sealed class Sum
    {
        public double Total { get; private set; }

        public void Add(TelemetryValues values, ReadOnlySpan<char> stamp, ReadOnlySpan<char> power)
        {
            if (values.TryParseTimestamp(stamp, out var ticks) && TelemetryValues.TryParseQuantity(power, out var watts, out _))
            {
                Total += watts + (ticks % 7);
            }
        }
    }
}
