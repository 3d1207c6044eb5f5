using System.Text;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using CarbonFunctions.Core.Jobs;
using CarbonFunctions.Core.Lifecycle;

namespace CarbonFunctions.Storage.Jobs;

/// <summary>A stored job with its lifecycle state and the ETag that guards concurrent updates.</summary>
public sealed record JobRecord(TrainingJob Job, JobState State, ETag ETag);

/// <summary>
/// Jobs and their lifecycle state in an Azure Table, one row per job (PartitionKey = job id). Updates use
/// optimistic concurrency: a competing host that read the same version loses with a 412 and re-reads.
/// </summary>
public sealed class JobStore(StorageClients clients)
{
    private const string RowKey = "job";

    /// <summary>Concurrent writers one update may lose to before it gives up (the caller's message is retried later).</summary>
    private const int MaxConflictRetries = 8;

    // A table string property holds at most 32K UTF-16 characters; long JSON is split across numbered properties.
    private const int ChunkChars = 30_000;

    private readonly TableClient _table = clients.Tables.GetTableClient(clients.Options.JobsTable);

    /// <summary>Adds a new job; false when a job with that id already exists (a duplicate message).</summary>
    public async Task<bool> TryAddAsync(TrainingJob job, JobState state, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(job);
        try
        {
            await _table.AddEntityAsync(ToEntity(job, state), cancellationToken);
            return true;
        }
        catch (RequestFailedException ex) when (ex.Status == 409)
        {
            return false;
        }
    }

    public async Task<JobRecord?> GetAsync(string jobId, CancellationToken cancellationToken = default)
    {
        var response = await _table.GetEntityIfExistsAsync<TableEntity>(jobId, RowKey, cancellationToken: cancellationToken);
        return response.HasValue ? FromEntity(response.Value!) : null;
    }

    /// <summary>
    /// The one read-modify-write of a job's state: reads the row, asks <paramref name="change"/> for the new state (null:
    /// nothing to write), and writes it guarded by the ETag; when another writer won, reads again and asks again.
    /// Returns the record as it now stands, or null for an unknown job.
    /// </summary>
    public async Task<JobRecord?> UpdateAsync(string jobId, Func<JobRecord, JobState?> change, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(change);
        for (var attempt = 1; ; attempt++)
        {
            var record = await GetAsync(jobId, cancellationToken);
            if (record is null)
            {
                return null;
            }

            var next = change(record);
            if (next is null)
            {
                return record;
            }

            try
            {
                var response = await _table.UpdateEntityAsync(ToEntity(record.Job, next), record.ETag, TableUpdateMode.Replace, cancellationToken);
                return new JobRecord(record.Job, next, response.Headers.ETag ?? record.ETag);
            }
            catch (RequestFailedException ex) when (ex.Status == 412 && attempt < MaxConflictRetries)
            {
                // Another host changed the job first: decide again on what it wrote, after a short jittered pause.
                await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(5, 20 * attempt)), cancellationToken);
            }
        }
    }

    /// <summary>Every job (or every active one); none on an account where no job was ever stored (no table yet).</summary>
    public async IAsyncEnumerable<JobRecord> ListAsync(bool activeOnly = false, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var filter = activeOnly ? "Terminal eq false" : null;
        await using var pages = _table.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken).AsPages().GetAsyncEnumerator(cancellationToken);
        while (await NextPageAsync(pages))
        {
            foreach (var entity in pages.Current.Values)
            {
                yield return FromEntity(entity);
            }
        }
    }

    private static async Task<bool> NextPageAsync(IAsyncEnumerator<Page<TableEntity>> pages)
    {
        try
        {
            return await pages.MoveNextAsync();
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            return false;
        }
    }

    /// <summary>Active jobs whose wake-up time has come.</summary>
    public async Task<IReadOnlyList<JobRecord>> ListDueAsync(DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        var filter = TableClient.CreateQueryFilter($"Terminal eq false and WakeAt le {now.UtcDateTime}");
        var due = new List<JobRecord>();
        await foreach (var entity in _table.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken))
        {
            due.Add(FromEntity(entity));
        }

        return due;
    }

    /// <summary>The earliest wake-up among active jobs, for a virtual clock to jump to.</summary>
    public async Task<DateTimeOffset?> NextWakeAsync(CancellationToken cancellationToken = default)
    {
        DateTimeOffset? next = null;
        await foreach (var entity in _table.QueryAsync<TableEntity>("Terminal eq false", select: ["WakeAt"], cancellationToken: cancellationToken))
        {
            var wake = entity.GetDateTimeOffset("WakeAt");
            if (wake is not null && (next is null || wake < next))
            {
                next = wake;
            }
        }

        return next;
    }

    private static TableEntity ToEntity(TrainingJob job, JobState state)
    {
        var entity = new TableEntity(job.Id, RowKey)
        {
            ["Name"] = job.Name,
            ["Owner"] = job.Owner,
            ["Status"] = state.Status.ToString(),
            ["Terminal"] = state.IsTerminal,
            ["WakeAt"] = state.WakeAt?.UtcDateTime,
            ["StatusUpdatedAt"] = state.UpdatedAt.UtcDateTime,
        };
        Write(entity, "Job", JobContract.Serialize(job));
        Write(entity, "State", JsonSerializer.Serialize(state, StorageJson.Options));
        return entity;
    }

    private static JobRecord FromEntity(TableEntity entity)
    {
        var job = JobContract.ReadStored(Read(entity, "Job"));
        var state = JsonSerializer.Deserialize<JobState>(Read(entity, "State"), StorageJson.Options)
            ?? throw new InvalidDataException($"job {entity.PartitionKey} has no state");
        return new JobRecord(job, state, entity.ETag);
    }

    private static void Write(TableEntity entity, string name, string text)
    {
        var chunks = (text.Length + ChunkChars - 1) / ChunkChars;
        entity[name + "Chunks"] = chunks;
        for (var i = 0; i < chunks; i++)
        {
            entity[name + i] = text.Substring(i * ChunkChars, Math.Min(ChunkChars, text.Length - (i * ChunkChars)));
        }
    }

    private static string Read(TableEntity entity, string name)
    {
        var chunks = entity.GetInt32(name + "Chunks") ?? throw new InvalidDataException($"row {entity.PartitionKey} has no {name}");
        var text = new StringBuilder();
        for (var i = 0; i < chunks; i++)
        {
            text.Append(entity.GetString(name + i));
        }

        return text.ToString();
    }
}
