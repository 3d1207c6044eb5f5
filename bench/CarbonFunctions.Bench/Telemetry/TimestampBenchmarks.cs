using System.Globalization;
using BenchmarkDotNet.Attributes;
using CarbonFunctions.Core.Telemetry;

namespace CarbonFunctions.Bench.Telemetry;

/// <summary>
/// nvidia-smi's "2026/01/01 00:00:00.100" parsed by fixed positions on UTF-8 bytes (what the reader does; the
/// date part is kept while it repeats), the same on UTF-16 text (what it did before), and <see cref="DateTime.TryParseExact(ReadOnlySpan{char}, ReadOnlySpan{char}, IFormatProvider?, DateTimeStyles, out DateTime)"/>,
/// over 100,000 consecutive timestamps of a 100 ms poll.
/// </summary>
public class TimestampBenchmarks
{
    private string[] _stamps = [];
    private byte[][] _utf8 = [];

    [GlobalSetup]
    public void Setup()
    {
        _stamps = [.. Enumerable.Range(0, 100_000).Select(i =>
            TelemetryFiles.Start.AddMilliseconds(i * 100).ToString("yyyy/MM/dd HH:mm:ss.fff", CultureInfo.InvariantCulture))];
        _utf8 = [.. _stamps.Select(System.Text.Encoding.UTF8.GetBytes)];
    }

    [Benchmark(Baseline = true)]
    public long FixedFormatUtf8()
    {
        var values = new TelemetryValues(TimeZoneInfo.Utc);
        long sum = 0;
        foreach (var s in _utf8)
        {
            sum += values.TryParseTimestamp(s, out var ticks) ? ticks : -1;
        }

        return sum;
    }

    [Benchmark]
    public long FixedFormatText()
    {
        var values = new TelemetryValues(TimeZoneInfo.Utc);
        long sum = 0;
        foreach (var s in _stamps)
        {
            sum += values.TryParseTimestamp(s.AsSpan(), out var ticks) ? ticks : -1;
        }

        return sum;
    }

    [Benchmark]
    public long ParseExact()
    {
        long sum = 0;
        foreach (var s in _stamps)
        {
            sum += TelemetryValues.TryParseSmiExact(s, out var ticks) ? ticks : -1;
        }

        return sum;
    }
}
