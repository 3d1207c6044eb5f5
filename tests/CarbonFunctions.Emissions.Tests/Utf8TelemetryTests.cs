using System.Text;
using System.Text.Json;
using CarbonFunctions.Core.Emissions;
using CarbonFunctions.Core.Forecasts;
using CarbonFunctions.Core.Telemetry;

namespace CarbonFunctions.Emissions.Tests;

/// <summary>
/// The CSV reader works on the UTF-8 bytes with fast paths for what the tools write; everything else must come out
/// as the text parsers read it (byte order mark, CRLF, non-ASCII names, [N/A], exponents, ISO timestamps), and
/// the source-generated report JSON must be the text the reflection serializer writes.
/// </summary>
public sealed class Utf8TelemetryTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static (TelemetryReadResult Result, List<(string Device, DateTimeOffset At, double Watts, long Line)> Samples) Read(string text)
    {
        var sink = new Sink();
        var result = TelemetryReader.Read(new MemoryStream(Encoding.UTF8.GetBytes(text)), new TelemetryReadOptions(), sink);
        return (result, sink.Samples);
    }

    [Fact]
    public void Byte_order_mark_crlf_non_ascii_names_unavailable_values_and_exponents_read_as_text_does()
    {
        var csv = "\uFEFFtimestamp, uuid, power.draw [W]\r\n"
            + "2026/01/01 00:00:00.000, GPU-ä1, 100.00 W\r\n"
            + "2026/01/01 00:00:00.000, GPU-b2, [N/A]\r\n"
            + "2026/01/01 00:00:01.000, GPU-ä1 , 1.5e2 W\r\n"
            + "2026/01/01 00:00:01.250,GPU-b2,200 W\r\n";

        var (result, samples) = Read(csv);

        Assert.Equal(TelemetryFormat.NvidiaSmiCsv, result.Format);
        Assert.Equal(
            [("GPU-ä1", T0, 100.0, 2L), ("GPU-ä1", T0.AddSeconds(1), 150.0, 4L), ("GPU-b2", T0.AddMilliseconds(1250), 200.0, 5L)],
            samples);
        var problem = Assert.Single(result.Problems);
        Assert.Equal(3, problem.Line);
        Assert.Equal("power.draw", problem.Field);
    }

    [Fact]
    public void Iso_and_epoch_timestamps_and_a_stray_quote_go_through_the_text_parsers()
    {
        var csv = "timestamp, index, power.draw [W]\n"
            + "2026-01-01T01:00:00+01:00, 0, 10.5 W\n"
            + "1767225601, 0, 11.5 W\n"
            + "2026-01-01T00:00:02Z, 0, \"12 W\n"
            + "2026-01-01 00:00:03.5, 0, 13.25\n";

        var (result, samples) = Read(csv);

        Assert.Equal(
            [("0", T0, 10.5, 2L), ("0", T0.AddSeconds(1), 11.5, 3L), ("0", T0.AddSeconds(3.5), 13.25, 5L)],
            samples);
        var problem = Assert.Single(result.Problems);
        Assert.Equal((4L, "power.draw"), (problem.Line, problem.Field));
        Assert.Contains("'\"12 W'", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_source_generated_report_json_is_the_text_the_reflection_serializer_writes()
    {
        var csv = new StringBuilder("timestamp, index, power.draw [W]\n");
        for (var s = 0; s <= 900; s++)
        {
            var at = T0.UtcDateTime.AddSeconds(s).ToString("yyyy/MM/dd HH:mm:ss.fff", System.Globalization.CultureInfo.InvariantCulture);
            csv.Append(System.Globalization.CultureInfo.InvariantCulture, $"{at}, 0, {100 + (s % 7)}.25 W\n{at}, 1, [N/A]\n");
        }

        var intensity = new CarbonIntensitySeries
        {
            Region = "westeurope",
            Kind = SeriesKind.Actual,
            Signal = SignalKind.Average,
            Source = "test",
            GeneratedAt = T0,
            Points = [new(T0, TimeSpan.FromMinutes(30), 321.5)],
        };
        var report = TelemetryEmissions.Compute(
            new MemoryStream(Encoding.UTF8.GetBytes(csv.ToString())),
            intensity,
            new EmissionsContext { JobId = "job-json", Source = "gpu.csv", SubmittedAt = T0.AddHours(-1) },
            new EmissionsOptions(),
            T0.AddDays(1));

        Assert.NotEmpty(report.Problems);
        Assert.Equal(JsonSerializer.Serialize(report, EmissionsReport.JsonOptions), EmissionsJson.Serialize(report));
        Assert.Equal(report.ToJson(), EmissionsJson.Serialize(report));
    }

    private sealed class Sink : ITelemetrySink
    {
        public List<(string Device, DateTimeOffset At, double Watts, long Line)> Samples { get; } = [];

        public void Power(string device, long utcTicks, double watts, long line) => Samples.Add((device, new DateTimeOffset(utcTicks, TimeSpan.Zero), watts, line));

        public void EnergyCounter(string device, long utcTicks, double joules, long line) => throw new InvalidOperationException("CSV has no counters");
    }
}
