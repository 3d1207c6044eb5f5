using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using CarbonFunctions.Core.Lifecycle;
using CarbonFunctions.Storage;
using CarbonFunctions.Storage.Jobs;
using CarbonFunctions.Storage.Queues;

namespace CarbonFunctions.Reliability.Tests;

/// <summary>Counts what a scenario left behind, read with fault-free clients: dead letters, jobs, queue depths.</summary>
internal static class Accounting
{
    /// <summary>Every dead letter of one poison queue, with the body it keeps (inline or from its blob).</summary>
    public static async Task<IReadOnlyList<(PoisonMessage Record, string Body)>> DeadLettersAsync(StorageClients clients, DeadLetterSource source)
    {
        var queue = clients.Queues.GetQueueClient(source == DeadLetterSource.Jobs ? clients.Options.JobsPoisonQueue : clients.Options.EventsPoisonQueue);
        var bodies = clients.Blobs.GetBlobContainerClient(clients.Options.PoisonContainer);
        var all = new List<(PoisonMessage, string)>();
        while (true)
        {
            // Received (not peeked) so that paging goes past 32; hidden for long enough that none comes round twice.
            var batch = (await queue.ReceiveMessagesAsync(32, TimeSpan.FromMinutes(10))).Value;
            if (batch.Length == 0)
            {
                return all;
            }

            foreach (var message in batch)
            {
                var record = DeadLetterQueue.Read(source, QueuesModelFactory.PeekedMessage(message.MessageId, message.Body, message.DequeueCount, message.InsertedOn, message.ExpiresOn));
                var body = record.Body ?? (record.BodyBlob is { } blob ? (await bodies.GetBlobClient(blob).DownloadContentAsync()).Value.Content.ToString() : string.Empty);
                all.Add((record, body));
            }
        }
    }

    public static async Task<IReadOnlyList<JobRecord>> JobsAsync(StorageClients clients)
    {
        var jobs = new List<JobRecord>();
        await foreach (var record in new JobStore(clients).ListAsync())
        {
            jobs.Add(record);
        }

        return jobs;
    }

    public static async Task<int> VisibleAsync(QueueClient queue) => (await queue.PeekMessagesAsync(32)).Value.Length;

    /// <summary>True when a job's history is one unbroken chain of transitions (each step starts where the one before ended).</summary>
    public static bool HistoryIsAChain(JobState state)
    {
        for (var i = 1; i < state.History.Count; i++)
        {
            if (state.History[i].From != state.History[i - 1].To)
            {
                return false;
            }
        }

        return state.History.Count == 0 || state.History[^1].To == state.Status;
    }
}
