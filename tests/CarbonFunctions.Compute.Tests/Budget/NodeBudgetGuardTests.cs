using System.Collections.Concurrent;
using CarbonFunctions.Compute.Budget;
using CarbonFunctions.Core.Jobs;
using CarbonFunctions.Core.Pools;

namespace CarbonFunctions.Compute.Tests.Budget;

public sealed class NodeBudgetGuardTests
{
    private static PoolSpec Spec(string poolId, int nodes) => new()
    {
        PoolId = poolId,
        Kind = PoolKind.Gpu,
        Provider = CloudProvider.Azure,
        Region = "westeurope",
        NodeSize = "Standard_ND96asr_v4",
        Nodes = nodes,
    };

    [Fact]
    public async Task Many_parallel_requests_never_pass_the_cap_and_the_rest_are_refused()
    {
        var cloud = new InMemoryPools("azure");
        using var guard = new NodeBudgetGuard(cloud, new NodeBudget(new PoolsOptions { MaxTotalNodes = 20 }));

        var calls = Enumerable.Range(0, 40).Select(i => Task.Run(async () =>
        {
            try
            {
                await guard.EnsureRunningAsync(Spec($"job{i}", 3), CancellationToken.None);
                return true;
            }
            catch (PoolBudgetExceededException)
            {
                return false;
            }
        }));
        var outcomes = await Task.WhenAll(calls);

        // 20 / 3 = 6 pools fit; the cloud never saw more than 18 nodes at once.
        Assert.Equal(6, outcomes.Count(ok => ok));
        Assert.Equal(18, cloud.Running);
        Assert.True(cloud.MaxObserved <= 20, $"cloud saw {cloud.MaxObserved} nodes");
    }

    [Fact]
    public async Task Providers_share_one_budget_and_a_stop_frees_it()
    {
        var budget = new NodeBudget(new PoolsOptions { MaxTotalNodes = 10 });
        using var azure = new NodeBudgetGuard(new InMemoryPools("azure"), budget);
        using var aws = new NodeBudgetGuard(new InMemoryPools("aws"), budget);

        await azure.EnsureRunningAsync(Spec("a", 8), CancellationToken.None);
        var refused = await Assert.ThrowsAsync<PoolBudgetExceededException>(() => aws.EnsureRunningAsync(Spec("b", 3), CancellationToken.None));
        await azure.StopAsync("a", CancellationToken.None);
        var started = await aws.EnsureRunningAsync(Spec("b", 3), CancellationToken.None);

        Assert.Equal((8, 10), (refused.OtherPoolsNodes, refused.MaxTotalNodes));
        Assert.Contains("refused", refused.Message, StringComparison.Ordinal);
        Assert.Equal(3, started.RunningNodes);
        Assert.Equal(3, budget.TotalHeld);
    }

    [Fact]
    public async Task Resizing_a_pool_counts_its_nodes_once()
    {
        var budget = new NodeBudget(new PoolsOptions { MaxTotalNodes = 6 });
        using var guard = new NodeBudgetGuard(new InMemoryPools("azure"), budget);

        await guard.EnsureRunningAsync(Spec("a", 4), CancellationToken.None);
        var grown = await guard.EnsureRunningAsync(Spec("a", 6), CancellationToken.None);

        Assert.Equal(6, grown.RunningNodes);
        Assert.Equal(6, budget.TotalHeld);
    }

    [Fact]
    public async Task After_a_restart_pools_already_running_are_counted()
    {
        var cloud = new InMemoryPools("azure");
        await cloud.EnsureRunningAsync(Spec("left-running", 5), CancellationToken.None);
        using var guard = new NodeBudgetGuard(cloud, new NodeBudget(new PoolsOptions { MaxTotalNodes = 6 }));

        await Assert.ThrowsAsync<PoolBudgetExceededException>(() => guard.EnsureRunningAsync(Spec("new", 2), CancellationToken.None));
        var fits = await guard.EnsureRunningAsync(Spec("new", 1), CancellationToken.None);

        Assert.Equal(1, fits.RunningNodes);
    }

    [Fact]
    public async Task A_failed_start_gives_its_nodes_back()
    {
        var cloud = new InMemoryPools("azure") { FailNext = true };
        var budget = new NodeBudget(new PoolsOptions { MaxTotalNodes = 4 });
        using var guard = new NodeBudgetGuard(cloud, budget);

        await Assert.ThrowsAsync<InvalidOperationException>(() => guard.EnsureRunningAsync(Spec("a", 4), CancellationToken.None));
        var other = await guard.EnsureRunningAsync(Spec("b", 4), CancellationToken.None);

        Assert.Equal(4, other.RunningNodes);
    }

    /// <summary>A cloud behind the port: pools start after a short, varying delay so that calls interleave.</summary>
    private sealed class InMemoryPools(string name) : IPoolProvider
    {
        private readonly ConcurrentDictionary<string, int> _pools = new();
        private int _maxObserved;

        public string Name => name;

        public bool FailNext { get; set; }

        public int Running => _pools.Values.Sum();

        public int MaxObserved => _maxObserved;

        public async Task<PoolStatus> EnsureRunningAsync(PoolSpec spec, CancellationToken cancellationToken)
        {
            await Task.Delay(Random.Shared.Next(1, 15), cancellationToken);
            if (FailNext)
            {
                FailNext = false;
                throw new InvalidOperationException("injected start failure");
            }

            _pools[spec.PoolId] = spec.Nodes;
            var total = Running;
            int seen;
            while (total > (seen = _maxObserved) && Interlocked.CompareExchange(ref _maxObserved, total, seen) != seen)
            {
            }

            return Status(spec.PoolId);
        }

        public Task<PoolStatus> PauseAsync(string poolId, CancellationToken cancellationToken) => StopAsync(poolId, cancellationToken);

        public Task<PoolStatus> StopAsync(string poolId, CancellationToken cancellationToken)
        {
            _pools.TryRemove(poolId, out _);
            return Task.FromResult(Status(poolId));
        }

        public Task<PoolStatus> GetStatusAsync(string poolId, CancellationToken cancellationToken) => Task.FromResult(Status(poolId));

        public Task<IReadOnlyList<PoolStatus>> ListActiveAsync(CancellationToken cancellationToken) =>
            Task.FromResult<IReadOnlyList<PoolStatus>>([.. _pools.Keys.Select(Status)]);

        private PoolStatus Status(string poolId)
        {
            var nodes = _pools.GetValueOrDefault(poolId);
            return new PoolStatus { PoolId = poolId, State = nodes > 0 ? PoolState.Running : PoolState.Stopped, RunningNodes = nodes, RequestedNodes = nodes };
        }
    }
}
