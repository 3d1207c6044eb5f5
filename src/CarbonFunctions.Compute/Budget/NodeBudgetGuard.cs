using CarbonFunctions.Core.Pools;

namespace CarbonFunctions.Compute.Budget;

/// <summary>
/// Wraps a provider so that the nodes running across all pools of all providers, in every instance that shares
/// the <see cref="INodeLedger"/>, stay within <see cref="INodeLedger.MaxTotalNodes"/>: a request that would pass it
/// is refused with <see cref="PoolBudgetExceededException"/> before the cloud is called (never clamped: a job
/// silently given fewer nodes would miss its deadline without anyone being told).
/// </summary>
public sealed class NodeBudgetGuard : IPoolProvider, IDisposable
{
    private readonly IPoolProvider _inner;
    private readonly INodeLedger _ledger;
    private readonly SemaphoreSlim _seedGate = new(1, 1);
    private volatile bool _seeded;

    public NodeBudgetGuard(IPoolProvider inner, INodeLedger ledger)
    {
        _inner = inner ?? throw new ArgumentNullException(nameof(inner));
        _ledger = ledger ?? throw new ArgumentNullException(nameof(ledger));
    }

    public string Name => _inner.Name;

    public async Task<PoolStatus> EnsureRunningAsync(PoolSpec spec, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        await EnsureSeededAsync(cancellationToken).ConfigureAwait(false);
        await _ledger.ReserveAsync(Name, spec.PoolId, spec.Nodes, cancellationToken).ConfigureAwait(false);
        PoolStatus status;
        try
        {
            status = await _inner.EnsureRunningAsync(spec, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            await RecordAfterFailureAsync(spec, cancellationToken).ConfigureAwait(false);
            throw;
        }

        // Nodes still starting will run soon, so the pool keeps what it asked for unless it failed outright.
        if (status.State == PoolState.Failed)
        {
            await _ledger.RecordAsync(Name, spec.PoolId, status.RunningNodes, CancellationToken.None).ConfigureAwait(false);
        }

        return status;
    }

    public async Task<PoolStatus> PauseAsync(string poolId, CancellationToken cancellationToken)
    {
        await EnsureSeededAsync(cancellationToken).ConfigureAwait(false);
        return await ReleaseAsync(poolId, await _inner.PauseAsync(poolId, cancellationToken).ConfigureAwait(false)).ConfigureAwait(false);
    }

    public async Task<PoolStatus> StopAsync(string poolId, CancellationToken cancellationToken)
    {
        await EnsureSeededAsync(cancellationToken).ConfigureAwait(false);
        return await ReleaseAsync(poolId, await _inner.StopAsync(poolId, cancellationToken).ConfigureAwait(false)).ConfigureAwait(false);
    }

    public Task<PoolStatus> GetStatusAsync(string poolId, CancellationToken cancellationToken) =>
        _inner.GetStatusAsync(poolId, cancellationToken);

    public Task<IReadOnlyList<PoolStatus>> ListActiveAsync(CancellationToken cancellationToken) =>
        _inner.ListActiveAsync(cancellationToken);

    public void Dispose() => _seedGate.Dispose();

    private async Task<PoolStatus> ReleaseAsync(string poolId, PoolStatus status)
    {
        // The cloud has already let the nodes go: record it even if the caller gives up now, or they leak.
        await _ledger.RecordAsync(Name, poolId, status.RunningNodes, CancellationToken.None).ConfigureAwait(false);
        return status;
    }

    private async Task RecordAfterFailureAsync(PoolSpec spec, CancellationToken cancellationToken)
    {
        // The outcome is unknown (a timeout may hide a start that went through): hold the nodes the cloud
        // reports, and all that was asked for when the cloud cannot even be asked.
        try
        {
            var now = await _inner.GetStatusAsync(spec.PoolId, cancellationToken).ConfigureAwait(false);
            await _ledger.RecordAsync(Name, spec.PoolId, now.State == PoolState.Starting ? spec.Nodes : now.RunningNodes, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            // Keep the reservation: over-counting is safe, under-counting is not.
        }
    }

    private async Task EnsureSeededAsync(CancellationToken cancellationToken)
    {
        if (_seeded)
        {
            return;
        }

        await _seedGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!_seeded)
            {
                // Pools may already run when this ledger first meets the provider (a new table, or pools
                // started before the guard existed); count them first. The ledger does this once per provider.
                await _ledger.SeedAsync(Name, ListRunningAsync, cancellationToken).ConfigureAwait(false);
                _seeded = true;
            }
        }
        finally
        {
            _seedGate.Release();
        }
    }

    private async Task<IReadOnlyList<(string PoolId, int Nodes)>> ListRunningAsync(CancellationToken cancellationToken)
    {
        var active = await _inner.ListActiveAsync(cancellationToken).ConfigureAwait(false);
        return [.. active.Select(p => (p.PoolId, Math.Max(p.RunningNodes, p.RequestedNodes)))];
    }
}
