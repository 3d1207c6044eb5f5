using E = CarbonFunctions.Core.Lifecycle.JobEventKind;
using S = CarbonFunctions.Core.Lifecycle.JobStatus;

namespace CarbonFunctions.Core.Lifecycle;

/// <summary>The columns of the lifecycle table: one per <see cref="JobEvent"/> type.</summary>
public enum JobEventKind
{
    Submitted,
    Planned,
    Replanned,
    PlanningFailed,
    ForecastsUpdated,
    TimerFired,
    PoolObserved,
    PoolCommandFailed,
    WorkFinished,
    CancelRequested,
    WorkloadStarted,
    AgentHeartbeat,
    CheckpointAcknowledged,
    WorkloadExited,
    CheckpointRequested,
}

/// <summary>What a cell of the lifecycle table does with its event.</summary>
public enum CellAction
{
    /// <summary>A handler decides (it may still find the event stale or a duplicate and ignore it).</summary>
    Handle,

    /// <summary>Nothing changes and nothing is run: the event means nothing in this status.</summary>
    Ignore,

    /// <summary>Nothing changes, and the sender is told why (<see cref="JobDecision.Refusal"/>): the request contradicts the job's state.</summary>
    Refuse,
}

/// <summary>
/// One cell of the lifecycle table: what a job in <see cref="Status"/> does with an event of kind <see cref="Event"/>,
/// and why (<see cref="Rule"/>). For a handled cell, <see cref="Next"/> and <see cref="Commands"/> are where the cell's
/// typical event leads (the rule names the other branches); a null <see cref="Next"/> means the terminal status the
/// job was stopping for.
/// </summary>
public sealed record LifecycleCell(JobStatus Status, JobEventKind Event, CellAction Action, string Rule)
{
    public JobStatus? Next { get; init; }

    public IReadOnlyList<Type> Commands { get; init; } = [];
}

public static partial class JobLifecycle
{
    /// <summary>The event kind of <paramref name="evt"/>: its column in <see cref="Table"/>.</summary>
    public static JobEventKind KindOf(JobEvent evt) => evt switch
    {
        JobSubmitted => E.Submitted,
        JobPlanned => E.Planned,
        JobReplanned => E.Replanned,
        PlanningFailed => E.PlanningFailed,
        ForecastsUpdated => E.ForecastsUpdated,
        TimerFired => E.TimerFired,
        PoolObserved => E.PoolObserved,
        PoolCommandFailed => E.PoolCommandFailed,
        WorkFinished => E.WorkFinished,
        CancelRequested => E.CancelRequested,
        WorkloadStarted => E.WorkloadStarted,
        AgentHeartbeat => E.AgentHeartbeat,
        CheckpointAcknowledged => E.CheckpointAcknowledged,
        WorkloadExited => E.WorkloadExited,
        CheckpointRequested => E.CheckpointRequested,
        null => throw new ArgumentNullException(nameof(evt)),
        _ => throw new ArgumentException($"unknown event {evt.GetType().Name}", nameof(evt)),
    };

    private sealed record Entry(LifecycleCell Cell, Func<Step, JobDecision>? Handler);

