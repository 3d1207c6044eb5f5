using System.Text.Json.Serialization;
using CarbonFunctions.Core.Agents;
using CarbonFunctions.Core.Planning;

namespace CarbonFunctions.Core.Lifecycle;

/// <summary>Where a job is in its life, derived from its <see cref="JobPhase"/>. The last four are terminal.</summary>
public enum JobStatus
{
    Queued,

    /// <summary>Planned and waiting for its first slot.</summary>
    Planned,
    StartingPool,
    Running,

    /// <summary>The node agents were asked to checkpoint before a pause or a planned stop (<see cref="CheckpointingPhase"/>).</summary>
    Checkpointing,
    Pausing,
    Paused,

    /// <summary>The pool is being stopped; <see cref="StoppingPhase.Ending"/> says which terminal status follows.</summary>
    Stopping,
    Completed,
    Failed,
    Cancelled,
    DeadlineMissed,
}

/// <summary>The terminal statuses: what a job can end as.</summary>
public enum TerminalStatus
{
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

/// <summary>How a job ends: its terminal outcome and why. Neither can be missing.</summary>
public sealed record JobEnding
{
    public JobEnding(TerminalStatus outcome, string reason)
    {
        if (!Enum.IsDefined(outcome))
        {
            throw new ArgumentOutOfRangeException(nameof(outcome), outcome, "not a job outcome");
        }

        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        Outcome = outcome;
        Reason = reason;
    }

    public TerminalStatus Outcome { get; }

    public string Reason { get; }

    /// <summary>The terminal status the outcome stands for.</summary>
    [JsonIgnore]
    public JobStatus Status => Outcome switch
    {
        TerminalStatus.Completed => JobStatus.Completed,
        TerminalStatus.Failed => JobStatus.Failed,
        TerminalStatus.Cancelled => JobStatus.Cancelled,
        _ => JobStatus.DeadlineMissed,
    };
}

/// <summary>The pool a job asked for: where, and how many nodes.</summary>
public sealed record PoolInUse(string Region, int Nodes);

/// <summary>
/// A checkpoint in flight: the request the agents answer and which nodes have. <see cref="StopFor"/> is null for a
/// checkpoint before a pause, and otherwise the ending that follows once the pool is stopped.
/// </summary>
public sealed record CheckpointInFlight(string RequestId, DateTimeOffset RequestedAt, IReadOnlyList<string> AcknowledgedBy, JobEnding? StopFor = null)
{
    [JsonIgnore]
    public CheckpointPurpose Purpose => StopFor is null ? CheckpointPurpose.Pause : CheckpointPurpose.Stop;
}

/// <summary>One recorded change of status, with the reason.</summary>
public sealed record JobTransition(DateTimeOffset At, JobStatus From, JobStatus To, string Reason);

/// <summary>
/// What a job's current status needs to know, and nothing more: one record per status (the four terminal statuses
/// share <see cref="EndedPhase"/>). The hierarchy is closed: only this assembly can add a phase.
/// </summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "phase")]
[JsonDerivedType(typeof(QueuedPhase), "queued")]
[JsonDerivedType(typeof(PlannedPhase), "planned")]
[JsonDerivedType(typeof(StartingPhase), "starting")]
[JsonDerivedType(typeof(RunningPhase), "running")]
[JsonDerivedType(typeof(CheckpointingPhase), "checkpointing")]
[JsonDerivedType(typeof(PausingPhase), "pausing")]
[JsonDerivedType(typeof(PausedPhase), "paused")]
[JsonDerivedType(typeof(StoppingPhase), "stopping")]
[JsonDerivedType(typeof(EndedPhase), "ended")]
public abstract record JobPhase
{
    private protected JobPhase()
    {
    }

    [JsonIgnore]
    public JobStatus Status => this switch
    {
        QueuedPhase => JobStatus.Queued,
        PlannedPhase => JobStatus.Planned,
        StartingPhase => JobStatus.StartingPool,
        RunningPhase => JobStatus.Running,
        CheckpointingPhase => JobStatus.Checkpointing,
        PausingPhase => JobStatus.Pausing,
        PausedPhase => JobStatus.Paused,
        StoppingPhase => JobStatus.Stopping,
        EndedPhase ended => ended.Ending.Status,
        _ => throw new InvalidOperationException($"unknown phase {GetType().Name}"),
    };
}

/// <summary>A phase with a plan: the slot being waited for or run is <see cref="SlotIndex"/>.</summary>
public abstract record ScheduledPhase : JobPhase
{
    private protected ScheduledPhase(JobPlan plan, int slotIndex)
    {
        ArgumentNullException.ThrowIfNull(plan);
        Plan = plan;
        SlotIndex = slotIndex;
    }

    public JobPlan Plan { get; init; }

