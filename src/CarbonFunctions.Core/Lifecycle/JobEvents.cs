using System.Text.Json.Serialization;
using CarbonFunctions.Core.Agents;
using CarbonFunctions.Core.Planning;
using CarbonFunctions.Core.Pools;

namespace CarbonFunctions.Core.Lifecycle;

/// <summary>
/// Something that happened to a job. <see cref="At"/> is the host's clock when it was observed. Polymorphic JSON, so
/// that a Durable activity can return any event and the orchestrator reads back the same type.
/// </summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "event")]
[JsonDerivedType(typeof(JobSubmitted), "submitted")]
[JsonDerivedType(typeof(JobPlanned), "planned")]
[JsonDerivedType(typeof(JobReplanned), "replanned")]
[JsonDerivedType(typeof(ForecastsUpdated), "forecastsUpdated")]
[JsonDerivedType(typeof(TimerFired), "timerFired")]
[JsonDerivedType(typeof(PoolObserved), "poolObserved")]
[JsonDerivedType(typeof(PoolCommandFailed), "poolCommandFailed")]
[JsonDerivedType(typeof(WorkFinished), "workFinished")]
[JsonDerivedType(typeof(PlanningFailed), "planningFailed")]
[JsonDerivedType(typeof(CancelRequested), "cancelRequested")]
[JsonDerivedType(typeof(WorkloadStarted), "workloadStarted")]
[JsonDerivedType(typeof(AgentHeartbeat), "agentHeartbeat")]
[JsonDerivedType(typeof(CheckpointAcknowledged), "checkpointAcknowledged")]
[JsonDerivedType(typeof(WorkloadExited), "workloadExited")]
[JsonDerivedType(typeof(CheckpointRequested), "checkpointRequested")]
public abstract record JobEvent(DateTimeOffset At);

/// <summary>A node agent started the job's workload on <see cref="Node"/>.</summary>
public sealed record WorkloadStarted(DateTimeOffset At, string Node) : JobEvent(At);

/// <summary>A node agent is alive.</summary>
public sealed record AgentHeartbeat(DateTimeOffset At, string Node) : JobEvent(At);

/// <summary>The workload on <see cref="Node"/> wrote its checkpoint and exited, answering request <see cref="RequestId"/>.</summary>
public sealed record CheckpointAcknowledged(DateTimeOffset At, string Node, string RequestId, WorkloadReport? Workload) : JobEvent(At);

/// <summary>
/// The workload exited by itself (<see cref="ExitCode"/> 0: training done), or the agent could not run it at all
/// (<see cref="ExitCode"/> null, with the <see cref="Reason"/>).
/// </summary>
public sealed record WorkloadExited(DateTimeOffset At, string Node, int? ExitCode, string? Reason, WorkloadReport? Workload) : JobEvent(At);

/// <summary>The checkpoint request was written to the agents' control channel (or could not be, with <see cref="Failure"/>).</summary>
public sealed record CheckpointRequested(DateTimeOffset At, string RequestId, string? Failure) : JobEvent(At);

/// <summary>The job was accepted and stored; its first plan is still to be made.</summary>
public sealed record JobSubmitted(DateTimeOffset At) : JobEvent(At);

/// <summary>New forecasts arrived: a job waiting for its slot re-plans its remaining work.</summary>
public sealed record ForecastsUpdated(DateTimeOffset At) : JobEvent(At);

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

/// <summary>
/// Planning threw. <see cref="Retryable"/> failures (a storage or forecast hiccup) are retried on the job's timer up to
/// <see cref="LifecycleOptions.MaxPlanAttempts"/>; a final one (the job's message was given up on) fails a queued job at once.
/// </summary>
public sealed record PlanningFailed(DateTimeOffset At, string Reason, bool Retryable = true) : JobEvent(At);

/// <summary>Someone asked to cancel the job.</summary>
public sealed record CancelRequested(DateTimeOffset At, string Reason) : JobEvent(At);

/// <summary>
/// What the lifecycle asks its host to do; the outcome comes back as an event (<see cref="PoolObserved"/> or
/// <see cref="PoolCommandFailed"/> for pool commands, <see cref="JobPlanned"/>, <see cref="JobReplanned"/> or
/// <see cref="PlanningFailed"/> for planning).
/// </summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "command")]
[JsonDerivedType(typeof(PlanJob), "plan")]
[JsonDerivedType(typeof(ReplanJob), "replan")]
[JsonDerivedType(typeof(StartPool), "start")]
[JsonDerivedType(typeof(PausePool), "pause")]
[JsonDerivedType(typeof(StopPool), "stop")]
[JsonDerivedType(typeof(RequestCheckpoint), "checkpoint")]
public abstract record JobCommand;

/// <summary>Ask every node agent of the job to checkpoint its workload (and exit after, when <see cref="ThenStop"/>).</summary>
public sealed record RequestCheckpoint(string RequestId, bool ThenStop) : JobCommand;

/// <summary>Make the job's first plan against the forecasts known now.</summary>
public sealed record PlanJob : JobCommand;

/// <summary>Re-plan the remaining work against the newest forecasts (the lifecycle ignores a plan that changes nothing).</summary>
public sealed record ReplanJob : JobCommand;

/// <summary>Start, resume or resize the job's pool to <see cref="Nodes"/> nodes in <see cref="Region"/>.</summary>
public sealed record StartPool(string Region, int Nodes) : JobCommand;

public sealed record PausePool : JobCommand;

public sealed record StopPool : JobCommand;

/// <summary>The state to persist and the commands to run after it is persisted.</summary>
public sealed record JobDecision(JobState State, IReadOnlyList<JobCommand> Commands)
{
    /// <summary>True when the event changed nothing (a stale timer, a duplicate message).</summary>
    public bool Ignored { get; init; }

    /// <summary>Set when the event was refused rather than merely ignored (say, "complete" for a job that never ran): why.</summary>
    public string? Refusal { get; init; }
}
