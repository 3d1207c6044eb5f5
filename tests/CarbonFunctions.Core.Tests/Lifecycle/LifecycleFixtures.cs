using CarbonFunctions.Core.Agents;
using CarbonFunctions.Core.Jobs;
using CarbonFunctions.Core.Lifecycle;
using CarbonFunctions.Core.Planning;
using CarbonFunctions.Core.Pools;

namespace CarbonFunctions.Core.Tests.Lifecycle;

/// <summary>
/// One representative state per status and one representative event per kind, for the table walk and the JSON
/// round-trips. The job has two one-hour slots (T0+1h and T0+4h, 2 nodes in westeurope) and node agents run.
/// </summary>
internal static class LifecycleFixtures
{
    public static readonly DateTimeOffset T0 = new(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);

    public static readonly LifecycleOptions Options = new()
    {
        WorkloadAgents = true,
        CheckpointTimeout = TimeSpan.FromMinutes(10),
        HeartbeatTimeout = TimeSpan.FromMinutes(15),
    };

    public static readonly TrainingJob Job = new()
    {
        SchemaVersion = 1,
        Id = "job-1",
        Name = "test",
        Owner = "team",
        Pool = new PoolRequest { Kind = PoolKind.Gpu, Provider = CloudProvider.Azure, NodeSize = "Standard_NC24ads_A100_v4", MinNodes = 2, MaxNodes = 2 },
        Regions = ["westeurope"],
        EstimatedDuration = TimeSpan.FromHours(2),
        Deadline = T0.AddHours(12),
        Interruptible = true,
        ResumeOverhead = TimeSpan.Zero,
        Workload = new Workload { Image = "img" },
    };

    public static readonly JobPlan Plan = PlanOf((T0.AddHours(1), T0.AddHours(2)), (T0.AddHours(4), T0.AddHours(5)));

    public static readonly PoolInUse Pool = new("westeurope", 2);

    public static readonly WorkloadReport Report = new(null, 120, 12, 0, 0);

    public static JobPlan PlanOf(params (DateTimeOffset Start, DateTimeOffset End)[] slots) => new()
    {
        JobId = Job.Id,
        Policy = "suspend-resume",
        Region = "westeurope",
        PlannedAt = T0,
        Slots = [.. slots.Select(s => new PlannedSlot(s.Start, s.End, 2, "westeurope", 100))],
        ExpectedGramsCo2e = 200,
        RunNowGramsCo2e = 300,
        MeetsDeadline = true,
    };

    /// <summary>A state in <paramref name="status"/>, last updated at a time that fits the status.</summary>
    public static JobState StateIn(JobStatus status) => status switch
    {
        JobStatus.Queued => With(new QueuedPhase(0, T0.AddMinutes(2)), T0),
        JobStatus.Planned => With(new PlannedPhase(Plan, T0.AddHours(1)), T0),
        JobStatus.StartingPool => With(new StartingPhase(Plan, 0, Pool, T0.AddHours(1), 0, T0.AddHours(1).AddMinutes(1)), T0.AddHours(1)),
        JobStatus.Running => With(new RunningPhase(Plan, 0, Pool, T0.AddHours(1), T0.AddHours(2).AddMinutes(-5), T0.AddHours(2)), T0.AddHours(1.5)),
        JobStatus.Checkpointing => With(new CheckpointingPhase(Plan, 1, Pool, new CheckpointInFlight("job-1-c1", T0.AddHours(2), ["0"]), T0.AddHours(2).AddMinutes(10)), T0.AddHours(2)),
        JobStatus.Pausing => With(new PausingPhase(Plan, 1, Pool, T0.AddHours(2).AddMinutes(2)), T0.AddHours(2)),
        JobStatus.Paused => With(new PausedPhase(Plan, 1, Pool, T0.AddHours(4)), T0.AddHours(2).AddMinutes(3)),
        JobStatus.Stopping => With(new StoppingPhase(Plan, Pool, new JobEnding(TerminalStatus.Cancelled, "cancelled: test"), T0.AddHours(3)), T0.AddHours(3)),
        JobStatus.Completed => With(new EndedPhase(new JobEnding(TerminalStatus.Completed, "done"), Plan, Pool), T0.AddHours(3)),
        JobStatus.Failed => With(new EndedPhase(new JobEnding(TerminalStatus.Failed, "could not be planned: no forecast")), T0.AddHours(3)),
        JobStatus.Cancelled => With(new EndedPhase(new JobEnding(TerminalStatus.Cancelled, "cancelled: test"), Plan), T0.AddHours(3)),
        JobStatus.DeadlineMissed => With(new EndedPhase(new JobEnding(TerminalStatus.DeadlineMissed, "the deadline passed"), Plan, Pool), T0.AddHours(3)),
        _ => throw new ArgumentOutOfRangeException(nameof(status)),
    };

    /// <summary>The typical event of <paramref name="kind"/> for <paramref name="state"/>: timers when due, pools in the state the status waits for.</summary>
    public static JobEvent EventFor(JobEventKind kind, JobState state)
    {
        var at = state.UpdatedAt.AddMinutes(1);
        var requestId = state.Checkpoint?.RequestId ?? "job-1-c0";
        return kind switch
        {
            JobEventKind.Submitted => new JobSubmitted(at),
            JobEventKind.Planned => new JobPlanned(at, Plan),
            JobEventKind.Replanned => new JobReplanned(at, state.Status == JobStatus.Running ? PlanOf((at, at.AddHours(1))) : PlanOf((T0.AddHours(6), T0.AddHours(7)))),
            JobEventKind.PlanningFailed => new PlanningFailed(at, "forecast store unreachable"),
            JobEventKind.ForecastsUpdated => new ForecastsUpdated(at),
            JobEventKind.TimerFired => new TimerFired(state.WakeAt ?? at),
            JobEventKind.PoolObserved => new PoolObserved(at, PoolFor(state.Status)),
            JobEventKind.PoolCommandFailed => new PoolCommandFailed(at, "throttled"),
            JobEventKind.WorkFinished => new WorkFinished(at, true, "loss converged"),
            JobEventKind.CancelRequested => new CancelRequested(at, "budget freeze"),
            JobEventKind.WorkloadStarted => new WorkloadStarted(at, "0"),
            JobEventKind.AgentHeartbeat => new AgentHeartbeat(at, "0"),
            JobEventKind.CheckpointAcknowledged => new CheckpointAcknowledged(at, "1", requestId, Report),
            JobEventKind.WorkloadExited => new WorkloadExited(at, "0", 0, null, Report with { ExitCode = 0 }),
            JobEventKind.CheckpointRequested => new CheckpointRequested(at, requestId, "queue unreachable"),
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
    }

    private static PoolStatus PoolFor(JobStatus status) => status switch
    {
        JobStatus.Running or JobStatus.Stopping => new PoolStatus { PoolId = Job.Id, State = PoolState.Stopped, RunningNodes = 0 },
        JobStatus.Pausing => new PoolStatus { PoolId = Job.Id, State = PoolState.Paused, RunningNodes = 0 },
        _ => new PoolStatus { PoolId = Job.Id, State = PoolState.Running, RunningNodes = 2 },
    };

    private static JobState With(JobPhase phase, DateTimeOffset updatedAt) => new()
    {
        JobId = Job.Id,
        Phase = phase,
        UpdatedAt = updatedAt,
        RunTime = phase is QueuedPhase or PlannedPhase ? TimeSpan.Zero : TimeSpan.FromMinutes(30),
        History = [new JobTransition(T0, JobStatus.Queued, phase.Status, "fixture")],
    };
}
