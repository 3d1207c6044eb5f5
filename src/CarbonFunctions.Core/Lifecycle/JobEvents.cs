using CarbonFunctions.Core.Planning;
using CarbonFunctions.Core.Pools;

namespace CarbonFunctions.Core.Lifecycle;

/// <summary>Something that happened to a job. <see cref="At"/> is the host's clock when it was observed.</summary>
public abstract record JobEvent(DateTimeOffset At);

/// <summary>The job was accepted and planned.</summary>
public sealed record JobPlanned(DateTimeOffset At, JobPlan Plan) : JobEvent(At);

/// <summary>A newer forecast produced a new plan for the remaining work.</summary>
public sealed record JobReplanned(DateTimeOffset At, JobPlan Plan) : JobEvent(At);

/// <summary>A wake-up the job asked for (<see cref="JobState.WakeAt"/>) is due.</summary>
public sealed record TimerFired(DateTimeOffset At) : JobEvent(At);

/// <summary>The pool's state as the provider reported it after a command or a status check.</summary>
public sealed record PoolObserved(DateTimeOffset At, PoolStatus Pool) : JobEvent(At);

/// <summary>A pool command threw (throttled past retries, quota, budget guard, circuit open).</summary>
public sealed record PoolCommandFailed(DateTimeOffset At, string Reason) : JobEvent(At);

/// <summary>The training run reported that it ended (through the CLI, a queue message, or the pool stopping on its own).</summary>
public sealed record WorkFinished(DateTimeOffset At, bool Succeeded, string? Reason) : JobEvent(At);

/// <summary>The job could not be planned however often it was tried (its message is dead-lettered).</summary>
public sealed record PlanningFailed(DateTimeOffset At, string Reason) : JobEvent(At);

/// <summary>Someone asked to cancel the job.</summary>
public sealed record CancelRequested(DateTimeOffset At, string Reason) : JobEvent(At);

/// <summary>What the lifecycle asks its host to do; the outcome comes back as a <see cref="PoolObserved"/> or <see cref="PoolCommandFailed"/>.</summary>
public abstract record JobCommand;

/// <summary>Start, resume or resize the job's pool to <see cref="Nodes"/> nodes in <see cref="Region"/>.</summary>
public sealed record StartPool(string Region, int Nodes) : JobCommand;

public sealed record PausePool : JobCommand;

public sealed record StopPool : JobCommand;

/// <summary>The state to persist and the commands to run after it is persisted.</summary>
public sealed record JobDecision(JobState State, IReadOnlyList<JobCommand> Commands)
{
    /// <summary>True when the event changed nothing (a stale timer, a duplicate message).</summary>
    public bool Ignored { get; init; }
}
