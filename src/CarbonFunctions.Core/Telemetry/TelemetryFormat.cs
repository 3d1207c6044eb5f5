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
}

/// <summary>One problem found in a telemetry file; <see cref="Line"/> is 1-based, 0 when not tied to a line.</summary>
public sealed record TelemetryProblem(long Line, string Message)
{
    public override string ToString() => Line > 0 ? $"line {Line}: {Message}" : Message;
}

/// <summary>Receives samples as they are read, so that nothing holds the whole file.</summary>
public interface ITelemetrySink
{
    /// <summary>An instantaneous (or short-average) power reading in watts at a UTC instant (ticks).</summary>
    void Power(string device, long utcTicks, double watts, long line);

    /// <summary>A cumulative energy counter reading in joules (e.g. DCGM's total energy since boot).</summary>
    void EnergyCounter(string device, long utcTicks, double joules, long line);
}

/// <summary>Collects the first problems with their line numbers and counts the rest.</summary>
public sealed class TelemetryProblems
{
    private readonly List<TelemetryProblem> _first = [];

    public TelemetryProblems(int keep = 20) => Keep = keep;

    public int Keep { get; }

    public int Count { get; private set; }

    public IReadOnlyList<TelemetryProblem> First => _first;

    public void Add(long line, string message)
    {
        Count++;
        if (_first.Count < Keep)
        {
            _first.Add(new TelemetryProblem(line, message));
        }
    }
}