    /// <summary>
    /// The whole behaviour, status by status: every (status, event kind) pair is declared exactly once (checked when
    /// the table is built). Handled cells name the phase and event types their handler takes; the expectations assume
    /// node agents (<see cref="LifecycleOptions.WorkloadAgents"/>; without them a pause or stop skips the checkpoint).
    /// </summary>
    private static readonly Entry[] Entries =
    [
        // ── Queued: accepted, not planned yet ──────────────────────────────────────────────────────────────────────
        On<QueuedPhase, JobSubmitted>(S.Queued, E.Submitted, OnSubmitted, "plan it; a redelivery finds the planning timer set and is ignored", S.Queued, typeof(PlanJob)),
        On<QueuedPhase, JobPlanned>(S.Queued, E.Planned, OnPlanned, "wait for the first slot (its pool is asked for at once when due); a plan with no slot: Failed", S.Planned),
        Ignored(S.Queued, E.Replanned, "nothing to re-plan before the first plan"),
        On<QueuedPhase, PlanningFailed>(S.Queued, E.PlanningFailed, OnPlanningFailed, "retry on the timer with back-off; past the attempts, or a final failure: Failed", S.Queued),
        Ignored(S.Queued, E.ForecastsUpdated, "the first plan is under way and reads the newest forecasts"),
        On<QueuedPhase, TimerFired>(S.Queued, E.TimerFired, OnQueuedTimer, "plan again (a failure's retry, or a plan command lost to a crash); early: ignored", S.Queued, typeof(PlanJob)),
        Ignored(S.Queued, E.PoolObserved, "no pool was asked for"),
        Ignored(S.Queued, E.PoolCommandFailed, "no pool was asked for"),
        Refused(S.Queued, E.WorkFinished, "the job has not run yet: nothing can have finished (cancel it instead)"),
        On<JobPhase, CancelRequested>(S.Queued, E.CancelRequested, OnCancel, "end at once: there is no pool to stop", S.Cancelled),
        Ignored(S.Queued, E.WorkloadStarted, "no pool: a stray agent message"),
        Ignored(S.Queued, E.AgentHeartbeat, "no pool: a stray agent message"),
        Ignored(S.Queued, E.CheckpointAcknowledged, "no pool: a stray agent message"),
        Ignored(S.Queued, E.WorkloadExited, "no pool: a stray agent message"),
        Ignored(S.Queued, E.CheckpointRequested, "no checkpoint in flight"),

        // ── Planned: waiting for the first slot, no pool yet ───────────────────────────────────────────────────────
        Ignored(S.Planned, E.Submitted, "a redelivery: the job is planned"),
        Ignored(S.Planned, E.Planned, "a duplicate: later plans come as re-plans"),
        On<PlannedPhase, JobReplanned>(S.Planned, E.Replanned, OnReplannedWhilePlanned, "wait for the new first slot (started at once when due); a plan that changes nothing: ignored", S.Planned),
        Ignored(S.Planned, E.PlanningFailed, "a failed re-plan: the plan stands"),
        On<ScheduledPhase, ForecastsUpdated>(S.Planned, E.ForecastsUpdated, ReplanRemainingWork, "re-plan against the new forecasts", S.Planned, typeof(ReplanJob)),
        On<ScheduledPhase, TimerFired>(S.Planned, E.TimerFired, OnWaitingTimer, "start the slot's pool; the deadline passed: DeadlineMissed; early: ignored", S.StartingPool, typeof(StartPool)),
        Ignored(S.Planned, E.PoolObserved, "no pool was asked for yet"),
        Ignored(S.Planned, E.PoolCommandFailed, "no pool was asked for yet"),
        Refused(S.Planned, E.WorkFinished, "the job has not run yet: nothing can have finished (cancel it instead)"),
        On<JobPhase, CancelRequested>(S.Planned, E.CancelRequested, OnCancel, "end at once: there is no pool to stop", S.Cancelled),
        Ignored(S.Planned, E.WorkloadStarted, "no pool: a stray agent message"),
        Ignored(S.Planned, E.AgentHeartbeat, "no pool: a stray agent message"),
        Ignored(S.Planned, E.CheckpointAcknowledged, "no pool: a stray agent message"),
        Ignored(S.Planned, E.WorkloadExited, "no pool: a stray agent message"),
        Ignored(S.Planned, E.CheckpointRequested, "no checkpoint in flight"),

        // ── StartingPool: the pool was asked for ───────────────────────────────────────────────────────────────────
        Ignored(S.StartingPool, E.Submitted, "a redelivery: the job is under way"),
        Ignored(S.StartingPool, E.Planned, "a duplicate: the job is under way"),
        Ignored(S.StartingPool, E.Replanned, "the pool is starting for the current slot; forecasts move the job again once it waits"),
        Ignored(S.StartingPool, E.PlanningFailed, "a failed re-plan: the plan stands"),
        Ignored(S.StartingPool, E.ForecastsUpdated, "only a job waiting for its slot re-plans"),
        On<StartingPhase, TimerFired>(S.StartingPool, E.TimerFired, OnStartingTimer, "ask for the pool again; past the start timeout: a failed attempt", S.StartingPool, typeof(StartPool)),
        On<StartingPhase, PoolObserved>(S.StartingPool, E.PoolObserved, OnStartingPoolObserved, "running with every node: Running; failed: a failed attempt; else keep polling", S.Running),
        On<StartingPhase, PoolCommandFailed>(S.StartingPool, E.PoolCommandFailed, OnStartCommandFailed, "a failed attempt: retry with back-off; past the attempts: stop, then Failed", S.StartingPool),
        On<JobPhase, WorkFinished>(S.StartingPool, E.WorkFinished, OnWorkFinished, "stop the pool, then Completed or Failed", S.Stopping, typeof(StopPool)),
        On<JobPhase, CancelRequested>(S.StartingPool, E.CancelRequested, OnCancel, "stop the pool, then Cancelled (nothing ran to checkpoint)", S.Stopping, typeof(StopPool)),
        On<StartingPhase, WorkloadStarted>(S.StartingPool, E.WorkloadStarted, OnWorkloadStartedWhileStarting, "note it; the heartbeat clock starts when the pool runs", S.StartingPool),
        Ignored(S.StartingPool, E.AgentHeartbeat, "the heartbeat clock starts when the pool runs"),
        On<JobPhase, JobEvent>(S.StartingPool, E.CheckpointAcknowledged, KeepLateReport, "a late answer to an earlier checkpoint: keep its workload report", S.StartingPool),
        On<PoolPhase, WorkloadExited>(S.StartingPool, E.WorkloadExited, OnWorkloadExited, "exit 0: stop, then Completed; non-zero: restart while retries last (pause, start again), else stop, then Failed", S.Stopping, typeof(StopPool)),
        Ignored(S.StartingPool, E.CheckpointRequested, "no checkpoint in flight"),

        // ── Running: the pool runs the slot ────────────────────────────────────────────────────────────────────────
        Ignored(S.Running, E.Submitted, "a redelivery: the job is under way"),
        Ignored(S.Running, E.Planned, "a duplicate: the job is under way"),
        On<RunningPhase, JobReplanned>(S.Running, E.Replanned, OnReplannedWhileRunning, "take a plan that starts now in the same region (resizing the pool when needed); any other: ignored", S.Running),
        Ignored(S.Running, E.PlanningFailed, "a failed re-plan: the plan stands"),
        Ignored(S.Running, E.ForecastsUpdated, "only a job waiting for its slot re-plans"),
        On<RunningPhase, TimerFired>(S.Running, E.TimerFired, OnRunningTimer, "slot over before a gap: checkpoint, then pause; next slot contiguous: run on (resized); deadline: checkpoint, then stop; silent agents: stop, then Failed", S.Checkpointing, typeof(RequestCheckpoint)),
        On<RunningPhase, PoolObserved>(S.Running, E.PoolObserved, OnRunningPoolObserved, "the pool stopped on its own: stop, then Completed; failed: stop, then Failed; anything else: ignored", S.Stopping, typeof(StopPool)),
        On<RunningPhase, PoolCommandFailed>(S.Running, E.PoolCommandFailed, OnRunningCommandFailed, "a resize failed: note it and run on", S.Running),
        On<JobPhase, WorkFinished>(S.Running, E.WorkFinished, OnWorkFinished, "stop the pool, then Completed or Failed", S.Stopping, typeof(StopPool)),
        On<JobPhase, CancelRequested>(S.Running, E.CancelRequested, OnCancel, "checkpoint, stop the pool, then Cancelled", S.Checkpointing, typeof(RequestCheckpoint)),
        On<RunningPhase, WorkloadStarted>(S.Running, E.WorkloadStarted, OnWorkloadStartedWhileRunning, "note it; it counts as a heartbeat", S.Running),
        On<RunningPhase, AgentHeartbeat>(S.Running, E.AgentHeartbeat, OnHeartbeat, "restart the heartbeat clock", S.Running),
        On<JobPhase, JobEvent>(S.Running, E.CheckpointAcknowledged, KeepLateReport, "a late answer to an earlier checkpoint: keep its workload report", S.Running),
        On<PoolPhase, WorkloadExited>(S.Running, E.WorkloadExited, OnWorkloadExited, "exit 0: stop, then Completed; non-zero: restart while retries last (pause, start again), else stop, then Failed", S.Stopping, typeof(StopPool)),
        Ignored(S.Running, E.CheckpointRequested, "no checkpoint in flight"),

        // ── Checkpointing: the agents were asked to checkpoint before a pause or a stop ────────────────────────────
        Ignored(S.Checkpointing, E.Submitted, "a redelivery: the job is under way"),
        Ignored(S.Checkpointing, E.Planned, "a duplicate: the job is under way"),
        Ignored(S.Checkpointing, E.Replanned, "the workload is checkpointing; forecasts move the job once it waits"),
        Ignored(S.Checkpointing, E.PlanningFailed, "a failed re-plan: the plan stands"),
        Ignored(S.Checkpointing, E.ForecastsUpdated, "only a job waiting for its slot re-plans"),
        On<CheckpointingPhase, TimerFired>(S.Checkpointing, E.TimerFired, OnCheckpointTimeout, "not every node answered in time: pause (or stop) anyway, recording the work at risk", S.Pausing, typeof(PausePool)),
        Ignored(S.Checkpointing, E.PoolObserved, "the pool is paused or stopped only after the checkpoint"),
        Ignored(S.Checkpointing, E.PoolCommandFailed, "no pool command is in flight while checkpointing"),
        On<JobPhase, WorkFinished>(S.Checkpointing, E.WorkFinished, OnWorkFinished, "stop the pool, then Completed or Failed", S.Stopping, typeof(StopPool)),
        On<CheckpointingPhase, CancelRequested>(S.Checkpointing, E.CancelRequested, OnCancelWhileCheckpointing, "a pause's checkpoint becomes a stop's; a stop's keeps its outcome", S.Checkpointing),
        Ignored(S.Checkpointing, E.WorkloadStarted, "the workload is being checkpointed"),
        Ignored(S.Checkpointing, E.AgentHeartbeat, "the checkpoint timeout bounds this phase, not the heartbeat"),
        On<CheckpointingPhase, CheckpointAcknowledged>(S.Checkpointing, E.CheckpointAcknowledged, OnCheckpointAcknowledged, "every node answered: pause (or stop); until then wait; an earlier request's answer: keep its report", S.Pausing, typeof(PausePool)),
        On<PoolPhase, WorkloadExited>(S.Checkpointing, E.WorkloadExited, OnWorkloadExited, "exit 0: stop, then Completed; non-zero: the pause or stop goes ahead while retries last, else stop, then Failed", S.Stopping, typeof(StopPool)),
        On<CheckpointingPhase, CheckpointRequested>(S.Checkpointing, E.CheckpointRequested, OnCheckpointRequested, "not delivered: note it (the checkpoint timeout still applies); delivered: ignored", S.Checkpointing),

        // ── Pausing: the pool was asked to pause ───────────────────────────────────────────────────────────────────
        Ignored(S.Pausing, E.Submitted, "a redelivery: the job is under way"),
        Ignored(S.Pausing, E.Planned, "a duplicate: the job is under way"),
        Ignored(S.Pausing, E.Replanned, "the pool is pausing; forecasts move the job once it is paused"),
        Ignored(S.Pausing, E.PlanningFailed, "a failed re-plan: the plan stands"),
        Ignored(S.Pausing, E.ForecastsUpdated, "only a job waiting for its slot re-plans"),
        On<PausingPhase, TimerFired>(S.Pausing, E.TimerFired, OnPausingTimer, "ask for the pause again", S.Pausing, typeof(PausePool)),
        On<PausingPhase, PoolObserved>(S.Pausing, E.PoolObserved, OnPausingPoolObserved, "paused (or stopped): wait for the next slot, or start again at once after a restart; else ignored", S.Paused),
        On<JobPhase, PoolCommandFailed>(S.Pausing, E.PoolCommandFailed, RetryPoolCommandLater, "retry the pause on the timer", S.Pausing),
        On<JobPhase, WorkFinished>(S.Pausing, E.WorkFinished, OnWorkFinished, "stop the pool, then Completed or Failed", S.Stopping, typeof(StopPool)),
        On<JobPhase, CancelRequested>(S.Pausing, E.CancelRequested, OnCancel, "stop the pool, then Cancelled", S.Stopping, typeof(StopPool)),
        Ignored(S.Pausing, E.WorkloadStarted, "the pool is pausing"),
        Ignored(S.Pausing, E.AgentHeartbeat, "the pool is pausing"),
        On<JobPhase, JobEvent>(S.Pausing, E.CheckpointAcknowledged, KeepLateReport, "a late answer: keep its workload report", S.Pausing),
        On<JobPhase, JobEvent>(S.Pausing, E.WorkloadExited, KeepLateReport, "the workload went down with the pause: keep its report", S.Pausing),
        Ignored(S.Pausing, E.CheckpointRequested, "no checkpoint in flight"),

        // ── Paused: waiting for the next slot with the pool paused ─────────────────────────────────────────────────
        Ignored(S.Paused, E.Submitted, "a redelivery: the job is under way"),
        Ignored(S.Paused, E.Planned, "a duplicate: later plans come as re-plans"),
        On<PausedPhase, JobReplanned>(S.Paused, E.Replanned, OnReplannedWhilePaused, "wait for the new next slot in the same region (started at once when due); another region or no change: ignored", S.Paused),
        Ignored(S.Paused, E.PlanningFailed, "a failed re-plan: the plan stands"),
        On<ScheduledPhase, ForecastsUpdated>(S.Paused, E.ForecastsUpdated, ReplanRemainingWork, "re-plan the remaining work against the new forecasts", S.Paused, typeof(ReplanJob)),
        On<ScheduledPhase, TimerFired>(S.Paused, E.TimerFired, OnWaitingTimer, "resume: start the pool; the deadline passed: stop, then DeadlineMissed; early: ignored", S.StartingPool, typeof(StartPool)),
        Ignored(S.Paused, E.PoolObserved, "the pool stays paused until the next slot"),
        Ignored(S.Paused, E.PoolCommandFailed, "no pool command is in flight"),
        On<JobPhase, WorkFinished>(S.Paused, E.WorkFinished, OnWorkFinished, "it ran before: stop the pool, then Completed or Failed", S.Stopping, typeof(StopPool)),
        On<JobPhase, CancelRequested>(S.Paused, E.CancelRequested, OnCancel, "stop the paused pool, then Cancelled", S.Stopping, typeof(StopPool)),
        Ignored(S.Paused, E.WorkloadStarted, "the pool is paused"),
        Ignored(S.Paused, E.AgentHeartbeat, "the pool is paused"),
        On<JobPhase, JobEvent>(S.Paused, E.CheckpointAcknowledged, KeepLateReport, "a late answer: keep its workload report", S.Paused),
        On<JobPhase, JobEvent>(S.Paused, E.WorkloadExited, KeepLateReport, "the workload went down with the pause: keep its report", S.Paused),
        Ignored(S.Paused, E.CheckpointRequested, "no checkpoint in flight"),

        // ── Stopping: the pool is being stopped; the outcome is decided ────────────────────────────────────────────
        Ignored(S.Stopping, E.Submitted, "a redelivery: the job is ending"),
        Ignored(S.Stopping, E.Planned, "a duplicate: the job is ending"),
        Ignored(S.Stopping, E.Replanned, "the job is ending"),
        Ignored(S.Stopping, E.PlanningFailed, "the job is ending"),
        Ignored(S.Stopping, E.ForecastsUpdated, "the job is ending"),
        On<StoppingPhase, TimerFired>(S.Stopping, E.TimerFired, OnStoppingTimer, "ask for the stop again", S.Stopping, typeof(StopPool)),
        On<StoppingPhase, PoolObserved>(S.Stopping, E.PoolObserved, OnStoppingPoolObserved, "stopped with no node left: the outcome it was stopping for; else ignored", null),
        On<JobPhase, PoolCommandFailed>(S.Stopping, E.PoolCommandFailed, RetryPoolCommandLater, "retry the stop on the timer", S.Stopping),
        On<JobPhase, WorkFinished>(S.Stopping, E.WorkFinished, OnWorkFinished, "the first outcome stands; ask for the stop again", S.Stopping, typeof(StopPool)),
        On<JobPhase, CancelRequested>(S.Stopping, E.CancelRequested, OnCancel, "the first outcome stands; ask for the stop again", S.Stopping, typeof(StopPool)),
        Ignored(S.Stopping, E.WorkloadStarted, "the pool is stopping"),
        Ignored(S.Stopping, E.AgentHeartbeat, "the pool is stopping"),
        On<JobPhase, JobEvent>(S.Stopping, E.CheckpointAcknowledged, KeepLateReport, "the stop's checkpoint came late: keep its workload report", S.Stopping),
        On<JobPhase, JobEvent>(S.Stopping, E.WorkloadExited, KeepLateReport, "the workload went down with the stop: keep its report", S.Stopping),
        Ignored(S.Stopping, E.CheckpointRequested, "no checkpoint in flight"),

        // ── Completed, Failed, Cancelled, DeadlineMissed: the job has ended, and every event is ignored ────────────
        .. EndedRow(S.Completed),
        .. EndedRow(S.Failed),
        .. EndedRow(S.Cancelled),
        .. EndedRow(S.DeadlineMissed),
    ];

