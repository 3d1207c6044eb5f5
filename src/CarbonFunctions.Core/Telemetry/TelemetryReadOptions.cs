namespace CarbonFunctions.Core.Telemetry;

/// <summary>
/// How to interpret a telemetry file: the time zone of timestamps written without an offset, and for
/// files without a timestamp column (hl-smi driven by a poller) when polling started and how often it ran.
/// </summary>
public sealed record TelemetryReadOptions
{
    /// <summary>Zone of timestamps without an offset (nvidia-smi writes local time); UTC by default.</summary>
    public TimeZoneInfo TimeZone { get; init; } = TimeZoneInfo.Utc;

    /// <summary>When the first poll ran, for files without a timestamp column.</summary>
    public DateTimeOffset? PollStart { get; init; }

    /// <summary>Time between polls, for files without a timestamp column.</summary>
    public TimeSpan? PollInterval { get; init; }

    /// <summary>
    /// Column names of a CSV written with <c>noheader</c> (e.g. "timestamp,index,power.draw"); without
    /// them, a headerless file is read only when its values carry units (a timestamp and an "N W" field).
    /// </summary>
    public IReadOnlyList<string>? Columns { get; init; }

    /// <summary>
    /// Rows without a device column belong to one poll while they are this close to the poll's first row
    /// (nvidia-smi writes the rows of one poll a few milliseconds apart).
    /// </summary>
    public TimeSpan PollSplit { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>How many problems are kept with their line numbers (all are counted).</summary>
    public int MaxProblems { get; init; } = 20;

    /// <summary>Longest line accepted in line-based formats; longer ones (a NUL-padded tail) are refused.</summary>
    public int MaxLineLength { get; init; } = 64 * 1024;

    /// <summary>
    /// How many parts of a large file are read side by side (<see cref="TelemetryReader.Read{TSink}"/>): one per
    /// processor, at most 8 (more add little against the memory bus and the merge); 1 reads in one pass.
    /// </summary>
    public int Parallelism { get; init; } = Math.Clamp(Environment.ProcessorCount, 1, 8);

    /// <summary>Files smaller than this are read in one pass: starting threads costs more than it saves there.</summary>
    public long ParallelMinBytes { get; init; } = 16 * 1024 * 1024;

    /// <summary>Resolves an IANA (or, where the OS knows it, Windows) zone id; null when unknown.</summary>
    public static TimeZoneInfo? FindZone(string? id)
    {
        if (string.IsNullOrWhiteSpace(id))
        {
            return TimeZoneInfo.Utc;
        }

        return TimeZoneInfo.TryFindSystemTimeZoneById(id.Trim(), out var zone) ? zone : null;
    }
}

/// <summary>What a read found: the format, how many samples it delivered, and the problems.</summary>
public sealed record TelemetryReadResult(
    TelemetryFormat Format,
    long Lines,
    long Samples,
    IReadOnlyList<TelemetryProblem> Problems,
    int ProblemCount)
{
    /// <summary>Problems that are one wrong value (negative watts, an unreadable number), among <see cref="ProblemCount"/>.</summary>
    public int FieldErrorCount { get; init; }
}
