using CarbonFunctions.Core.Planning;

namespace CarbonFunctions.Core.Lifecycle;

/// <summary>Where a job is in its life. The last four are terminal.</summary>
public enum JobStatus
{
    Queued,

    /// <summary>Planned and waiting for its first slot.</summary>
    Planned,
    StartingPool,
    Running,
    /// <summary>The node agents were asked to checkpoint before a pause or a planned stop (<see cref="JobState.Checkpoint"/>).</summary>
    Checkpointing,
    Pausing,
    Paused,

    /// <summary>The pool is being stopped; <see cref="JobState.Outcome"/> says which terminal status follows.</summary>
    Stopping,
    Completed,
    Failed,
    Cancelled,
    DeadlineMissed,
}

/// <summary>Why the workload is being checkpointed: to pause until the next slot, or to stop for good.</summary>
public enum CheckpointPurpose
{
    Pause,
    Stop,
}

/// <summary>
/// A checkpoint in flight: the request the agents answer, which nodes have, and — for a stop — the terminal status and
/// reason that follow once the pool is stopped.
/// </summary>
public sealed record CheckpointInFlight(string RequestId, DateTimeOffset RequestedAt, CheckpointPurpose Purpose, IReadOnlyList<string> AcknowledgedBy, JobStatus? Outcome = null, string? Reason = null);

/// <summary>One recorded change of status, with the reason.</summary>
public sealed record JobTransition(DateTimeOffset At, JobStatus From, JobStatus To, string Reason);

/// <summary>
/// Everything the lifecycle needs to decide the next step of one job. Immutable: <see cref="JobLifecycle.Decide"/>
/// returns a new state. Both hosts persist it (the local host in a Table row, Durable in orchestration input).
/// </summary>
public sealed record JobState
{
    public required string JobId { get; init; }
    public required JobStatus Status { get; init; }
    public JobPlan? Plan { get; init; }

    /// <summary>Index into <see cref="JobPlan.Slots"/> of the slot being waited for or run.</summary>
    public int SlotIndex { get; init; }

    /// <summary>When the job next needs attention (slot start or end, pool poll, retry, deadline); null when nothing is scheduled.</summary>
    public DateTimeOffset? WakeAt { get; init; }

    /// <summary>Nodes the pool was last asked to run, and where.</summary>
    public int Nodes { get; init; }

    public string? Region { get; init; }

    /// <summary>Accumulated time with the pool running (for re-planning the remaining work).</summary>
    public TimeSpan RunTime { get; init; }

    public DateTimeOffset? RunningSince { get; init; }

    /// <summary>When the current pool start was first asked for (to bound how long a start may take).</summary>
    public DateTimeOffset? StartRequestedAt { get; init; }

    public int StartAttempts { get; init; }

    /// <summary>Planning attempts that failed while the job was queued.</summary>
    public int PlanAttempts { get; init; }

    /// <summary>While <see cref="JobStatus.Checkpointing"/>: the request the node agents answer.</summary>
    public CheckpointInFlight? Checkpoint { get; init; }

    /// <summary>When a node agent last said it was alive (or the pool came up); the hung-workload check counts from it.</summary>
    public DateTimeOffset? LastHeartbeatAt { get; init; }

    /// <summary>What the workload last reported (steps, checkpoints, resumes, steps lost to interruptions).</summary>
    public Agents.WorkloadReport? Workload { get; init; }

    /// <summary>Checkpoints the agents acknowledged, and those that timed out (the pool was paused or stopped anyway).</summary>
    public int CheckpointsAcknowledged { get; init; }

    public int CheckpointsMissed { get; init; }

    /// <summary>While <see cref="JobStatus.Stopping"/>: the terminal status to record once the pool is stopped.</summary>
    public JobStatus? Outcome { get; init; }

    /// <summary>True once any pool start was requested: from then on the pool must be stopped before the job ends.</summary>
    public bool PoolEverStarted { get; init; }

    public string? Reason { get; init; }
    public required DateTimeOffset UpdatedAt { get; init; }
    public IReadOnlyList<JobTransition> History { get; init; } = [];

    /// <summary>Waiting for a slot, before or between runs: the only statuses in which new forecasts can move the job.</summary>
    public bool IsWaitingForSlot => Status is JobStatus.Planned or JobStatus.Paused;

    public bool IsTerminal => Status is JobStatus.Completed or JobStatus.Failed or JobStatus.Cancelled or JobStatus.DeadlineMissed;

    /// <summary>The slot being waited for or run, if any.</summary>
    public PlannedSlot? CurrentSlot => Plan is { } plan && SlotIndex < plan.Slots.Count ? plan.Slots[SlotIndex] : null;

    /// <summary>True when <paramref name="plan"/> differs from the slots this job has still to run (a re-plan worth sending).</summary>
    public bool WouldChangeRemainingPlan(JobPlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var remaining = Plan?.Slots.Skip(SlotIndex).ToList() ?? [];
        return plan.Slots.Count > 0 && !plan.Slots.SequenceEqual(remaining);
    }

    public static JobState New(string jobId, DateTimeOffset at) => new() { JobId = jobId, Status = JobStatus.Queued, UpdatedAt = at };
}
