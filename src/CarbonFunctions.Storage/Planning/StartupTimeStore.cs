using System.Globalization;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using CarbonFunctions.Core.Jobs;

namespace CarbonFunctions.Storage.Planning;

/// <summary>
/// Observed pool start durations (start asked for → pool running), the last <see cref="Kept"/> per provider and node
/// size, in one table row each (ETag-guarded, so hosts on one account do not lose each other's samples). The planner
/// turns them into its start-up allowance (<c>StartupAllowanceEstimator</c>).
/// </summary>
public sealed class StartupTimeStore(StorageClients clients, string tableName = StartupTimeStore.DefaultTableName)
{
    public const string DefaultTableName = "startuptimes";

    /// <summary>Samples kept per provider and size: enough for a stable p95, small enough for one entity.</summary>
    public const int Kept = 50;

    private readonly TableClient _table = clients.Tables.GetTableClient(tableName);
    private bool _created;

    public async Task RecordAsync(CloudProvider provider, string nodeSize, TimeSpan observed, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(nodeSize);
        await EnsureTableAsync(cancellationToken);
        for (var attempt = 1; attempt <= 8; attempt++)
        {
            var existing = await _table.GetEntityIfExistsAsync<TableEntity>(Partition(provider), Row(nodeSize), cancellationToken: cancellationToken);
            var samples = existing.HasValue ? Read(existing.Value!) : [];
            samples.Add(observed.TotalSeconds);
            var entity = new TableEntity(Partition(provider), Row(nodeSize)) { ["Seconds"] = JsonSerializer.Serialize(samples.TakeLast(Kept).ToList()) };
            try
            {
                if (existing.HasValue)
                {
                    await _table.UpdateEntityAsync(entity, existing.Value!.ETag, TableUpdateMode.Replace, cancellationToken);
                }
                else
                {
                    await _table.AddEntityAsync(entity, cancellationToken);
                }

                return;
            }
            catch (RequestFailedException ex) when (ex.Status is 409 or 412)
            {
                // Another host recorded a start at the same moment: read its sample and add ours again.
            }
        }
    }

    public async Task<IReadOnlyList<TimeSpan>> GetAsync(CloudProvider provider, string nodeSize, CancellationToken cancellationToken = default)
    {
        await EnsureTableAsync(cancellationToken);
        var existing = await _table.GetEntityIfExistsAsync<TableEntity>(Partition(provider), Row(nodeSize), cancellationToken: cancellationToken);
        return existing.HasValue ? [.. Read(existing.Value!).Select(TimeSpan.FromSeconds)] : [];
    }

    private static List<double> Read(TableEntity entity) =>
        entity.GetString("Seconds") is { } json ? JsonSerializer.Deserialize<List<double>>(json) ?? [] : [];

    private static string Partition(CloudProvider provider) => provider.ToString().ToLowerInvariant();

    // Table keys may not hold '/', '\\', '#', '?'; node sizes are letters, digits, '_', '.', '-'.
    private static string Row(string nodeSize) => nodeSize.ToLower(CultureInfo.InvariantCulture);

    private async Task EnsureTableAsync(CancellationToken cancellationToken)
    {
        if (!_created)
        {
            await _table.CreateIfNotExistsAsync(cancellationToken);
            _created = true;
        }
    }
}