    /// <summary>Index into <see cref="JobPlan.Slots"/>; equal to the count once the plan's slots are over.</summary>
    public int SlotIndex { get; init; }
}

/// <summary>A phase with a pool asked for: from here on the pool must be stopped before the job ends.</summary>
public abstract record PoolPhase : ScheduledPhase
{
    private protected PoolPhase(JobPlan plan, int slotIndex, PoolInUse pool)
        : base(plan, slotIndex)
    {
        ArgumentNullException.ThrowIfNull(pool);
        Pool = pool;
    }

    public PoolInUse Pool { get; init; }
}

/// <summary>Accepted, not planned yet. <see cref="RetryAt"/> is the planning timer (null until the job was seen once).</summary>
public sealed record QueuedPhase(int PlanAttempts, DateTimeOffset? RetryAt) : JobPhase;

/// <summary>Planned, waiting for the first slot; the pool is asked for at <see cref="WakeAt"/>.</summary>
public sealed record PlannedPhase(JobPlan Plan, DateTimeOffset WakeAt) : ScheduledPhase(Plan, 0);

/// <summary>The pool was asked for at <see cref="RequestedAt"/> (attempt <see cref="Attempts"/> + 1); polled at <see cref="WakeAt"/>.</summary>
public sealed record StartingPhase(JobPlan Plan, int SlotIndex, PoolInUse Pool, DateTimeOffset RequestedAt, int Attempts, DateTimeOffset WakeAt, string? PoolDetail = null)
    : PoolPhase(Plan, SlotIndex, Pool);

/// <summary>The pool runs since <see cref="Since"/> (or since run time was last counted); next checked at <see cref="WakeAt"/>.</summary>
public sealed record RunningPhase(JobPlan Plan, int SlotIndex, PoolInUse Pool, DateTimeOffset Since, DateTimeOffset LastHeartbeatAt, DateTimeOffset WakeAt)
    : PoolPhase(Plan, SlotIndex, Pool);

/// <summary>The agents were asked to checkpoint; at <see cref="WakeAt"/> the pool is paused or stopped anyway.</summary>
public sealed record CheckpointingPhase(JobPlan Plan, int SlotIndex, PoolInUse Pool, CheckpointInFlight Checkpoint, DateTimeOffset WakeAt)
    : PoolPhase(Plan, SlotIndex, Pool)
{
    public CheckpointInFlight Checkpoint { get; init; } = Checkpoint ?? throw new ArgumentNullException(nameof(Checkpoint));
}

/// <summary>The pool was asked to pause before slot <see cref="ScheduledPhase.SlotIndex"/>; asked again at <see cref="WakeAt"/>.</summary>
public sealed record PausingPhase(JobPlan Plan, int SlotIndex, PoolInUse Pool, DateTimeOffset WakeAt) : PoolPhase(Plan, SlotIndex, Pool);

/// <summary>The pool is paused; it is started again at <see cref="WakeAt"/>.</summary>
public sealed record PausedPhase(JobPlan Plan, int SlotIndex, PoolInUse Pool, DateTimeOffset WakeAt) : PoolPhase(Plan, SlotIndex, Pool);

/// <summary>The pool is being stopped (asked again at <see cref="WakeAt"/>); then the job ends as <see cref="Ending"/> says.</summary>
public sealed record StoppingPhase(JobPlan Plan, PoolInUse Pool, JobEnding Ending, DateTimeOffset WakeAt) : JobPhase
{
    public JobPlan Plan { get; init; } = Plan ?? throw new ArgumentNullException(nameof(Plan));

    public PoolInUse Pool { get; init; } = Pool ?? throw new ArgumentNullException(nameof(Pool));

    public JobEnding Ending { get; init; } = Ending ?? throw new ArgumentNullException(nameof(Ending));
}

/// <summary>The job ended. <see cref="Plan"/> and <see cref="Pool"/> are kept for the record (null when there never was one).</summary>
public sealed record EndedPhase(JobEnding Ending, JobPlan? Plan = null, PoolInUse? Pool = null) : JobPhase
{
    public JobEnding Ending { get; init; } = Ending ?? throw new ArgumentNullException(nameof(Ending));
}

/// <summary>
/// Everything the lifecycle needs to decide the next step of one job: what lives across phases (history, run time,
/// counters, the last workload report) and the <see cref="Phase"/>. Immutable: <see cref="JobLifecycle.Decide"/>
/// returns a new state. Both hosts persist it (the local host in a Table row, Durable in orchestration input).
/// The other properties are read-only views of the phase for the layers that only read.
/// </summary>
public sealed record JobState
{
    public required string JobId { get; init; }

    public required JobPhase Phase { get; init; }

    public required DateTimeOffset UpdatedAt { get; init; }

    public IReadOnlyList<JobTransition> History { get; init; } = [];

    /// <summary>Accumulated time with the pool running, up to the current <see cref="RunningPhase.Since"/> (for re-planning the remaining work).</summary>
    public TimeSpan RunTime { get; init; }

