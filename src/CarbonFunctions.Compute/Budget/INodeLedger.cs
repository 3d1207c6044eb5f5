namespace CarbonFunctions.Compute.Budget;

/// <summary>
/// The nodes held by every pool of every provider, shared by every process that starts pools, so that
/// <see cref="MaxTotalNodes"/> holds across scaled-out instances. <see cref="NodeBudgetGuard"/> is its one user.
/// </summary>
public interface INodeLedger
{
    /// <summary>The cap this process enforces (<c>Carbon:Pools:MaxTotalNodes</c>).</summary>
    int MaxTotalNodes { get; }

    /// <summary>
    /// Admits <paramref name="nodes"/> for the pool, replacing what it held, or throws
    /// <see cref="PoolBudgetExceededException"/> and changes nothing. Two callers can never both be admitted
    /// for the same last nodes.
    /// </summary>
    Task ReserveAsync(string provider, string poolId, int nodes, CancellationToken cancellationToken);

    /// <summary>Records what a pool holds now (0 after a stop): released nodes are free for any pool at once.</summary>
    Task RecordAsync(string provider, string poolId, int nodes, CancellationToken cancellationToken);

    /// <summary>
    /// Counts the provider's running pools (asked for only when needed) that the ledger does not know, the first
    /// time this ledger meets the provider; after that the ledger is the record.
    /// </summary>
    Task SeedAsync(string provider, Func<CancellationToken, Task<IReadOnlyList<(string PoolId, int Nodes)>>> listRunning, CancellationToken cancellationToken);

    /// <summary>The current version of the ledger.</summary>
    Task<NodeLedgerState> ReadAsync(CancellationToken cancellationToken);
}
