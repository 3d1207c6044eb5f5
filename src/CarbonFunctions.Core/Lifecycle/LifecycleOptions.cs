namespace CarbonFunctions.Core.Lifecycle;

/// <summary>Timing of the lifecycle's polls and retries, bound from <c>Carbon:Lifecycle</c>.</summary>
public sealed record LifecycleOptions
{
    public const string SectionName = "Carbon:Lifecycle";

    /// <summary>How often a starting pool is polled.</summary>
    public TimeSpan PoolPollInterval { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>A pool that is not running this long after the start was asked for counts as a failed start.</summary>
    public TimeSpan PoolStartTimeout { get; init; } = TimeSpan.FromMinutes(20);

    public int MaxStartAttempts { get; init; } = 3;

    /// <summary>Planning attempts (each after the retry interval, doubling) before a queued job fails.</summary>
    public int MaxPlanAttempts { get; init; } = 5;

    /// <summary>Wait before retrying a failed pool command (doubles per start attempt).</summary>
    public TimeSpan RetryInterval { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// True where every pool node runs the node agent (cloud bootstrap, the local host's simulated pools): pauses and
    /// planned stops go through a checkpoint first, and a workload whose agent falls silent counts as hung.
    /// </summary>
    public bool WorkloadAgents { get; init; }

    /// <summary>How long the agents have to acknowledge a checkpoint before the pool is paused or stopped anyway (budgets first).</summary>
    public TimeSpan CheckpointTimeout { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>No heartbeat from any node agent for this long while running: the workload is hung and the pool is stopped.</summary>
    public TimeSpan HeartbeatTimeout { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Most entries kept in a job's history (oldest dropped) so that state stays small.</summary>
    public int MaxHistory { get; init; } = 100;

    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (PoolPollInterval <= TimeSpan.Zero)
        {
            problems.Add($"{SectionName}:PoolPollInterval must be positive.");
        }

        if (PoolStartTimeout <= PoolPollInterval)
        {
            problems.Add($"{SectionName}:PoolStartTimeout must be longer than PoolPollInterval.");
        }

        if (MaxStartAttempts < 1)
        {
            problems.Add($"{SectionName}:MaxStartAttempts must be at least 1.");
        }

        if (MaxPlanAttempts < 1)
        {
            problems.Add($"{SectionName}:MaxPlanAttempts must be at least 1.");
        }

        if (RetryInterval <= TimeSpan.Zero)
        {
            problems.Add($"{SectionName}:RetryInterval must be positive.");
        }

        if (CheckpointTimeout <= TimeSpan.Zero || HeartbeatTimeout <= TimeSpan.Zero)
        {
            problems.Add($"{SectionName}:CheckpointTimeout and HeartbeatTimeout must be positive.");
        }

        if (MaxHistory < 10)
        {
            problems.Add($"{SectionName}:MaxHistory must be at least 10.");
        }

        return problems;
    }
}
