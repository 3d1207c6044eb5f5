using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;

namespace CarbonFunctions.Storage.Queues;

/// <summary>One message as it was received, whichever host received it.</summary>
public sealed record ReceivedMessage(string Id, string Body, long DequeueCount, DateTimeOffset? InsertedOn)
{
    public static ReceivedMessage From(QueueMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        return new(message.MessageId, message.Body.ToString(), message.DequeueCount, message.InsertedOn);
    }
}

/// <summary>Which queue a dead letter came from.</summary>
public enum DeadLetterSource
{
    Jobs,
    Events,
}

/// <summary>
/// A dead letter: the original body as it came (or, when too large for a queue message, the blob that holds it) and why
/// it was refused. <see cref="Recorded"/> is false for a raw message the Functions runtime moved after its own retries.
/// </summary>
public sealed record PoisonMessage
{
    public required DeadLetterSource Source { get; init; }
    public required string Reason { get; init; }
    public string? OriginalMessageId { get; init; }
    public long DequeueCount { get; init; }
    public DateTimeOffset? InsertedOn { get; init; }
    public DateTimeOffset? DeadLetteredAt { get; init; }
    public string? Body { get; init; }

    /// <summary>Set instead of <see cref="Body"/> when the body did not fit: the blob (in the poison container) that holds it.</summary>
    public string? BodyBlob { get; init; }

    public bool Recorded { get; init; } = true;
}

/// <summary>
/// The dead-letter queues <c>{jobs}-poison</c> and <c>{events}-poison</c>, in one record format for both hosts. A record
/// always fits: the body is kept verbatim (no HTML escaping, which would grow a body of '&lt;' sixfold), and a body that
/// would still exceed a queue message goes to a blob that the record names.
/// </summary>
public sealed class DeadLetterQueue(StorageClients clients, TimeProvider clock)
{
    // Queue messages hold 64 KiB; leave room for the record's other fields.
    private const int MaxRecordBytes = 60 * 1024;

    private static readonly JsonSerializerOptions RecordJson = new(StorageJson.Options) { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly BlobContainerClient _bodies = clients.Blobs.GetBlobContainerClient(clients.Options.PoisonContainer);

    public async Task SendAsync(DeadLetterSource source, ReceivedMessage message, string reason, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        var record = new PoisonMessage
        {
            Source = source,
            Reason = reason,
            OriginalMessageId = message.Id,
            DequeueCount = message.DequeueCount,
            InsertedOn = message.InsertedOn,
            DeadLetteredAt = clock.GetUtcNow(),
            Body = message.Body,
        };
        var text = JsonSerializer.Serialize(record, RecordJson);
        if (Encoding.UTF8.GetByteCount(text) > MaxRecordBytes)
        {
            var blobName = $"{QueueFor(source).Name}/{record.DeadLetteredAt:yyyyMMdd'T'HHmmss'Z'}-{Sanitize(message.Id)}.txt";
            await _bodies.GetBlobClient(blobName).UploadAsync(BinaryData.FromString(message.Body), overwrite: true, cancellationToken);
            text = JsonSerializer.Serialize(record with { Body = null, BodyBlob = blobName }, RecordJson);
        }

        await QueueFor(source).SendMessageAsync(text, timeToLive: TimeSpan.FromSeconds(-1), cancellationToken: cancellationToken);
    }

    /// <summary>The dead letters of both queues, oldest first per queue; raw runtime-written messages included.</summary>
    public async Task<IReadOnlyList<PoisonMessage>> PeekAsync(int maxPerQueue = 32, CancellationToken cancellationToken = default)
    {
        var all = new List<PoisonMessage>();
        foreach (var source in new[] { DeadLetterSource.Jobs, DeadLetterSource.Events })
        {
            var queue = QueueFor(source);
            if (!await queue.ExistsAsync(cancellationToken))
            {
                continue;
            }

            var peeked = await queue.PeekMessagesAsync(Math.Clamp(maxPerQueue, 1, 32), cancellationToken);
            all.AddRange(peeked.Value.Select(m => Read(source, m)));
        }

        return all;
    }

    /// <summary>Reads a record; anything not in the pipeline's format is shown as the raw body the runtime moved.</summary>
    public static PoisonMessage Read(DeadLetterSource source, PeekedMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var body = message.Body.ToString();
        try
        {
            if (JsonSerializer.Deserialize<PoisonMessage>(body, RecordJson) is { Reason.Length: > 0 } record)
            {
                return record with { Source = source };
            }
        }
        catch (Exception ex) when (ex is JsonException or NotSupportedException or InvalidOperationException)
        {
            // Not ours: the Functions runtime moves the raw body here after maxDequeueCount failed deliveries.
        }

        return new PoisonMessage
        {
            Source = source,
            Reason = "moved by the Functions runtime after its retries (no reason recorded)",
            OriginalMessageId = message.MessageId,
            DequeueCount = message.DequeueCount,
            InsertedOn = message.InsertedOn,
            Body = body,
            Recorded = false,
        };
    }

    private QueueClient QueueFor(DeadLetterSource source) => clients.Queues.GetQueueClient(
        source == DeadLetterSource.Jobs ? clients.Options.JobsPoisonQueue : clients.Options.EventsPoisonQueue);

    private static string Sanitize(string id) =>
        string.Concat(id.Where(char.IsAsciiLetterOrDigit).Take(64)) is { Length: > 0 } clean ? clean : Guid.NewGuid().ToString("N", CultureInfo.InvariantCulture);
}
