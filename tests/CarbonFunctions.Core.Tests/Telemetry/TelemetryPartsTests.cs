using System.Globalization;
using System.Text;
using System.Text.Json;
using CarbonFunctions.Core.Emissions;
using CarbonFunctions.Core.Forecasts;
using CarbonFunctions.Core.Telemetry;

namespace CarbonFunctions.Core.Tests.Telemetry;

/// <summary>
/// A file read in parts side by side (<see cref="SmiCsvParts"/>) must give the one-pass read's report: the same
/// problems with the same lines and text, counts, devices, gaps and coverage, and the same energy to rounding
/// (sums are added in another order). Each case is read in one pass from memory and in 2 to 12 parts from a file,
/// and, for the line that matters, with a cut placed exactly on it.
/// </summary>
public sealed class TelemetryPartsTests : IDisposable
{
    private const string SmiHeader = "timestamp, index, power.draw [W], utilization.gpu [%], memory.used [MiB]";
    private static readonly DateTime T0 = new(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"carbonfunctions-parts-{Guid.NewGuid():N}.csv");

    public void Dispose() => File.Delete(_path);

    [Fact]
    public void A_realistic_capture_gives_the_one_pass_report_whatever_the_parts()
    {
        var rows = SmiRows(polls: 400, devices: 2);
        AssertSameInParts(rows);
    }

    [Fact]
    public void A_device_that_drops_out_across_a_cut_leaves_the_same_gap()
    {
        // GPU 1 is silent for 90 s (longer than the 60 s bridging limit): the gap is missing coverage either way.
        var rows = SmiRows(polls: 300, devices: 2, skip: (poll, device) => device == 1 && poll is >= 100 and < 190);
        AssertSameInParts(rows);
        AssertSameWithCutAt(rows, LineOf(rows, "00:02:00.000, 0,"));
    }

    [Fact]
    public void A_gap_of_every_device_at_a_cut_is_the_same_gap()
    {
        var rows = SmiRows(polls: 300, devices: 2, skip: (poll, _) => poll is >= 150 and < 240);
        AssertSameWithCutAt(rows, LineOf(rows, "00:04:00.000, 0,"));
        AssertSameInParts(rows);
    }

    [Fact]
    public void Bad_rows_at_and_after_a_cut_are_reported_on_their_file_lines()
    {
        var rows = SmiRows(polls: 200, devices: 2);
        var at = 201;
        rows[at - 1] = "2026/01/01 00:01:40.000, 0, -5.00 W, 10 %, 100 MiB";
        rows[at] = "garbage";
        rows[at + 1] = "2026/01/01 00:01:41.000, 0";
        rows[at + 3] = "not a time, 1, 100.00 W, 10 %, 100 MiB";

        var report = AssertSameWithCutAt(rows, at);
        AssertSameWithCutAt(rows, at + 1);
        AssertSameInParts(rows);
        Assert.Equal([at, at + 1, at + 2, at + 4], report.Problems.Select(p => (int)p.Line));
    }

    [Fact]
    public void Time_going_back_across_a_cut_is_read_as_one_pass_reads_it()
    {
        // The first sample after the cut is older than the last before it: one pass skips it with a problem and
        // compares the next one with the sample before the cut, so that part is read again into the merged sink.
        var rows = SmiRows(polls: 200, devices: 2);
        var at = LineOf(rows, "00:01:40.000, 0,");
        rows[at - 1] = rows[at - 1].Replace("00:01:40.000", "00:01:38.500", StringComparison.Ordinal);
        rows[at] = rows[at].Replace("00:01:40.000", "00:01:38.000", StringComparison.Ordinal);

        var report = AssertSameWithCutAt(rows, at);
        Assert.Equal([at, at + 1], report.Problems.Where(p => p.Message.StartsWith("time goes back", StringComparison.Ordinal)).Select(p => (int)p.Line));
        AssertSameWithCutAt(rows, at + 1);
        AssertSameInParts(rows);
    }

    [Fact]
    public void A_repeated_timestamp_at_a_cut_is_skipped_as_one_pass_skips_it()
    {
        var rows = SmiRows(polls: 200, devices: 2);
        var at = LineOf(rows, "00:01:40.000, 0,");
        rows[at - 1] = rows[at - 1].Replace("00:01:40.000", "00:01:39.000", StringComparison.Ordinal);
        AssertSameWithCutAt(rows, at);
        AssertSameInParts(rows);
    }

