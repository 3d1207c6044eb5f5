using System.Text.Json;
using System.Text.Json.Serialization;

namespace CarbonFunctions.Core.Agents;

/// <summary>The kinds of event a node agent sends on <c>job-events</c>.</summary>
public static class AgentEventKinds
{
    /// <summary>The agent is alive (sent every heartbeat interval while it runs, workload or not).</summary>
    public const string Heartbeat = "heartbeat";

    /// <summary>The workload process was started on this node.</summary>
    public const string Started = "started";

    /// <summary>The workload exited 0 after the checkpoint signal: its checkpoint is written. Carries the request id.</summary>
    public const string Checkpointed = "checkpointed";

    /// <summary>The workload exited by itself; <see cref="AgentEvent.ExitCode"/> says how (0 = done).</summary>
    public const string Finished = "finished";

    /// <summary>The agent could not run the workload at all (no such job, no command, runner failed to start).</summary>
    public const string Failed = "failed";

    public static IReadOnlyList<string> All { get; } = [Heartbeat, Started, Checkpointed, Finished, Failed];
}

/// <summary>
/// What the workload's status file said when the agent last read it: training progress and the cost of
/// interruptions. <see cref="StepsDone"/> is the progress (the last step completed); <see cref="LostSteps"/> counts
/// steps executed twice because they came after the last checkpoint when the run was interrupted.
/// </summary>
public sealed record WorkloadReport(int? ExitCode, long StepsDone, long Checkpoints, long Resumes, long LostSteps);

/// <summary>
/// One message on <c>job-events</c> from a node agent (camelCase JSON, one event per message). Null fields are
/// left out of the JSON. <see cref="Node"/> is the node's index in the pool as text ("0", "1", ...).
/// </summary>
public sealed record AgentEvent
{
    public required string JobId { get; init; }

    /// <summary>One of <see cref="AgentEventKinds"/>.</summary>
    public required string Kind { get; init; }

    public required string Node { get; init; }

    /// <summary>The workload's exit code, on <c>finished</c> and <c>checkpointed</c>.</summary>
    public int? ExitCode { get; init; }

    /// <summary>Why, on <c>failed</c> (and on a non-zero <c>finished</c> when the agent knows more).</summary>
    public string? Reason { get; init; }

    /// <summary>The control request this event answers (on <c>checkpointed</c>).</summary>
    public string? RequestId { get; init; }

    /// <summary>The workload's own counters, on <c>finished</c> and <c>checkpointed</c> when it wrote a status file.</summary>
    public WorkloadReport? Workload { get; init; }

    public required DateTimeOffset SentAt { get; init; }
}

/// <summary>Reads and writes <see cref="AgentEvent"/> in its wire format.</summary>
public static class AgentEventContract
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static string Serialize(AgentEvent agentEvent)
    {
        ArgumentNullException.ThrowIfNull(agentEvent);
        if (!AgentEventKinds.All.Contains(agentEvent.Kind))
        {
            throw new ArgumentException($"unknown agent event kind '{agentEvent.Kind}'; known: {string.Join(", ", AgentEventKinds.All)}", nameof(agentEvent));
        }

        return JsonSerializer.Serialize(agentEvent, Json);
    }

    /// <summary>The event in <paramref name="body"/>, or null when it is not an agent event (wrong JSON, unknown kind, no job or node).</summary>
    public static AgentEvent? TryParse(string body)
    {
        if (string.IsNullOrWhiteSpace(body))
        {
            return null;
        }

        try
        {
            var parsed = JsonSerializer.Deserialize<WireEvent>(body, Json);
            if (parsed is not { JobId.Length: > 0, Node.Length: > 0, Kind: { } kind, SentAt: { } sentAt } || !AgentEventKinds.All.Contains(kind))
            {
                return null;
            }

            return new AgentEvent
            {
                JobId = parsed.JobId,
                Kind = kind,
                Node = parsed.Node,
                ExitCode = parsed.ExitCode,
                Reason = parsed.Reason,
                RequestId = parsed.RequestId,
                Workload = parsed.Workload,
                SentAt = sentAt,
            };
        }
        catch (JsonException)
        {
            return null;
        }
    }

    // Required members make a missing field a JsonException; the wire record lets TryParse answer null instead.
    private sealed record WireEvent(string? JobId, string? Kind, string? Node, int? ExitCode, string? Reason, string? RequestId, WorkloadReport? Workload, DateTimeOffset? SentAt);
}
