using Microsoft.Win32.SafeHandles;

namespace CarbonFunctions.Core.Telemetry;

/// <summary>
/// Reads a large nvidia-smi / hl-smi CSV file in parts side by side: the rows after the header are cut at line
/// starts into <see cref="TelemetryReadOptions.Parallelism"/> byte ranges, each read by its own
/// <see cref="SmiCsvReader"/> (the header's layout given) into its own sink, and the parts are then appended in file
/// order with their line numbers moved on. The result is the one-pass read's: the same samples, problems (lines and
/// text), counts and end; a part whose sink cannot be appended exactly is read again into the merged sink.
/// Only files with timestamp and device columns are read this way (<see cref="SmiCsvReader.PartLayout"/>).
/// </summary>
internal static class SmiCsvParts
{
    public static TelemetryReadResult Read<TSink>(SafeFileHandle file, long dataStart, SmiCsvReader.Layout layout, TelemetryReadOptions options, TSink sink)
        where TSink : IMergeableTelemetrySink<TSink>
    {
        var starts = PartStarts(file, dataStart, options.Parallelism, options.MaxLineLength);
        var sinks = new TSink[starts.Count];
        sinks[0] = sink;
        for (var i = 1; i < sinks.Length; i++)
        {
            sinks[i] = sink.NewPart();
        }

        // The first part reads into the caller's sink with the file's line numbers (the header is line 1); the
        // others count their lines from their own start until they are appended.
        var parts = new Part[starts.Count];
        Parallel.For(0, parts.Length, new ParallelOptions { MaxDegreeOfParallelism = options.Parallelism }, i =>
            parts[i] = ReadPart(file, starts, i, layout, options, sinks[i], new TelemetryProblems(options.MaxProblems), linesBefore: i == 0 ? 1 : 0));

        var problems = parts[0].Problems;
        var samples = parts[0].Samples;
        var lastLine = parts[0].LastLine;
        for (var i = 1; i < parts.Length && !parts[i - 1].Stopped; i++)
        {
            var part = parts[i];
            if (sink.TryAppend(sinks[i], lastLine))
            {
                problems.Append(part.Problems, lastLine);
                lastLine += part.LastLine;
            }
            else
            {
                // The part's first samples do not follow on from the sink's last ones (time going back across the
                // cut): read it again into the merged sink, which is where one pass would be at its start.
                part = ReadPart(file, starts, i, layout, options, sink, problems, linesBefore: lastLine);
                lastLine = part.LastLine;
            }

            samples += part.Samples;
            parts[i] = part;
        }

        return new TelemetryReadResult(layout.Format, lastLine, samples, problems.First, problems.Count) { FieldErrorCount = problems.FieldErrors };
    }

    /// <summary>
    /// Where each part starts: the header's end, then the first line start at or after each equal share of the
    /// rest. A cut with no line start within a line's length (a line too long to read) is left out: one part less.
    /// </summary>
    internal static List<long> PartStarts(SafeFileHandle file, long dataStart, int parts, int maxLineLength)
    {
        var length = RandomAccess.GetLength(file);
        var starts = new List<long> { dataStart };
        var window = new byte[maxLineLength + 1];
        for (var i = 1; i < parts; i++)
        {
            var cut = dataStart + ((length - dataStart) * i / parts);
            if (cut <= starts[^1])
            {
                continue;
            }

            // From the byte before the cut, so that a line starting exactly there is found.
            var read = RandomAccess.Read(file, window, cut - 1);
            var newline = window.AsSpan(0, read).IndexOf((byte)'\n');
            var start = cut + newline;
            if (newline >= 0 && start > starts[^1] && start < length)
            {
                starts.Add(start);
            }
        }

        return starts;
    }

    private static Part ReadPart(SafeFileHandle file, List<long> starts, int index, SmiCsvReader.Layout layout, TelemetryReadOptions options, ITelemetrySink sink, TelemetryProblems problems, long linesBefore)
    {
        // The last part reads on to the end of the file as one pass would, even if the file grew since it was cut.
        var end = index + 1 < starts.Count ? starts[index + 1] : long.MaxValue;
        var stream = new TelemetryStream(new FileRange(file, starts[index], end), [], 0);
        var reader = new SmiCsvReader(options, new TelemetryValues(options.TimeZone), problems, sink, layout);
        var lastLine = reader.Read(stream, linesBefore, fileStart: false);
        return new Part(problems, reader.Samples, lastLine, reader.Stopped);
    }

    /// <summary>What one part gave: its problems, samples, last line (counted as it was read) and whether it stopped early.</summary>
    private sealed record Part(TelemetryProblems Problems, long Samples, long LastLine, bool Stopped);

    /// <summary>A byte range of a file read by position (<see cref="RandomAccess"/>), so that parts can be read side by side from one handle.</summary>
    private sealed class FileRange(SafeFileHandle file, long start, long end) : ForwardReadStream
    {
        private long _position = start;

        public override int Read(Span<byte> buffer)
        {
            var wanted = (int)Math.Min(buffer.Length, end - _position);
            if (wanted <= 0)
            {
                return 0;
            }

            var read = RandomAccess.Read(file, buffer[..wanted], _position);
            _position += read;
            return read;
        }
    }
}
