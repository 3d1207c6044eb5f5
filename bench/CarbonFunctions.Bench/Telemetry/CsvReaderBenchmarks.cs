using System.Text;
using BenchmarkDotNet.Attributes;
using CarbonFunctions.Core.Telemetry;
using nietras.SeparatedValues;
using Sylvan.Data.Csv;

namespace CarbonFunctions.Bench.Telemetry;

/// <summary>
/// The row splitter alone, on the same nvidia-smi capture: the reader's <see cref="Utf8CsvRowReader"/> on UTF-8
/// bytes (only the first three fields split, as the reader does for this layout), the UTF-16 row splitter it
/// replaced (<see cref="CharCsvRowReader"/>), Sep 0.17.1 and Sylvan.Data.Csv 1.4.4. Every variant does the same
/// per-row work with the same parsers (timestamp field, power field; the byte splitter with their UTF-8
/// twins), so the splitter and the decoding are the only difference.
/// </summary>
[MemoryDiagnoser]
public class CsvReaderBenchmarks
{
    private string _path = "";

    [Params(64)]
    public int FileMegabytes { get; set; }

    [GlobalSetup]
    public void Setup() => _path = TelemetryFiles.Cached("nvidia-smi", FileMegabytes * 1024L * 1024);

    private StreamReader Open() => new(OpenBytes(), Encoding.UTF8, true, 64 * 1024);

    private FileStream OpenBytes() => new(_path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan);

    [Benchmark(Baseline = true)]
    public double Utf8RowReader()
    {
        using var file = OpenBytes();
        var csv = new Utf8CsvRowReader(file, 64 * 1024);
        var values = new TelemetryValues(TimeZoneInfo.Utc);
        double total = 0;
        csv.Read(); // header
        while (csv.Read(3))
        {
            if (values.TryParseTimestamp(csv.Field(0), out var ticks) && TelemetryValues.TryParseQuantity(csv.Field(2), out var watts, out _))
            {
                total += watts + (ticks % 7);
            }
        }

        return total;
    }

    [Benchmark]
    public double CharRowReader()
    {
        using var text = Open();
        var csv = new CharCsvRowReader(text, 64 * 1024);
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
