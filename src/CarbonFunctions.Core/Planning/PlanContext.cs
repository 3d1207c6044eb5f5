namespace CarbonFunctions.Core.Planning;

/// <summary>One stretch of running on a fixed node count, in UTC ticks.</summary>
internal readonly record struct Run(long Start, long End, int Nodes);

/// <summary>
/// The job reduced to what the policies need, in UTC ticks. Work is measured as run time at min nodes;
/// <see cref="Overhead"/> is paid by every run segment except a fresh job's first one and the stretch
/// running now. A pool that is not running is asked for <see cref="Allowance"/> before its work starts,
/// so work starts no earlier than <see cref="EarliestStart"/>, and a pause lasts at least that long;
/// every plan ends by <see cref="LatestEnd"/>, the deadline less the margin.
/// </summary>
internal sealed record PlanContext(
    long Now,
    long Deadline,
    long RunTime,
    long Overhead,
    bool FirstSegmentFree,
    bool Running,
    int MinNodes,
    int MaxNodes,
    double WattsPerNode,
    IReadOnlyList<double>? RelativeThroughput,
    long MinimumRunLength,
    double? Threshold,
    long Allowance = 0,
    long Margin = 0,
    long SlotTicks = TimeSpan.TicksPerMinute * 5)
{
    /// <summary>Throughput of n nodes relative to one node; linear when the job gives no curve.</summary>
    public double Throughput(int nodes) =>
        RelativeThroughput is { } curve && curve.Count >= nodes && nodes >= 1 ? curve[nodes - 1] : nodes;

    /// <summary>Run time of a single uninterrupted segment that finishes the job.</summary>
    public long SingleRunTime => RunTime + (FirstSegmentFree ? 0 : Overhead);

    /// <summary>Total run time at min nodes when the work is split into <paramref name="segments"/> segments.</summary>
    public long Needed(int segments) => RunTime + (Overhead * Math.Max(0, segments - (FirstSegmentFree ? 1 : 0)));

    /// <summary>Shortest segment worth planning: the configured minimum, or the whole job when that is shorter.</summary>
    public long EffectiveMinimumRun => Math.Min(MinimumRunLength, SingleRunTime);

    /// <summary>When work can start: now for a running pool, else once a pool asked for now is up.</summary>
    public long EarliestStart => Running ? Now : Now + Allowance;

    /// <summary>When every plan must have ended: the deadline less the margin.</summary>
    public long LatestEnd => Deadline - Margin;
}
