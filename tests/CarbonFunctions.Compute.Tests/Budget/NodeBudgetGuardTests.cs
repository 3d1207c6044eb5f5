using System.Collections.Concurrent;
using Azure.Data.Tables;
using CarbonFunctions.Compute.Budget;
using CarbonFunctions.Core.Jobs;
using CarbonFunctions.Core.Pools;
using CarbonFunctions.Testing;

namespace CarbonFunctions.Compute.Tests.Budget;

/// <summary>The guard on the table ledger (Azurite): each test has its own ledger table.</summary>
public sealed class NodeBudgetGuardTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>
{
    private readonly string _table = AzuriteFixture.UniqueName("ledger");

    private static PoolSpec Spec(string poolId, int nodes) => new()
    {
        PoolId = poolId,
        Kind = PoolKind.Gpu,
        Provider = CloudProvider.Azure,
        Region = "westeurope",
        NodeSize = "Standard_ND96asr_v4",
        Nodes = nodes,
    };

    /// <summary>A ledger as one host holds it: its own storage client on the shared table.</summary>
    private TableNodeLedger Ledger(int maxTotalNodes) =>
        new(new TableServiceClient(azurite.ConnectionString), new PoolsOptions { MaxTotalNodes = maxTotalNodes, LedgerTable = _table });

    [Fact]
    public async Task Parallel_requests_from_two_hosts_never_pass_the_cap_and_the_rest_are_refused()
    {
        // Two hosts, each with its own ledger client and its own view of one cloud.
        var cloud = new InMemoryPools("azure");
        using var ledgerA = Ledger(20);
        using var ledgerB = Ledger(20);
        using var hostA = new NodeBudgetGuard(cloud, ledgerA);
        using var hostB = new NodeBudgetGuard(cloud, ledgerB);

        var calls = Enumerable.Range(0, 40).Select(i => Task.Run(async () =>
        {
            try
            {
                await (i % 2 == 0 ? hostA : hostB).EnsureRunningAsync(Spec($"job{i}", 3), CancellationToken.None);
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
        Assert.Equal(18, (await ledgerA.ReadAsync(CancellationToken.None)).Total);
    }

    [Fact]
    public async Task Providers_share_one_budget_and_a_stop_frees_it()
    {
        using var budget = Ledger(10);
        using var azure = new NodeBudgetGuard(new InMemoryPools("azure"), budget);
        using var aws = new NodeBudgetGuard(new InMemoryPools("aws"), budget);

        await azure.EnsureRunningAsync(Spec("a", 8), CancellationToken.None);
        var refused = await Assert.ThrowsAsync<PoolBudgetExceededException>(() => aws.EnsureRunningAsync(Spec("b", 3), CancellationToken.None));
        await azure.StopAsync("a", CancellationToken.None);
        var started = await aws.EnsureRunningAsync(Spec("b", 3), CancellationToken.None);
        var after = await budget.ReadAsync(CancellationToken.None);

        Assert.Equal((8, 10), (refused.OtherPoolsNodes, refused.MaxTotalNodes));
        Assert.Contains("refused", refused.Message, StringComparison.Ordinal);
        Assert.Equal(3, started.RunningNodes);
        Assert.Equal(3, after.Total);
        Assert.Equal((0, 3), (after.HeldBy("azure", "a"), after.HeldBy("aws", "b")));
    }

    [Fact]
    public async Task Resizing_a_pool_counts_its_nodes_once()
    {
        using var budget = Ledger(6);
        using var guard = new NodeBudgetGuard(new InMemoryPools("azure"), budget);

        await guard.EnsureRunningAsync(Spec("a", 4), CancellationToken.None);
        var grown = await guard.EnsureRunningAsync(Spec("a", 6), CancellationToken.None);

        Assert.Equal(6, grown.RunningNodes);
        Assert.Equal(6, (await budget.ReadAsync(CancellationToken.None)).Total);
    }

    [Fact]
    public async Task Pools_running_before_the_ledger_existed_are_counted()
    {
        var cloud = new InMemoryPools("azure");
        await cloud.EnsureRunningAsync(Spec("left-running", 5), CancellationToken.None);
        using var ledger = Ledger(6);
        using var guard = new NodeBudgetGuard(cloud, ledger);

        await Assert.ThrowsAsync<PoolBudgetExceededException>(() => guard.EnsureRunningAsync(Spec("new", 2), CancellationToken.None));
        var fits = await guard.EnsureRunningAsync(Spec("new", 1), CancellationToken.None);

        Assert.Equal(1, fits.RunningNodes);
        Assert.Equal(5, (await ledger.ReadAsync(CancellationToken.None)).HeldBy("azure", "left-running"));
    }

    [Fact]
    public async Task A_restarted_host_keeps_what_the_ledger_holds_and_a_pool_stopped_since_stays_released()
    {
        var cloud = new InMemoryPools("azure");
        using (var ledger = Ledger(10))
        using (var before = new NodeBudgetGuard(cloud, ledger))
        {
            await before.EnsureRunningAsync(Spec("kept", 4), CancellationToken.None);
            await before.EnsureRunningAsync(Spec("stopped", 3), CancellationToken.None);
            await before.StopAsync("stopped", CancellationToken.None);
        }

        // The restarted host does not re-count the provider (the table already is the record) and sees the 4 held.
        cloud.ListCalls = 0;
        using var restartedLedger = Ledger(10);
        using var restarted = new NodeBudgetGuard(cloud, restartedLedger);
        var refused = await Assert.ThrowsAsync<PoolBudgetExceededException>(() => restarted.EnsureRunningAsync(Spec("big", 7), CancellationToken.None));
        await restarted.EnsureRunningAsync(Spec("fits", 6), CancellationToken.None);

        Assert.Equal(4, refused.OtherPoolsNodes);
        Assert.Equal(0, cloud.ListCalls);
        Assert.Equal(10, (await restartedLedger.ReadAsync(CancellationToken.None)).Total);
    }

    [Fact]
    public async Task A_failed_start_gives_its_nodes_back()
    {
        var cloud = new InMemoryPools("azure") { FailNext = true };
        using var budget = Ledger(4);
        using var guard = new NodeBudgetGuard(cloud, budget);

        await Assert.ThrowsAsync<InvalidOperationException>(() => guard.EnsureRunningAsync(Spec("a", 4), CancellationToken.None));
        var other = await guard.EnsureRunningAsync(Spec("b", 4), CancellationToken.None);

        Assert.Equal(4, other.RunningNodes);
        Assert.Equal(0, (await budget.ReadAsync(CancellationToken.None)).HeldBy("azure", "a"));
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

        public int ListCalls { get; set; }

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

        public Task<IReadOnlyList<PoolStatus>> ListActiveAsync(CancellationToken cancellationToken)
        {
            ListCalls++;
            return Task.FromResult<IReadOnlyList<PoolStatus>>([.. _pools.Keys.Select(Status)]);
        }

        private PoolStatus Status(string poolId)
        {
            var nodes = _pools.GetValueOrDefault(poolId);
            return new PoolStatus { PoolId = poolId, State = nodes > 0 ? PoolState.Running : PoolState.Stopped, RunningNodes = nodes, RequestedNodes = nodes };
        }
    }
}
