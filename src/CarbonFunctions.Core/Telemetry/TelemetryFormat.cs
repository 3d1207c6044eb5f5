namespace CarbonFunctions.Core.Telemetry;

/// <summary>The telemetry formats the readers understand, detected from the content.</summary>
public enum TelemetryFormat
{
    Unknown,
    Empty,
    NvidiaSmiCsv,
    HlSmiCsv,
    DcgmPrometheus,
    JsonLines,

    /// <summary>A job report built from blobs of different formats.</summary>
    Mixed,
}

/// <summary>One problem found in a telemetry file; <see cref="Line"/> is 1-based, 0 when not tied to a line.</summary>
public sealed record TelemetryProblem(long Line, string Message)
{
    /// <summary>The column or key whose value is wrong (a field error), when the problem is one value.</summary>
    public string? Field { get; init; }

    /// <summary>The blob the line is in, when a report combines several.</summary>
    public string? Blob { get; init; }

    public override string ToString()
    {
        var where = Line > 0 ? $"line {Line}" : null;
        if (Field is not null)
        {
            where = where is null ? $"field {Field}" : $"{where}, field {Field}";
        }

        if (Blob is not null)
        {
            where = where is null ? Blob : $"{Blob} {where}";
        }

        return where is null ? Message : $"{where}: {Message}";
    }
}

/// <summary>Receives samples as they are read, so that nothing holds the whole file.</summary>
public interface ITelemetrySink
{
    /// <summary>An instantaneous (or short-average) power reading in watts at a UTC instant (ticks).</summary>
    void Power(string device, long utcTicks, double watts, long line);

    /// <summary>A cumulative energy counter reading in joules (e.g. DCGM's total energy since boot).</summary>
    void EnergyCounter(string device, long utcTicks, double joules, long line);
}

/// <summary>
/// A sink that can take a file in parts read side by side: each part after the first goes into a sink of its own
/// (<see cref="NewPart"/>), and the parts are appended in file order, giving what this sink would have got from
/// reading the file in one pass.
/// </summary>
public interface IMergeableTelemetrySink<TSink> : ITelemetrySink
    where TSink : IMergeableTelemetrySink<TSink>
{
    /// <summary>An empty sink with the same settings and problems of its own, for a later part of the file.</summary>
    TSink NewPart();

    /// <summary>
    /// Appends what <paramref name="next"/> received from the part of the file right after what this sink has
    /// seen; its problems' lines count from that part's start, <paramref name="lineOffset"/> lines into the file.
    /// False, and nothing changed, when the result would differ from one pass (the reader then reads that part
    /// into this sink itself).
    /// </summary>
    bool TryAppend(TSink next, long lineOffset);
}

/// <summary>Collects the first problems with their line numbers and counts the rest.</summary>
public sealed class TelemetryProblems
{
    private readonly List<TelemetryProblem> _first = [];

    public TelemetryProblems(int keep = 20) => Keep = keep;

    public int Keep { get; }

    public int Count { get; private set; }

    public IReadOnlyList<TelemetryProblem> First => _first;

    /// <summary>Field errors among the problems (a value that is wrong, such as negative watts).</summary>
    public int FieldErrors { get; private set; }

    public void Add(long line, string message) => Add(new TelemetryProblem(line, message));

    /// <summary>A field error: one value on a line is wrong (negative watts, an unreadable timestamp).</summary>
    public void AddField(long line, string field, string message) => Add(new TelemetryProblem(line, message) { Field = field });

    /// <summary>
    /// Adds the problems of a later part of the same file, found with lines counted from that part's start,
    /// <paramref name="lineOffset"/> lines into the file: as if they had been found here, in the same order.
    /// </summary>
    public void Append(TelemetryProblems later, long lineOffset)
    {
        ArgumentNullException.ThrowIfNull(later);
        foreach (var problem in later.First)
        {
            if (_first.Count == Keep)
            {
                break;
            }

            _first.Add(problem.Line > 0 ? problem with { Line = problem.Line + lineOffset } : problem);
        }

        Count += later.Count;
        FieldErrors += later.FieldErrors;
    }

    public void Add(TelemetryProblem problem)
    {
        ArgumentNullException.ThrowIfNull(problem);
        Count++;
        if (problem.Field is not null)
        {
            FieldErrors++;
        }

        if (_first.Count < Keep)
        {
            _first.Add(problem);
        }
    }
}
