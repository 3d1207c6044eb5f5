using CarbonFunctions.Core.Emissions;
using CarbonFunctions.Core.Telemetry;

namespace CarbonFunctions.Core.Tests.Telemetry;

public sealed class TelemetryReaderTests
{
    private static readonly TimeZoneInfo Berlin = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");

    [Fact]
    public void Nvidia_smi_without_index_takes_devices_from_row_order_and_local_time_from_the_zone()
    {
        var (result, sink) = TelemetryFixtures.Read(TelemetryFixtures.Open("nvidia-smi_2gpu_1h_local.csv"), new TelemetryReadOptions { TimeZone = Berlin });

        Assert.Equal(TelemetryFormat.NvidiaSmiCsv, result.Format);
        Assert.Equal(0, result.ProblemCount);
        Assert.Equal(722, result.Samples);
        // 10:00 in Berlin in January (CET, UTC+1) is 09:00 UTC.
        Assert.Equal(new DateTimeOffset(2026, 1, 15, 9, 0, 0, TimeSpan.Zero), sink.Power[0].At);
        Assert.All(sink.Power.Where(p => p.Device == "0"), p => Assert.Equal(100, p.Watts));
        Assert.All(sink.Power.Where(p => p.Device == "1"), p => Assert.Equal(200, p.Watts));
        Assert.Equal(361, sink.Power.Count(p => p.Device == "1"));
        Assert.Equal(2, sink.Power[0].Line);
    }

    [Fact]
    public void Timestamps_in_summer_time_use_the_summer_offset()
    {
        var csv = "timestamp, power.draw [W]\n2026/07/01 12:00:00.000, 10.00 W\n2026/07/01 12:00:01.000, 10.00 W\n";
        var (_, sink) = TelemetryFixtures.Read(TelemetryFixtures.FromText(csv), new TelemetryReadOptions { TimeZone = Berlin });
        Assert.Equal(new DateTimeOffset(2026, 7, 1, 10, 0, 0, TimeSpan.Zero), sink.Power[0].At);
    }

