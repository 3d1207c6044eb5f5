using System.Text.Json;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;

namespace CarbonFunctions.Storage.Queues;

/// <summary>What a team or a training run says about a job: "complete", "fail" or "cancel".</summary>
public sealed record JobEventMessage(string JobId, string Kind, string? Reason, DateTimeOffset SentAt)
{
    public static readonly IReadOnlyList<string> Kinds = ["complete", "fail", "cancel"];
}

/// <summary>The <c>job-events</c> queue: completion and cancellation reach the lifecycle through it.</summary>
public sealed class JobEventQueue(StorageClients clients)
{
    private readonly QueueClient _events = clients.Queues.GetQueueClient(clients.Options.EventsQueue);

    public async Task SendAsync(JobEventMessage message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (!JobEventMessage.Kinds.Contains(message.Kind))
        {
            throw new ArgumentException($"unknown event kind '{message.Kind}'; known: {string.Join(", ", JobEventMessage.Kinds)}", nameof(message));
        }

        await _events.SendMessageAsync(JsonSerializer.Serialize(message, StorageJson.Options), cancellationToken);
    }

    public async Task<IReadOnlyList<QueueMessage>> ReceiveAsync(int maxMessages, TimeSpan visibilityTimeout, CancellationToken cancellationToken = default)
    {
        var response = await _events.ReceiveMessagesAsync(maxMessages, visibilityTimeout, cancellationToken);
        return response.Value;
    }

    /// <summary>Reads an event; null when the body is not one (the caller dead-letters it).</summary>
    public static JobEventMessage? TryRead(string body)
    {
        try
        {
            var message = JsonSerializer.Deserialize<JobEventMessage>(body, StorageJson.Options);
            return message is { JobId.Length: > 0 } && JobEventMessage.Kinds.Contains(message.Kind) ? message : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public async Task CompleteAsync(QueueMessage message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        await _events.DeleteMessageAsync(message.MessageId, message.PopReceipt, cancellationToken);
    }
}
