using CarbonFunctions.Core.Pools;

namespace CarbonFunctions.Compute.Budget;

/// <summary>
/// Wraps a provider so that the nodes running across all pools of all providers stay within
/// <see cref="NodeBudget.MaxTotalNodes"/>: a request that would pass it is refused with
/// <see cref="PoolBudgetExceededException"/> before the cloud is called (never clamped: a job silently
/// given fewer nodes would miss its deadline without anyone being told).
/// </summary>
public sealed class NodeBudgetGuard : IPoolProvider, IDisposable
{
    private readonly IPoolProvider _inner;
    private readonly NodeBudget _budget;
    private readonly SemaphoreSlim _seedGate = new(1, 1);
    private volatile bool _seeded;

    public NodeBudgetGuard(IPoolProvider inner, NodeBudget budget)
    {
        _inner = inner ?? throw new ArgumentNullException(nameof(inner));
        _budget = budget ?? throw new ArgumentNullException(nameof(budget));
    }

    public string Name => _inner.Name;

    public async Task<PoolStatus> EnsureRunningAsync(PoolSpec spec, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        await EnsureSeededAsync(cancellationToken).ConfigureAwait(false);
        _budget.Reserve(Name, spec.PoolId, spec.Nodes);
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
            _budget.Record(Name, spec.PoolId, status.RunningNodes);
        }

        return status;
    }

    public Task<PoolStatus> PauseAsync(string poolId, CancellationToken cancellationToken) =>
        ReleaseAsync(poolId, _inner.PauseAsync(poolId, cancellationToken));

    public Task<PoolStatus> StopAsync(string poolId, CancellationToken cancellationToken) =>
        ReleaseAsync(poolId, _inner.StopAsync(poolId, cancellationToken));

    public Task<PoolStatus> GetStatusAsync(string poolId, CancellationToken cancellationToken) =>
        _inner.GetStatusAsync(poolId, cancellationToken);

    public Task<IReadOnlyList<PoolStatus>> ListActiveAsync(CancellationToken cancellationToken) =>
        _inner.ListActiveAsync(cancellationToken);

    public void Dispose() => _seedGate.Dispose();

    private async Task<PoolStatus> ReleaseAsync(string poolId, Task<PoolStatus> call)
    {
        var status = await call.ConfigureAwait(false);
        _budget.Record(Name, poolId, status.RunningNodes);
        return status;
    }

    private async Task RecordAfterFailureAsync(PoolSpec spec, CancellationToken cancellationToken)
    {
        // The outcome is unknown (a timeout may hide a start that went through): hold the nodes the cloud
        // reports, and all that was asked for when the cloud cannot even be asked.
        try
        {
            var now = await _inner.GetStatusAsync(spec.PoolId, cancellationToken).ConfigureAwait(false);
            _budget.Record(Name, spec.PoolId, now.State == PoolState.Starting ? spec.Nodes : now.RunningNodes);
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
                // After a restart the ledger is empty while pools may still run; count them first.
                var active = await _inner.ListActiveAsync(cancellationToken).ConfigureAwait(false);
                _budget.Seed(Name, active.Select(p => (p.PoolId, Math.Max(p.RunningNodes, p.RequestedNodes))));
                _seeded = true;
            }
        }
        finally
        {
            _seedGate.Release();
        }
    }
}
