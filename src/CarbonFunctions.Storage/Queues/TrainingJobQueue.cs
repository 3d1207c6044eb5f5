using System.Text.Json;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;

namespace CarbonFunctions.Storage.Queues;

/// <summary>What a dead-lettered message carries: the original body untouched, and why it was refused.</summary>
public sealed record PoisonMessage(string Reason, string OriginalMessageId, long DequeueCount, DateTimeOffset? InsertedOn, DateTimeOffset DeadLetteredAt, string Body);

/// <summary>
/// The <c>training-jobs</c> queue and its dead-letter queue <c>training-jobs-poison</c>. Messages are plain UTF-8
/// text on the wire (host.json sets messageEncoding "none"); base64 bodies are accepted on read by the job contract.
/// Nothing is dropped: a message is deleted only after it was stored as a job or copied to the poison queue.
/// </summary>
public sealed class TrainingJobQueue(StorageClients clients, TimeProvider clock)
{
    private readonly QueueClient _jobs = clients.Queues.GetQueueClient(clients.Options.JobsQueue);
    private readonly QueueClient _poison = clients.Queues.GetQueueClient(clients.Options.PoisonQueue);

    public int MaxDequeueCount => clients.Options.MaxDequeueCount;

    public async Task<string> SendAsync(string body, CancellationToken cancellationToken = default)
    {
        var receipt = await _jobs.SendMessageAsync(body, cancellationToken);
        return receipt.Value.MessageId;
    }

    public async Task<IReadOnlyList<QueueMessage>> ReceiveAsync(int maxMessages, TimeSpan visibilityTimeout, CancellationToken cancellationToken = default)
    {
        var response = await _jobs.ReceiveMessagesAsync(maxMessages, visibilityTimeout, cancellationToken);
        return response.Value;
    }

    public async Task CompleteAsync(QueueMessage message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        await _jobs.DeleteMessageAsync(message.MessageId, message.PopReceipt, cancellationToken);
    }

    /// <summary>Copies the message with the reason to the poison queue, then removes it from the jobs queue.</summary>
    public async Task DeadLetterAsync(QueueMessage message, string reason, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        await SendToPoisonAsync(new PoisonMessage(reason, message.MessageId, message.DequeueCount, message.InsertedOn, clock.GetUtcNow(), message.Body.ToString()), cancellationToken);
        await _jobs.DeleteMessageAsync(message.MessageId, message.PopReceipt, cancellationToken);
    }

    /// <summary>Records a message that another host (the Functions runtime) already took off the queue.</summary>
    public async Task SendToPoisonAsync(PoisonMessage poison, CancellationToken cancellationToken = default)
    {
        await _poison.SendMessageAsync(JsonSerializer.Serialize(poison, StorageJson.Options), timeToLive: TimeSpan.FromSeconds(-1), cancellationToken: cancellationToken);
    }

    public async Task<IReadOnlyList<PoisonMessage>> PeekPoisonAsync(int maxMessages = 32, CancellationToken cancellationToken = default)
    {
        var peeked = await _poison.PeekMessagesAsync(maxMessages, cancellationToken);
        return [.. peeked.Value.Select(m => JsonSerializer.Deserialize<PoisonMessage>(m.Body.ToString(), StorageJson.Options)!)];
    }
}