    [Fact]
    public void Average_power_column_is_preferred_and_na_rows_are_reported()
    {
        var (result, sink) = TelemetryFixtures.Read(TelemetryFixtures.Open("nvidia-smi_index_average_nounits.csv"));

        Assert.Equal(TelemetryFormat.NvidiaSmiCsv, result.Format);
        Assert.All(sink.Power, p => Assert.Equal(150, p.Watts));
        Assert.Equal(61, sink.Power.Count(p => p.Device == "0"));
        Assert.Equal(60, sink.Power.Count(p => p.Device == "1"));
        // Header is line 1; poll k has lines 2+2k (gpu 0) and 3+2k (gpu 1): k = 30 → line 63.
        var problem = Assert.Single(result.Problems);
        Assert.Equal(63, problem.Line);
        Assert.Contains("[N/A]", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Hl_smi_without_timestamps_needs_the_poll_start_and_interval()
    {
        var (result, sink) = TelemetryFixtures.Read(TelemetryFixtures.Open("hl-smi_2aip_polled.csv"));
        Assert.Equal(TelemetryFormat.HlSmiCsv, result.Format);
        Assert.Empty(sink.Power);
        Assert.Contains(result.Problems, p => p.Message.Contains("pollStart", StringComparison.Ordinal));
    }

    [Fact]
    public void Hl_smi_polls_are_spaced_by_the_given_interval()
    {
        var start = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var (result, sink) = TelemetryFixtures.Read(
            TelemetryFixtures.Open("hl-smi_2aip_polled.csv"),
            new TelemetryReadOptions { PollStart = start, PollInterval = TimeSpan.FromSeconds(5) });

        Assert.Equal(TelemetryFormat.HlSmiCsv, result.Format);
        Assert.Equal(0, result.ProblemCount);
        Assert.Equal(26, sink.Power.Count);
        var second = sink.Power.Where(p => p.Device == "01P0-HL2000A0-18-TNT111-04-05-06").ToList();
        Assert.Equal(13, second.Count);
        Assert.All(second, p => Assert.Equal(110, p.Watts));
        Assert.Equal(start.AddSeconds(60), second[^1].At);
    }

    [Fact]
    public void Headerless_csv_with_units_is_read()
    {
        var csv = "2026/01/01 00:00:00.000, 50.00 W, 3 %\n2026/01/01 00:00:00.004, 70.00 W, 3 %\n2026/01/01 00:00:01.000, 50.00 W, 3 %\n2026/01/01 00:00:01.004, 70.00 W, 3 %\n";
        var (result, sink) = TelemetryFixtures.Read(TelemetryFixtures.FromText(csv));
        Assert.Equal(0, result.ProblemCount);
        Assert.Equal(["0", "1", "0", "1"], sink.Power.Select(p => p.Device));
        Assert.Equal([50.0, 70, 50, 70], sink.Power.Select(p => p.Watts));
    }

    [Fact]
    public void Headerless_csv_without_units_asks_for_the_column_list_and_reads_with_it()
    {
        var csv = "2026/01/01 00:00:00.000, 1, 50.00\n2026/01/01 00:00:01.000, 1, 60.00\n";
        var (without, _) = TelemetryFixtures.Read(TelemetryFixtures.FromText(csv));
        Assert.Contains(without.Problems, p => p.Message.Contains("columns", StringComparison.Ordinal));

        var (with, sink) = TelemetryFixtures.Read(TelemetryFixtures.FromText(csv), new TelemetryReadOptions { Columns = ["timestamp", "index", "power.draw"] });
        Assert.Equal(0, with.ProblemCount);
        Assert.Equal([50.0, 60], sink.Power.Select(p => p.Watts));
        Assert.All(sink.Power, p => Assert.Equal("1", p.Device));
    }

    [Fact]
    public void Dcgm_text_yields_power_and_counter_samples_in_joules()
    {
        var (result, sink) = TelemetryFixtures.Read(TelemetryFixtures.Open("dcgm_counter_reset.prom"));
        Assert.Equal(TelemetryFormat.DcgmPrometheus, result.Format);
        Assert.Equal(11, sink.Power.Count);
        Assert.Equal(11, sink.Energy.Count);
        Assert.Equal("node-a/0", sink.Energy[0].Device);
        Assert.Equal(5_000_000.0, sink.Energy[0].Joules);
        Assert.Equal(new DateTimeOffset(2026, 1, 1, 10, 0, 0, TimeSpan.Zero), sink.Energy[0].At);
    }

    [Fact]
    public void Dcgm_without_timestamps_uses_scrape_order()
    {
        var text = "DCGM_FI_DEV_POWER_USAGE{gpu=\"0\"} 100\nDCGM_FI_DEV_POWER_USAGE{gpu=\"1\"} 200\nDCGM_FI_DEV_POWER_USAGE{gpu=\"0\"} 100\nDCGM_FI_DEV_POWER_USAGE{gpu=\"1\"} 200\n";
        var start = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var (_, sink) = TelemetryFixtures.Read(TelemetryFixtures.FromText(text), new TelemetryReadOptions { PollStart = start, PollInterval = TimeSpan.FromSeconds(15) });
        Assert.Equal([start, start, start.AddSeconds(15), start.AddSeconds(15)], sink.Power.Select(p => p.At));
    }

    [Fact]
    public void Json_lines_accept_offsets_and_epoch_milliseconds()
    {
        var (result, sink) = TelemetryFixtures.Read(TelemetryFixtures.Open("jsonl_250w_2min.jsonl"));
        Assert.Equal(TelemetryFormat.JsonLines, result.Format);
        var start = new DateTimeOffset(2026, 1, 1, 10, 0, 0, TimeSpan.Zero);
        Assert.Equal([start, start.AddMinutes(1), start.AddMinutes(2)], sink.Power.Select(p => p.At));
    }

    [Fact]
    public void Json_lines_count_a_whole_last_object_without_a_final_newline_but_not_one_cut_off()
    {
        const string Whole = "{\"timestamp\":\"2026-01-01T10:00:00Z\",\"device\":\"gpu0\",\"powerWatts\":250}\n{\"timestamp\":\"2026-01-01T10:01:00Z\",\"device\":\"gpu0\",\"powerWatts\":250}";
        var (whole, wholeSink) = TelemetryFixtures.Read(TelemetryFixtures.FromText(Whole));
        Assert.Equal(2, wholeSink.Power.Count);
        Assert.Empty(whole.Problems);

        var (cut, cutSink) = TelemetryFixtures.Read(TelemetryFixtures.FromText(Whole[..^10]));
        Assert.Single(cutSink.Power);
        Assert.Equal(2L, Assert.Single(cut.Problems).Line);
    }

    [Fact]
    public void Killed_poller_file_keeps_the_good_part_and_names_the_bad_lines()
    {
        var (result, sink) = TelemetryFixtures.Read(TelemetryFixtures.Open("nvidia-smi_killed.csv"));

        Assert.Equal(31, sink.Power.Count);
        Assert.All(sink.Power, p => Assert.Equal(120, p.Watts));
        Assert.Equal([13L, 24, 35], result.Problems.Select(p => p.Line));
        Assert.Contains("NUL", result.Problems[^1].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_last_line_without_end_of_line_is_not_counted()
    {
        var csv = "timestamp, power.draw [W]\n2026/01/01 00:00:00.000, 10.00 W\n2026/01/01 00:00:01.000, 10.00 W\n2026/01/01 00:00:02.000, 1";
        var (result, sink) = TelemetryFixtures.Read(TelemetryFixtures.FromText(csv));
        Assert.Equal(2, sink.Power.Count);
        var problem = Assert.Single(result.Problems);
        Assert.Equal(4, problem.Line);
    }

    [Theory]
    [InlineData("", TelemetryFormat.Empty)]
    [InlineData("\0\0\0\0", TelemetryFormat.Empty)]
    [InlineData("hello world\nthis is not telemetry\n", TelemetryFormat.Unknown)]
    public void Empty_and_unknown_files_give_a_problem_not_an_exception(string content, TelemetryFormat expected)
    {
        var (result, sink) = TelemetryFixtures.Read(TelemetryFixtures.FromText(content));
        Assert.Equal(expected, result.Format);
        Assert.Empty(sink.Power);
        Assert.Single(result.Problems);
    }

    [Fact]
    public void Garbage_json_lines_are_reported_with_line_numbers()
    {
        var text = "{\"timestamp\":\"2026-01-01T00:00:00Z\",\"device\":0,\"powerWatts\":10}\n{oops\n{\"timestamp\":\"2026-01-01T00:00:01Z\",\"device\":0}\n{\"timestamp\":\"2026-01-01T00:00:02Z\",\"device\":0,\"powerWatts\":10}\n";
        var (result, sink) = TelemetryFixtures.Read(TelemetryFixtures.FromText(text));
        Assert.Equal(2, sink.Power.Count);
        Assert.Equal([2L, 3], result.Problems.Select(p => p.Line));
    }

    [Fact]
    public void A_large_file_is_streamed_with_allocations_far_below_its_size()
    {
        // About 20 MB of nvidia-smi rows produced on the fly: nothing may hold the file or allocate per row.
        using var content = new GeneratedNvidiaSmi(rows: 500_000);
        var before = GC.GetAllocatedBytesForCurrentThread();
        var energy = TelemetryEmissions.Integrate(content, new TelemetryReadOptions(), new EmissionsOptions());
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(500_000, energy.Read.Samples);
        Assert.True(content.BytesServed > 15_000_000, $"served {content.BytesServed} bytes");
        Assert.True(allocated < content.BytesServed / 10, $"allocated {allocated} bytes for {content.BytesServed} bytes of input");
    }
}

/// <summary>A forward-only stream of nvidia-smi rows (2 GPUs, 100 ms polls) generated as it is read.</summary>
internal sealed class GeneratedNvidiaSmi(int rows) : Stream
{
    private readonly byte[] _line = new byte[96];
    private int _row = -1;
    private int _linePosition;
    private int _lineLength;

    public long BytesServed { get; private set; }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count)
    {
        var written = 0;
        while (written < count)
        {
            if (_linePosition == _lineLength && !NextLine())
            {
                break;
            }

            var take = Math.Min(count - written, _lineLength - _linePosition);
            Array.Copy(_line, _linePosition, buffer, offset + written, take);
            _linePosition += take;
            written += take;
        }

        BytesServed += written;
        return written;
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    private bool NextLine()
    {
        if (_row >= rows)
        {
            return false;
        }

        // Allocation-free so that the test measures the reader, not the generator.
        Span<char> text = stackalloc char[96];
        int length;
        if (_row < 0)
        {
            const string header = "timestamp, power.draw [W], utilization.gpu [%], memory.used [MiB]\n";
            header.AsSpan().CopyTo(text);
            length = header.Length;
        }
        else
        {
            var at = new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Unspecified).AddMilliseconds((_row / 2 * 100) + (_row % 2 * 2));
            at.TryFormat(text, out length, "yyyy/MM/dd HH:mm:ss.fff", System.Globalization.CultureInfo.InvariantCulture);
            var rest = _row % 2 == 0 ? ", 118.42 W, 97 %, 30001 MiB\n" : ", 201.70 W, 99 %, 30001 MiB\n";
            rest.AsSpan().CopyTo(text[length..]);
            length += rest.Length;
        }

        _row++;
        _lineLength = System.Text.Encoding.ASCII.GetBytes(text[..length], _line);
        _linePosition = 0;
        return true;
    }
}