    [Fact]
    public void Hl_smi_csv_with_module_ids_gives_the_one_pass_report()
    {
        var rows = new List<string> { "timestamp, module_id, power.draw [W], utilization.aip [%]" };
        for (var poll = 0; poll < 120; poll++)
        {
            for (var module = 0; module < 8; module++)
            {
                rows.Add(string.Create(CultureInfo.InvariantCulture, $"{Stamp(poll * 1000)}, {module}, {300 + ((poll * 7 + module * 13) % 150)} W, {poll % 100} %"));
            }
        }

        AssertSameInParts(rows);
        AssertSameWithCutAt(rows, 1 + (60 * 8) + 1);
    }

    [Fact]
    public void Repeated_headers_blank_lines_crlf_and_a_cut_off_last_line_read_the_same()
    {
        var rows = SmiRows(polls: 150, devices: 2);
        rows.Insert(101, "");
        rows.Insert(181, SmiHeader);
        var text = string.Join("\r\n", rows);
        AssertSameInParts(text);
        AssertSame(text, CutsAt(text, 102));
        AssertSame(text, CutsAt(text, 182));
    }

    [Fact]
    public void Nul_bytes_in_a_middle_part_end_the_read_there_as_in_one_pass()
    {
        var rows = SmiRows(polls: 200, devices: 2);
        rows[250] = "2026/01/01 00:02:05.000, 0, 1\0\0\0\0";
        AssertSameInParts(rows);
        AssertSameWithCutAt(rows, 251);
        AssertSameWithCutAt(rows, 252);
    }

    [Fact]
    public void More_problems_than_are_kept_keep_the_first_ones_and_count_all()
    {
        var rows = SmiRows(polls: 200, devices: 2);
        for (var line = 20; line < rows.Count; line += 9)
        {
            rows[line] = "2026/01/01 00:00:00.000, 0, [N/A], 0 %, 0 MiB";
        }

        var report = AssertSameWithCutAt(rows, 101);
        Assert.True(report.ProblemCount > 40);
        AssertSameInParts(rows);
    }

    /// <summary>nvidia-smi's query rows, one poll a second (after the header, line 1).</summary>
    private static List<string> SmiRows(int polls, int devices, Func<int, int, bool>? skip = null)
    {
        var rows = new List<string> { SmiHeader };
        for (var poll = 0; poll < polls; poll++)
        {
            for (var device = 0; device < devices; device++)
            {
                if (skip?.Invoke(poll, device) != true)
                {
                    var watts = 150 + ((poll * 37 + device * 11) % 200) + (poll % 4 * 0.25);
                    rows.Add(string.Create(CultureInfo.InvariantCulture, $"{Stamp(poll * 1000)}, {device}, {watts:0.00} W, {poll % 100} %, {30000 + poll} MiB"));
                }
            }
        }

        return rows;
    }

    private static string Stamp(int milliseconds) =>
        T0.AddMilliseconds(milliseconds).ToString("yyyy/MM/dd HH:mm:ss.fff", CultureInfo.InvariantCulture);

    /// <summary>The 1-based line of the first row containing <paramref name="text"/>.</summary>
    private static int LineOf(List<string> rows, string text) => rows.FindIndex(r => r.Contains(text, StringComparison.Ordinal)) + 1;

    private static string Text(List<string> rows) => string.Join("\n", rows) + "\n";

    private void AssertSameInParts(List<string> rows) => AssertSameInParts(Text(rows));

    private void AssertSameInParts(string text)
    {
        for (var parts = 2; parts <= 12; parts++)
        {
            AssertSame(text, parts);
        }
    }

    private EmissionsReport AssertSameWithCutAt(List<string> rows, int line)
    {
        var text = Text(rows);
        return AssertSame(text, CutsAt(text, line));
    }

    /// <summary>A number of parts for which one part starts exactly at <paramref name="line"/> (1-based).</summary>
    private int CutsAt(string text, int line)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        long offset = 0;
        for (var seen = 1; seen < line; seen++)
        {
            offset = Array.IndexOf(bytes, (byte)'\n', (int)offset) + 1;
        }

        File.WriteAllBytes(_path, bytes);
        using var file = File.OpenHandle(_path);
        var headerBytes = Array.IndexOf(bytes, (byte)'\n') + 1;
        for (var parts = 2; parts < 400; parts++)
        {
            if (SmiCsvParts.PartStarts(file, headerBytes, parts, new TelemetryReadOptions().MaxLineLength).Contains(offset))
            {
                return parts;
            }
        }

