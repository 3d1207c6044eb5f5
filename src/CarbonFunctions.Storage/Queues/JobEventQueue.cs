using System.Text.Json;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using CarbonFunctions.Core.Lifecycle;

namespace CarbonFunctions.Storage.Queues;

/// <summary>
/// A <c>job-events</c> message: a <see cref="JobSignal"/> for one job. Node agents send the same shape with their node,
/// exit code, request id and workload report (<see cref="Core.Agents.AgentEvent"/>).
/// </summary>
public sealed record JobEventMessage(string JobId, string Kind, string? Reason, DateTimeOffset SentAt)
{
    public string? Node { get; init; }
    public int? ExitCode { get; init; }
    public string? RequestId { get; init; }
    public Core.Agents.WorkloadReport? Workload { get; init; }

    public JobSignal Signal => new(Kind, Reason) { Node = Node, ExitCode = ExitCode, RequestId = RequestId, Workload = Workload };
}

/// <summary>The <c>job-events</c> queue: completion, failure, cancellation and re-plan requests reach the lifecycle through it.</summary>
public sealed class JobEventQueue(StorageClients clients)
{
    private readonly QueueClient _events = clients.Queues.GetQueueClient(clients.Options.EventsQueue);

    public string Name => _events.Name;

    public async Task SendAsync(JobEventMessage message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (!JobSignal.IsKnownKind(message.Kind))
        {
            throw new ArgumentException($"unknown event kind '{message.Kind}'; known: {string.Join(", ", JobSignal.Kinds)}", nameof(message));
        }

        await _events.SendMessageAsync(JsonSerializer.Serialize(message, StorageJson.Options), cancellationToken);
    }

    public async Task<IReadOnlyList<QueueMessage>> ReceiveAsync(int maxMessages, TimeSpan visibilityTimeout, CancellationToken cancellationToken = default)
    {
        var response = await _events.ReceiveMessagesAsync(maxMessages, visibilityTimeout, cancellationToken);
        return response.Value;
    }

    /// <summary>Reads an event; null when the body is not one (the caller dead-letters it with <see cref="Describe"/>).</summary>
    public static JobEventMessage? TryRead(string body)
    {
        try
        {
            var message = JsonSerializer.Deserialize<JobEventMessage>(body, StorageJson.Options);
            return message is { JobId.Length: > 0 } && JobSignal.IsKnownKind(message.Kind) && message.Signal.IsComplete ? message : null;
        }
        catch (Exception ex) when (ex is JsonException or NotSupportedException or InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>The reason an unreadable event is dead-lettered with.</summary>
    public static string Describe => $"unreadable job event (expected {{\"jobId\": \"...\", \"kind\": {string.Join("|", JobSignal.Kinds)}, \"reason\"?: \"...\"}}; agent kinds also need \"node\", and checkpointed a \"requestId\")";

    public async Task CompleteAsync(QueueMessage message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        await _events.DeleteMessageAsync(message.MessageId, message.PopReceipt, cancellationToken);
    }
}
