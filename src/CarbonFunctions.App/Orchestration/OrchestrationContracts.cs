using CarbonFunctions.Core.Lifecycle;
using CarbonFunctions.Core.Planning;
using CarbonFunctions.Core.Pools;

namespace CarbonFunctions.App.Orchestration;

/// <summary>Names of the orchestrator, its activities and the external events it listens for.</summary>
public static class OrchestrationNames
{
    public const string JobOrchestrator = "JobOrchestrator";
    public const string ExecutePoolCommand = "ExecutePoolCommand";
    public const string RecordJobState = "RecordJobState";
    public const string PlanJob = "PlanJob";

    /// <summary>The training run ended well ("complete"), badly ("fail"), or someone cancelled the job.</summary>
    public const string CompleteEvent = "complete";
    public const string FailEvent = "fail";
    public const string CancelEvent = "cancel";

    /// <summary>New forecasts arrived: re-plan the remaining work.</summary>
    public const string ReplanEvent = "replan";
}

/// <summary>
/// Settings that change how the orchestrator interprets the lifecycle, bound from <c>Carbon:Orchestration</c>.
/// They travel inside the orchestration input (with <see cref="LifecycleOptions"/>) rather than being read from
/// configuration by the orchestrator, so that a configuration change never makes a replay decide differently.
/// </summary>
public sealed record OrchestrationSettings
{
    public const string SectionName = "Carbon:Orchestration";

    /// <summary>Events handled before the orchestration restarts itself with ContinueAsNew, which keeps its history short.</summary>
    public int MaxEventsPerGeneration { get; init; } = 50;

    /// <summary>Attempts per activity call (planning, recording state) before its failure is handled.</summary>
    public int ActivityMaxAttempts { get; init; } = 3;

    public TimeSpan ActivityFirstRetryInterval { get; init; } = TimeSpan.FromSeconds(5);

    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (MaxEventsPerGeneration < 1)
        {
            problems.Add($"{SectionName}:MaxEventsPerGeneration must be at least 1.");
        }

        if (ActivityMaxAttempts < 1)
        {
            problems.Add($"{SectionName}:ActivityMaxAttempts must be at least 1.");
        }

        if (ActivityFirstRetryInterval <= TimeSpan.Zero)
        {
            problems.Add($"{SectionName}:ActivityFirstRetryInterval must be positive.");
        }

        return problems;
    }
}

/// <summary>
/// The orchestration's input, and what it carries over each ContinueAsNew: the job in its contract form
/// (<see cref="Core.Jobs.JobContract.Serialize"/>), its lifecycle state, and the settings captured at start.
/// </summary>
public sealed record JobOrchestrationInput
{
    public required string Job { get; init; }
    public required JobState State { get; init; }
    public LifecycleOptions Lifecycle { get; init; } = new();
    public OrchestrationSettings Settings { get; init; } = new();
}

/// <summary>Payload of the complete / fail / cancel / replan external events.</summary>
public sealed record JobSignal(string? Reason);

/// <summary>Input of <see cref="OrchestrationNames.ExecutePoolCommand"/>: one lifecycle command in a serializable form.</summary>
public sealed record PoolCommandRequest
{
    public required string Job { get; init; }
    public required JobState State { get; init; }

    /// <summary>"start", "pause" or "stop".</summary>
    public required string Command { get; init; }

    public string? Region { get; init; }
    public int Nodes { get; init; }

    public static PoolCommandRequest For(string job, JobState state, JobCommand command) => command switch
    {
        StartPool start => new() { Job = job, State = state, Command = "start", Region = start.Region, Nodes = start.Nodes },
        PausePool => new() { Job = job, State = state, Command = "pause" },
        StopPool => new() { Job = job, State = state, Command = "stop" },
        _ => throw new ArgumentException($"unknown command {command?.GetType().Name}", nameof(command)),
    };

    public JobCommand ToCommand() => Command switch
    {
        "start" => new StartPool(Region ?? throw new InvalidOperationException("a start command needs a region"), Nodes),
        "pause" => new PausePool(),
        "stop" => new StopPool(),
        _ => throw new InvalidOperationException($"unknown pool command '{Command}'"),
    };
}

/// <summary>
/// Output of <see cref="OrchestrationNames.ExecutePoolCommand"/>: the <see cref="PoolObserved"/> or
/// <see cref="PoolCommandFailed"/> event, flattened because the lifecycle's events are polymorphic.
/// </summary>
public sealed record PoolCommandOutcome
{
    public required DateTimeOffset At { get; init; }
    public PoolStatus? Pool { get; init; }
    public string? Failure { get; init; }

    public static PoolCommandOutcome From(JobEvent evt) => evt switch
    {
        PoolObserved observed => new() { At = observed.At, Pool = observed.Pool },
        PoolCommandFailed failed => new() { At = failed.At, Failure = failed.Reason },
        _ => throw new ArgumentException($"a pool command cannot produce {evt?.GetType().Name}", nameof(evt)),
    };

    public JobEvent ToEvent() => Pool is { } pool
        ? new PoolObserved(At, pool)
        : new PoolCommandFailed(At, Failure ?? "the pool command failed without a reason");
}

/// <summary>Input of <see cref="OrchestrationNames.PlanJob"/>; <see cref="State"/> is the current state when re-planning.</summary>
public sealed record PlanRequest
{
    public required string Job { get; init; }
    public JobState? State { get; init; }
    public required DateTimeOffset At { get; init; }
}

/// <summary>Input of <see cref="OrchestrationNames.RecordJobState"/>.</summary>
public sealed record JobStateRecord
{
    public required string Job { get; init; }
    public required JobState State { get; init; }
}

/// <summary>The orchestration's custom status: enough to see where a job is without reading the jobs table.</summary>
public sealed record JobStatusSummary(JobStatus Status, string? Reason, DateTimeOffset? WakeAt, int SlotIndex, int Nodes, string? Region, int PlannedSlots)
{
    public static JobStatusSummary Of(JobState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var reason = state.History is [.., var last] ? last.Reason : state.Reason;
        return new(state.Status, reason, state.WakeAt, state.SlotIndex, state.Nodes, state.Region, state.Plan?.Slots.Count ?? 0);
    }
}
