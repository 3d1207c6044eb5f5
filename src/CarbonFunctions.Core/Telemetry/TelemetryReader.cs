using System.Text;

namespace CarbonFunctions.Core.Telemetry;

/// <summary>
/// Detects a telemetry file's format from its first bytes and streams its samples into a sink.
/// Never throws for bad content: problems come back with line numbers. Memory is bounded by the
/// reader buffers, whatever the file size.
/// </summary>
public static class TelemetryReader
{
    private const int PeekBytes = 8 * 1024;

    /// <summary>
    /// <see cref="Read(Stream, TelemetryReadOptions, ITelemetrySink)"/> into a sink that can take parts: a file
    /// (a seekable <see cref="FileStream"/>) of at least <see cref="TelemetryReadOptions.ParallelMinBytes"/> in
    /// nvidia-smi / hl-smi CSV with timestamp and device columns is read in parts side by side
    /// (<see cref="SmiCsvParts"/>), with the same result; anything else (blob streams, small files) in one pass.
    /// </summary>
    public static TelemetryReadResult Read<TSink>(Stream content, TelemetryReadOptions options, TSink sink)
        where TSink : IMergeableTelemetrySink<TSink>
    {
        ArgumentNullException.ThrowIfNull(content);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(sink);
        if (content is FileStream { CanSeek: true } file && options.Parallelism > 1 && file.Length - file.Position >= options.ParallelMinBytes)
        {
            // Read by position: the stream's own position stays where it is for the one-pass read below.
            var start = file.Position;
            var prefix = new byte[PeekBytes];
            var length = RandomAccess.Read(file.SafeFileHandle, prefix, start);
            if (Detect(prefix.AsSpan(0, length)) == TelemetryFormat.NvidiaSmiCsv && SmiCsvReader.PartLayout(prefix.AsSpan(0, length), options) is var (layout, headerBytes))
            {
                return SmiCsvParts.Read(file.SafeFileHandle, start + headerBytes, layout, options, sink);
            }
        }

        return Read(content, options, (ITelemetrySink)sink);
    }

    public static TelemetryReadResult Read(Stream content, TelemetryReadOptions options, ITelemetrySink sink)
    {
        ArgumentNullException.ThrowIfNull(content);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(sink);
        var problems = new TelemetryProblems(options.MaxProblems);
        var stream = TelemetryStream.Open(content, PeekBytes);
        var format = Detect(stream.Prefix);
        var values = new TelemetryValues(options.TimeZone);
        long lines = 0;
        long samples = 0;
        switch (format)
        {
            case TelemetryFormat.Empty:
                problems.Add(0, stream.Prefix.Length == 0 ? "the file is empty" : "the file holds only NUL bytes or blank lines");
                break;
            case TelemetryFormat.Unknown:
                problems.Add(1, $"unknown format (expected nvidia-smi / hl-smi CSV, DCGM exporter text or JSON lines); starts with '{FirstLine(stream.Prefix)}'");
                break;
            case TelemetryFormat.JsonLines:
            {
                using var text = new StreamReader(stream, Encoding.UTF8, true, 64 * 1024, leaveOpen: true);
                var reader = new JsonLinesReader(options, values, problems, sink);
                lines = reader.Read(text);
                samples = reader.Samples;
                break;
            }

            case TelemetryFormat.DcgmPrometheus:
            {
                using var text = new StreamReader(stream, Encoding.UTF8, true, 64 * 1024, leaveOpen: true);
                var reader = new DcgmTextReader(options, problems, sink);
                lines = reader.Read(text);
                samples = reader.Samples;
                break;
            }

            default:
            {
                var reader = new SmiCsvReader(options, values, problems, sink);
                lines = reader.Read(stream);
                samples = reader.Samples;
                format = reader.Format;
                break;
            }
        }

        return new TelemetryReadResult(format, lines, samples, problems.First, problems.Count) { FieldErrorCount = problems.FieldErrors };
    }

    /// <summary>The format of a file from its first bytes.</summary>
    public static TelemetryFormat Detect(ReadOnlySpan<byte> prefix)
    {
        if (prefix.StartsWith("\uFEFF"u8))
        {
            prefix = prefix[3..];
        }

        var start = prefix.IndexOfAnyExcept(" \t\r\n\0"u8);
        if (start < 0)
        {
            return TelemetryFormat.Empty;
        }

        var rest = prefix[start..];
        var end = rest.IndexOf((byte)'\n');
        var first = end < 0 ? rest : rest[..end];
        if (first[0] == '{')
        {
            return TelemetryFormat.JsonLines;
        }

        if (first[0] == '#' || first.StartsWith("DCGM_"u8) || rest.IndexOf("DCGM_FI_"u8) >= 0 && first.IndexOf((byte)',') < 0)
        {
            return TelemetryFormat.DcgmPrometheus;
        }

        if (first.IndexOf((byte)',') >= 0 && first.IndexOf((byte)0) < 0)
        {
            return TelemetryFormat.NvidiaSmiCsv;
        }

        return TelemetryFormat.Unknown;
    }

    private static string FirstLine(ReadOnlySpan<byte> prefix)
    {
        var text = Encoding.UTF8.GetString(prefix[..Math.Min(prefix.Length, 200)]);
        var line = text.Split('\n')[0].Trim().Replace('\0', ' ');
        return line.Length <= 40 ? line : line[..40] + "...";
    }
}
