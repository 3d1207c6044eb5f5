using CarbonFunctions.Core.Lifecycle;

namespace CarbonFunctions.App.Orchestration;

/// <summary>Names of the orchestrator, its activities and the one external event it listens for.</summary>
public static class OrchestrationNames
{
    public const string JobOrchestrator = "JobOrchestrator";
    public const string ExecuteJobCommand = "ExecuteJobCommand";
    public const string RecordJobState = "RecordJobState";

    /// <summary>
    /// Every outside signal (complete, fail, cancel, replan) arrives under this one name with a <see cref="JobSignal"/>
    /// payload, so that buffered signals are handled in the order they were raised.
    /// </summary>
    public const string SignalEvent = "signal";
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

/// <summary>Input of <see cref="OrchestrationNames.ExecuteJobCommand"/>: one lifecycle command (polymorphic JSON) for the job in its state.</summary>
public sealed record JobCommandRequest
{
    public required string Job { get; init; }
    public required JobState State { get; init; }
    public required JobCommand Command { get; init; }
}

/// <summary>
/// Output of <see cref="OrchestrationNames.ExecuteJobCommand"/>. The event travels in a property typed as the base
/// <see cref="JobEvent"/>, so that its type discriminator is written whatever serializer options the worker uses.
/// </summary>
public sealed record JobCommandOutcome(JobEvent Event);

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