    /// <summary>What the workload last reported (steps, checkpoints, resumes, steps lost to interruptions).</summary>
    public WorkloadReport? Workload { get; init; }

    /// <summary>Checkpoints the agents acknowledged, and those that timed out (the pool was paused or stopped anyway).</summary>
    public int CheckpointsAcknowledged { get; init; }

    public int CheckpointsMissed { get; init; }

    /// <summary>Restarts after a non-zero workload exit, out of the job's <see cref="Jobs.Workload.MaxRetries"/>.</summary>
    public int WorkloadRestarts { get; init; }

    /// <summary>Derived from the phase; written to JSON for readers of the API, ignored when read back.</summary>
    public JobStatus Status => Phase.Status;

    /// <summary>When the job next needs attention (slot start or end, pool poll, retry, deadline); null when nothing is scheduled.</summary>
    public DateTimeOffset? WakeAt => Phase switch
    {
        QueuedPhase q => q.RetryAt,
        PlannedPhase p => p.WakeAt,
        StartingPhase s => s.WakeAt,
        RunningPhase r => r.WakeAt,
        CheckpointingPhase c => c.WakeAt,
        PausingPhase p => p.WakeAt,
        PausedPhase p => p.WakeAt,
        StoppingPhase s => s.WakeAt,
        _ => null,
    };

    [JsonIgnore]
    public JobPlan? Plan => Phase switch
    {
        ScheduledPhase s => s.Plan,
        StoppingPhase s => s.Plan,
        EndedPhase e => e.Plan,
        _ => null,
    };

    /// <summary>Index into <see cref="JobPlan.Slots"/> of the slot being waited for or run (0 outside those phases).</summary>
    [JsonIgnore]
    public int SlotIndex => Phase is ScheduledPhase s ? s.SlotIndex : 0;

    /// <summary>The pool asked for, once there is one (kept after the end for the record).</summary>
    [JsonIgnore]
    public PoolInUse? Pool => Phase switch
    {
        PoolPhase p => p.Pool,
        StoppingPhase s => s.Pool,
        EndedPhase e => e.Pool,
        _ => null,
    };

    /// <summary>Nodes the pool was last asked to run (0 before any).</summary>
    [JsonIgnore]
    public int Nodes => Pool?.Nodes ?? 0;

    /// <summary>Where the pool runs, or where the plan puts it before it is started.</summary>
    [JsonIgnore]
    public string? Region => Pool?.Region ?? Plan?.Region;

    [JsonIgnore]
    public DateTimeOffset? RunningSince => Phase is RunningPhase r ? r.Since : null;

    /// <summary>When the current pool start was asked for (to bound how long a start may take).</summary>
    [JsonIgnore]
    public DateTimeOffset? StartRequestedAt => Phase is StartingPhase s ? s.RequestedAt : null;

    [JsonIgnore]
    public CheckpointInFlight? Checkpoint => Phase is CheckpointingPhase c ? c.Checkpoint : null;

    /// <summary>While stopping and once ended: the terminal status.</summary>
    [JsonIgnore]
    public JobStatus? Outcome => Phase switch
    {
        StoppingPhase s => s.Ending.Status,
        EndedPhase e => e.Ending.Status,
        _ => null,
    };

    /// <summary>Why the job is ending or ended; while the pool starts, what the provider last said about it.</summary>
    [JsonIgnore]
    public string? Reason => Phase switch
    {
        StoppingPhase s => s.Ending.Reason,
        EndedPhase e => e.Ending.Reason,
        StartingPhase s => s.PoolDetail,
        _ => null,
    };

    /// <summary>True once any pool start was requested: from then on the pool must be stopped before the job ends.</summary>
    [JsonIgnore]
    public bool PoolEverStarted => Pool is not null;

    /// <summary>Waiting for a slot, before or between runs: the only statuses in which new forecasts can move the job.</summary>
    [JsonIgnore]
    public bool IsWaitingForSlot => Phase is PlannedPhase or PausedPhase;

    [JsonIgnore]
    public bool IsTerminal => Phase is EndedPhase;

    /// <summary>The slot being waited for or run, if any.</summary>
    [JsonIgnore]
    public PlannedSlot? CurrentSlot => Phase is ScheduledPhase s && s.SlotIndex < s.Plan.Slots.Count ? s.Plan.Slots[s.SlotIndex] : null;

    /// <summary>True when <paramref name="plan"/> differs from the slots this job has still to run (a re-plan worth sending).</summary>
    public bool WouldChangeRemainingPlan(JobPlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var remaining = Plan?.Slots.Skip(SlotIndex).ToList() ?? [];
        return plan.Slots.Count > 0 && !plan.Slots.SequenceEqual(remaining);
    }

    public static JobState New(string jobId, DateTimeOffset at) => new() { JobId = jobId, Phase = new QueuedPhase(0, null), UpdatedAt = at };
}
