using Azure;
using Azure.Data.Tables;

namespace CarbonFunctions.Compute.Budget;

/// <summary>
/// The node ledger in one Azure Table row (table <see cref="PoolsOptions.LedgerTable"/>, PartitionKey
/// <c>ledger</c>, RowKey <c>nodes</c>) holding every reservation. Every change reads the row, decides on that
/// version (<see cref="NodeLedgerState"/>) and writes with If-Match on its ETag; a writer that lost the race gets
/// 412 (or 409 when two create the row), backs off with jitter and decides again on the newer version. The cap
/// is checked against the version that is replaced, so no interleaving of instances can pass it; a refusal
/// writes nothing.
/// </summary>
public sealed class TableNodeLedger : INodeLedger, IDisposable
{
    private const string Partition = "ledger";
    private const string Row = "nodes";

    // A string property holds at most 64 KiB (32K UTF-16 characters); about 500 pools fit.
    private const int MaxStateLength = 32_000;
    private const int MaxAttempts = 60;
    private static readonly TimeSpan BaseDelay = TimeSpan.FromMilliseconds(4);
    private static readonly TimeSpan MaxDelay = TimeSpan.FromMilliseconds(250);

    private readonly TableClient _table;

    // One writer per process: callers in the same instance queue here instead of costing each other a 412.
    private readonly SemaphoreSlim _gate = new(1, 1);
    private volatile bool _created;
    private long _conflictsRetried;

    public TableNodeLedger(TableServiceClient tables, PoolsOptions options)
    {
        ArgumentNullException.ThrowIfNull(tables);
        ArgumentNullException.ThrowIfNull(options);
        var problems = options.Validate();
        if (problems.Count > 0)
        {
            throw new ArgumentException(string.Join(" ", problems), nameof(options));
        }

        MaxTotalNodes = options.MaxTotalNodes;
        _table = tables.GetTableClient(options.LedgerTable);
    }

    public int MaxTotalNodes { get; }

    /// <summary>Writes this instance lost to another writer and retried (a measure of contention between instances).</summary>
    public long ConflictsRetried => Interlocked.Read(ref _conflictsRetried);

    public Task ReserveAsync(string provider, string poolId, int nodes, CancellationToken cancellationToken) =>
        ChangeAsync(state => state.Reserve(provider, poolId, nodes, MaxTotalNodes), cancellationToken);

    public Task RecordAsync(string provider, string poolId, int nodes, CancellationToken cancellationToken) =>
        ChangeAsync(state => state.Record(provider, poolId, nodes), cancellationToken);

    public async Task SeedAsync(string provider, Func<CancellationToken, Task<IReadOnlyList<(string PoolId, int Nodes)>>> listRunning, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(provider);
        ArgumentNullException.ThrowIfNull(listRunning);
        if ((await ReadAsync(cancellationToken).ConfigureAwait(false)).SeededProviders.Contains(provider))
        {
            return;
        }

        // Listed outside the retry loop. Every guard seeds before it reserves or releases, so while the
        // provider is unseeded nobody has changed its pools in the ledger; the first conditional write marks it
        // seeded and makes every later or concurrent seed a no-op.
        var running = await listRunning(cancellationToken).ConfigureAwait(false);
        await ChangeAsync(state => state.Seed(provider, running), cancellationToken).ConfigureAwait(false);
    }

    public async Task<NodeLedgerState> ReadAsync(CancellationToken cancellationToken) =>
        (await LoadAsync(cancellationToken).ConfigureAwait(false)).State;

    public void Dispose() => _gate.Dispose();

    private async Task ChangeAsync(Func<NodeLedgerState, NodeLedgerState> change, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            for (var attempt = 1; ; attempt++)
            {
                var (state, etag) = await LoadAsync(cancellationToken).ConfigureAwait(false);
                var next = change(state);
                if (ReferenceEquals(next, state))
                {
                    return;
                }

                try
                {
                    await WriteAsync(next, etag, cancellationToken).ConfigureAwait(false);
                    return;
                }
                catch (RequestFailedException ex) when (ex.Status is 412 or 409)
                {
                    Interlocked.Increment(ref _conflictsRetried);
                    if (attempt == MaxAttempts)
                    {
                        throw new PoolThrottledException(
                            $"The node ledger '{_table.Name}' changed under {MaxAttempts} attempts in a row; too many instances are writing it at once. Retry later.", ex);
                    }
                }

                await Task.Delay(Backoff(attempt), cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Full jitter on an exponential ceiling, on the wall clock: it spreads real writers apart, so it is not
    /// domain time and must not wait on a test's virtual clock.
    /// </summary>
    private static TimeSpan Backoff(int attempt)
    {
        var ceiling = Math.Min(MaxDelay.TotalMilliseconds, BaseDelay.TotalMilliseconds * Math.Pow(2, Math.Min(attempt, 16)));
        return TimeSpan.FromMilliseconds(1 + (Random.Shared.NextDouble() * ceiling));
    }

    private async Task<(NodeLedgerState State, ETag ETag)> LoadAsync(CancellationToken cancellationToken)
    {
        await EnsureTableAsync(cancellationToken).ConfigureAwait(false);
        NullableResponse<TableEntity> response;
        try
        {
            response = await _table.GetEntityIfExistsAsync<TableEntity>(Partition, Row, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException error) when (ForgetTableWhenMissing(error))
        {
            throw;
        }

        if (!response.HasValue || response.Value is not { } entity)
        {
            return (NodeLedgerState.Empty, default);
        }

        var json = entity.GetString("State") ?? throw new FormatException($"The node ledger row in '{_table.Name}' has no State; fix or delete it.");
        return (NodeLedgerState.FromJson(json), entity.ETag);
    }

    private async Task WriteAsync(NodeLedgerState next, ETag etag, CancellationToken cancellationToken)
    {
        var json = next.ToJson();
        if (json.Length > MaxStateLength)
        {
            throw new InvalidOperationException(
                $"The node ledger would hold {next.Held.Count} pools ({json.Length} characters), more than one table row can store; stop idle pools.");
        }

        // TotalNodes and Pools repeat what State says, so that a person reading the table sees the sum.
        var entity = new TableEntity(Partition, Row)
        {
            ["State"] = json,
            ["TotalNodes"] = next.Total,
            ["Pools"] = next.Held.Count,
            ["MaxTotalNodes"] = MaxTotalNodes,
        };
        try
        {
            if (etag == default)
            {
                await _table.AddEntityAsync(entity, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await _table.UpdateEntityAsync(entity, etag, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (RequestFailedException error) when (ForgetTableWhenMissing(error))
        {
            throw;
        }
    }

    /// <summary>
    /// An exception filter: a "table not found" means the table this ledger believed created is gone (seen under
    /// injected storage faults), so the next change creates it again; the exception still propagates. A missing
    /// table reads as an empty ledger, so the write is where it shows.
    /// </summary>
    private bool ForgetTableWhenMissing(RequestFailedException error)
    {
        if (error.Status == 404 && error.ErrorCode == "TableNotFound")
        {
            _created = false;
        }

        return false;
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