    private static readonly Entry[,] Cells = Index(Entries);

    /// <summary>Every cell of the table, status by status.</summary>
    public static IReadOnlyList<LifecycleCell> Table { get; } = [.. Entries.Select(e => e.Cell)];

    /// <summary>The cell for <paramref name="status"/> and <paramref name="kind"/>.</summary>
    public static LifecycleCell CellOf(JobStatus status, JobEventKind kind) => CellFor(status, kind).Cell;

    private static Entry CellFor(JobStatus status, JobEventKind kind) => Cells[(int)status, (int)kind];

    private static Entry On<TPhase, TEvent>(JobStatus status, JobEventKind kind, Func<TPhase, TEvent, Step, JobDecision> handler, string rule, JobStatus? next, params Type[] commands)
        where TPhase : JobPhase
        where TEvent : JobEvent =>
        new(new LifecycleCell(status, kind, CellAction.Handle, rule) { Next = next, Commands = commands }, step => handler((TPhase)step.State.Phase, (TEvent)step.Event, step));

    private static Entry Ignored(JobStatus status, JobEventKind kind, string why) => new(new LifecycleCell(status, kind, CellAction.Ignore, why), null);

    private static Entry Refused(JobStatus status, JobEventKind kind, string why) => new(new LifecycleCell(status, kind, CellAction.Refuse, why), null);

    private static IEnumerable<Entry> EndedRow(JobStatus status) =>
        Enum.GetValues<JobEventKind>().Select(kind => Ignored(status, kind, "the job has ended"));

    /// <summary>Lays the cells out by (status, kind), refusing a table with a cell missing or declared twice.</summary>
    private static Entry[,] Index(Entry[] entries)
    {
        var statuses = Enum.GetValues<JobStatus>();
        var kinds = Enum.GetValues<JobEventKind>();
        var cells = new Entry[statuses.Length, kinds.Length];
        foreach (var entry in entries)
        {
            ref var cell = ref cells[(int)entry.Cell.Status, (int)entry.Cell.Event];
            if (cell is not null)
            {
                throw new InvalidOperationException($"the lifecycle table declares {entry.Cell.Status} x {entry.Cell.Event} twice");
            }

            cell = entry;
        }

        var missing = statuses.SelectMany(s => kinds.Where(k => cells[(int)s, (int)k] is null).Select(k => $"{s} x {k}")).ToList();
        return missing.Count == 0 ? cells : throw new InvalidOperationException("the lifecycle table has no cell for " + string.Join(", ", missing));
    }
}
