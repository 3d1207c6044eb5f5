using CarbonFunctions.Core.Agents;

namespace CarbonFunctions.Core.Lifecycle;

/// <summary>
/// What a team, a node agent or the forecast timer says about a job from outside: the payload of a <c>job-events</c>
/// message, of the HTTP API's <c>POST jobs/{id}/{kind}</c> and of the orchestration's one external event. Agent kinds
/// (<see cref="AgentEventKinds"/>) carry the node and what the workload reported.
/// </summary>
public sealed record JobSignal(string Kind, string? Reason = null)
{
    public const string Complete = "complete";
    public const string Fail = "fail";
    public const string Cancel = "cancel";
    public const string Replan = "replan";

    /// <summary>The node an agent signal comes from.</summary>
    public string? Node { get; init; }

    public int? ExitCode { get; init; }

    /// <summary>The control request a <c>checkpointed</c> signal answers.</summary>
    public string? RequestId { get; init; }

    public WorkloadReport? Workload { get; init; }

    /// <summary>The kinds anyone may send (<see cref="Replan"/> is also sent by the forecast timer), then the agents' kinds.</summary>
    public static IReadOnlyList<string> Kinds { get; } = [Complete, Fail, Cancel, Replan, .. AgentEventKinds.All];

    public static bool IsKnownKind(string? kind) => kind is not null && Kinds.Contains(kind);

    /// <summary>
    /// Why the lifecycle table refuses this signal for a job in <paramref name="state"/> (e.g. <c>complete</c> before
    /// the job ran), or null: the CLI and the HTTP API answer at once instead of sending what would be refused.
    /// </summary>
    public string? RefusalFor(JobState state, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(state);
        var cell = JobLifecycle.CellOf(state.Status, JobLifecycle.KindOf(ToEvent(at)));
        return cell.Action == CellAction.Refuse ? cell.Rule : null;
    }

    /// <summary>Agent signals must say which node they come from (and a checkpoint which request it answers).</summary>
    public bool IsComplete => !AgentEventKinds.All.Contains(Kind)
        || (!string.IsNullOrWhiteSpace(Node) && (Kind != AgentEventKinds.Checkpointed || !string.IsNullOrWhiteSpace(RequestId)));

    /// <summary>The lifecycle event a signal stands for, with the default reason each kind gets when none is given.</summary>
    public JobEvent ToEvent(DateTimeOffset at) => Kind switch
    {
        Complete => new WorkFinished(at, true, Reason ?? "reported complete"),
        Fail => new WorkFinished(at, false, Reason ?? "reported failed"),
        Cancel => new CancelRequested(at, Reason ?? "cancelled by request"),
        Replan => new ForecastsUpdated(at),
        AgentEventKinds.Heartbeat => new AgentHeartbeat(at, Node!),
        AgentEventKinds.Started => new WorkloadStarted(at, Node!),
        AgentEventKinds.Checkpointed => new CheckpointAcknowledged(at, Node!, RequestId!, Workload),
        AgentEventKinds.Finished => new WorkloadExited(at, Node!, ExitCode ?? Workload?.ExitCode, Reason, Workload),
        AgentEventKinds.Failed => new WorkloadExited(at, Node!, null, Reason, Workload),
        _ => throw new InvalidOperationException($"unknown job signal '{Kind}'; known: {string.Join(", ", Kinds)}"),
    };
}
