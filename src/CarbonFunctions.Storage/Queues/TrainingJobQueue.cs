using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;

namespace CarbonFunctions.Storage.Queues;

/// <summary>
/// The <c>training-jobs</c> queue. Messages are plain UTF-8 text on the wire (host.json sets messageEncoding "none");
/// base64 bodies are accepted on read by the job contract. A message is deleted only after it was stored as a job
/// or dead-lettered (<see cref="DeadLetterQueue"/>).
/// </summary>
public sealed class TrainingJobQueue(StorageClients clients)
{
    private readonly QueueClient _jobs = clients.Queues.GetQueueClient(clients.Options.JobsQueue);

    public string Name => _jobs.Name;

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
}