        throw new InvalidOperationException($"no number of parts cuts the file at line {line}");
    }

    private EmissionsReport AssertSame(string text, int parts)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        File.WriteAllBytes(_path, bytes);
        var onePass = Report(new MemoryStream(bytes), new TelemetryReadOptions { Parallelism = 1 });
        using var file = new FileStream(_path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0);
        var inParts = Report(file, new TelemetryReadOptions { Parallelism = parts, ParallelMinBytes = 0 });

        Assert.Equal(onePass.Read.Lines, inParts.Read.Lines);
        Assert.Equal(onePass.Read.Samples, inParts.Read.Samples);
        Assert.Equal(onePass.Read.Problems, inParts.Read.Problems);
        Assert.Equal((onePass.Read.ProblemCount, onePass.Read.FieldErrorCount), (inParts.Read.ProblemCount, inParts.Read.FieldErrorCount));
        Assert.Equal(onePass.Series.Select(s => s with { Joules = 0 }), inParts.Series.Select(s => s with { Joules = 0 }), SeriesComparer.Instance);
        AssertSameJson(JsonDocument.Parse(EmissionsJson.Serialize(onePass.Report)).RootElement, JsonDocument.Parse(EmissionsJson.Serialize(inParts.Report)).RootElement, "$");
        return inParts.Report;
    }

    private static (TelemetryReadResult Read, IReadOnlyList<DeviceSeries> Series, EmissionsReport Report) Report(Stream telemetry, TelemetryReadOptions read)
    {
        var options = new EmissionsOptions();
        var energy = TelemetryEmissions.Integrate(telemetry, read, options);
        var start = new DateTimeOffset(T0, TimeSpan.Zero);
        var intensity = Planning.PlanningFixtures.Series(start, TimeSpan.FromMinutes(5), [300, 200]) with { Kind = SeriesKind.Actual };
        var context = new EmissionsContext { JobId = "parts", Source = "parts.csv" };
        var report = EmissionsCalculator.Compute(energy.Read, energy.Profile, context, intensity, null, options, T0.AddDays(1));
        return (energy.Read, energy.Series, report);
    }

    /// <summary>Numbers equal to 1e-12 relative (sums in another order), everything else exactly.</summary>
    private static void AssertSameJson(JsonElement expected, JsonElement actual, string path)
    {
        Assert.True(expected.ValueKind == actual.ValueKind, $"{path}: {expected.ValueKind} vs {actual.ValueKind}");
        switch (expected.ValueKind)
        {
            case JsonValueKind.Object:
                Assert.Equal(expected.EnumerateObject().Select(p => p.Name), actual.EnumerateObject().Select(p => p.Name));
                foreach (var property in expected.EnumerateObject())
                {
                    AssertSameJson(property.Value, actual.GetProperty(property.Name), $"{path}.{property.Name}");
                }

                break;
            case JsonValueKind.Array:
                Assert.True(expected.GetArrayLength() == actual.GetArrayLength(), $"{path}: {expected.GetArrayLength()} vs {actual.GetArrayLength()} items");
                foreach (var (e, a, i) in expected.EnumerateArray().Zip(actual.EnumerateArray()).Select((pair, i) => (pair.First, pair.Second, i)))
                {
                    AssertSameJson(e, a, $"{path}[{i}]");
                }

                break;
            case JsonValueKind.Number:
                var (x, y) = (expected.GetDouble(), actual.GetDouble());
                Assert.True(Math.Abs(x - y) <= 1e-12 * Math.Max(Math.Abs(x), Math.Abs(y)), $"{path}: {x:R} vs {y:R}");
                break;
            default:
                Assert.True(expected.GetRawText() == actual.GetRawText(), $"{path}: {expected.GetRawText()} vs {actual.GetRawText()}");
                break;
        }
    }

    /// <summary>Device series compared by value, gaps item by item (the record holds them in a list).</summary>
    private sealed class SeriesComparer : IEqualityComparer<DeviceSeries>
    {
        public static readonly SeriesComparer Instance = new();

        public bool Equals(DeviceSeries? x, DeviceSeries? y) =>
            x is not null && y is not null && x == y with { Gaps = x.Gaps } && x.Gaps.SequenceEqual(y.Gaps);

        public int GetHashCode(DeviceSeries obj) => obj.Device.GetHashCode(StringComparison.Ordinal);
    }
}
