using Azure;
using Azure.Data.Tables;
using CarbonFunctions.Core.Agents;

namespace CarbonFunctions.Storage.Agents;

/// <summary>
/// The control channel from the lifecycle to a job's node agents: one row per job (PartitionKey = job id,
/// RowKey "control") holding the latest request, which every node polls. Broadcast by design: the lifecycle
/// does not need to know the nodes, and each node answers with its own <c>checkpointed</c> event carrying
/// the request id.
/// </summary>
public sealed class AgentControlTable(StorageClients clients, string tableName = AgentControlTable.DefaultTableName)
{
    public const string DefaultTableName = "agentcontrol";

    private const string RowKey = "control";

    private readonly TableClient _table = clients.Tables.GetTableClient(tableName);
    private bool _created;

    /// <summary>Asks every agent of <paramref name="jobId"/> to checkpoint or stop; replaces any earlier request.</summary>
    public async Task RequestAsync(string jobId, string kind, string requestId, DateTimeOffset? requestedAt = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(jobId);
        ArgumentException.ThrowIfNullOrEmpty(requestId);
        if (!ControlKinds.All.Contains(kind))
        {
            throw new ArgumentException($"unknown control kind '{kind}'; known: {string.Join(", ", ControlKinds.All)}", nameof(kind));
        }

        await EnsureTableAsync(cancellationToken).ConfigureAwait(false);
        var entity = new TableEntity(jobId, RowKey)
        {
            ["Kind"] = kind,
            ["RequestId"] = requestId,
            ["RequestedAt"] = (requestedAt ?? DateTimeOffset.UtcNow).UtcDateTime,
        };
        await _table.UpsertEntityAsync(entity, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The standing request for a job, or null when there is none.</summary>
    public async Task<ControlRequest?> GetAsync(string jobId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(jobId);
        await EnsureTableAsync(cancellationToken).ConfigureAwait(false);
        var response = await _table.GetEntityIfExistsAsync<TableEntity>(jobId, RowKey, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (!response.HasValue || response.Value is not { } entity)
        {
            return null;
        }

        return new ControlRequest(
            jobId,
            entity.GetString("Kind") ?? throw new InvalidDataException($"control row of {jobId} has no Kind"),
            entity.GetString("RequestId") ?? throw new InvalidDataException($"control row of {jobId} has no RequestId"),
            entity.GetDateTimeOffset("RequestedAt") ?? DateTimeOffset.MinValue);
    }

    /// <summary>Removes the standing request (before a resume, so that a fresh agent starts with a clean channel); idempotent.</summary>
    public async Task ClearAsync(string jobId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(jobId);
        await EnsureTableAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await _table.DeleteEntityAsync(jobId, RowKey, ETag.All, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            // Already clear.
        }
    }

    private async Task EnsureTableAsync(CancellationToken cancellationToken)
    {
        if (!_created)
        {
            await _table.CreateIfNotExistsAsync(cancellationToken).ConfigureAwait(false);
            _created = true;
        }
    }
}
