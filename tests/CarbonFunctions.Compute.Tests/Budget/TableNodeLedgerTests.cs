using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Data.Tables;
using CarbonFunctions.Compute.Budget;
using CarbonFunctions.Testing;

namespace CarbonFunctions.Compute.Tests.Budget;

/// <summary>The table ledger on Azurite; each ledger object stands for one host, with its own storage client.</summary>
public sealed class TableNodeLedgerTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>
{
    private readonly string _table = AzuriteFixture.UniqueName("ledger");

    private TableNodeLedger Host(int maxTotalNodes, TableClientOptions? options = null) =>
        new(new TableServiceClient(azurite.ConnectionString, options ?? new TableClientOptions()), new PoolsOptions { MaxTotalNodes = maxTotalNodes, LedgerTable = _table });

    private async Task<TableEntity> RowAsync() =>
        (await new TableServiceClient(azurite.ConnectionString).GetTableClient(_table).GetEntityAsync<TableEntity>("ledger", "nodes")).Value;

    [Fact]
    public async Task A_refused_reservation_writes_nothing()
    {
        using var host = Host(8);
        await host.ReserveAsync("azure", "a", 5, CancellationToken.None);
        var before = await RowAsync();

        var refused = await Assert.ThrowsAsync<PoolBudgetExceededException>(() => host.ReserveAsync("aws", "b", 4, CancellationToken.None));
        var after = await RowAsync();

        Assert.Equal((5, 8), (refused.OtherPoolsNodes, refused.MaxTotalNodes));
        Assert.Equal(before.ETag, after.ETag);
        Assert.Equal(before.GetString("State"), after.GetString("State"));
        Assert.Equal(5, after.GetInt32("TotalNodes"));
    }

    [Fact]
    public async Task Nodes_released_on_one_host_are_reusable_on_another()
    {
        using var first = Host(6);
        using var second = Host(6);
        await first.ReserveAsync("azure", "a", 6, CancellationToken.None);
        await Assert.ThrowsAsync<PoolBudgetExceededException>(() => second.ReserveAsync("aws", "b", 1, CancellationToken.None));

        await first.RecordAsync("azure", "a", 0, CancellationToken.None);
        await second.ReserveAsync("aws", "b", 6, CancellationToken.None);
        var row = await RowAsync();

        Assert.Equal((6, 1), (row.GetInt32("TotalNodes"), row.GetInt32("Pools")));
        Assert.Equal(6, (await first.ReadAsync(CancellationToken.None)).HeldBy("aws", "b"));
    }

    [Fact]
    public async Task A_write_that_lost_the_race_decides_again_on_the_newer_ledger_and_is_refused()
    {
        // Host B takes the last nodes between host A's read and A's conditional write: without If-Match A would
        // overwrite B's reservation and 4 + 6 + 3 = 13 nodes would run under a cap of 10.
        using var hostB = Host(10);
        await hostB.ReserveAsync("aws", "b1", 6, CancellationToken.None);
        var interleave = new BeforeFirstWrite(RequestMethod.Put);
        var options = new TableClientOptions();
        options.AddPolicy(interleave, HttpPipelinePosition.PerCall);
        using var hostA = Host(10, options);
        interleave.Arm(() => hostB.ReserveAsync("aws", "b2", 3, CancellationToken.None));

        var refused = await Assert.ThrowsAsync<PoolBudgetExceededException>(() => hostA.ReserveAsync("azure", "a1", 4, CancellationToken.None));
        var ledger = await hostB.ReadAsync(CancellationToken.None);

        Assert.True(interleave.Fired);
        Assert.Equal(1, hostA.ConflictsRetried);
        Assert.Equal(9, refused.OtherPoolsNodes);
        Assert.Equal((6, 3, 0, 9), (ledger.HeldBy("aws", "b1"), ledger.HeldBy("aws", "b2"), ledger.HeldBy("azure", "a1"), ledger.Total));
    }

    [Fact]
    public async Task Two_hosts_creating_the_ledger_at_once_both_keep_their_reservation()
    {
        var interleave = new BeforeFirstWrite(RequestMethod.Post);
        var options = new TableClientOptions();
        options.AddPolicy(interleave, HttpPipelinePosition.PerCall);
        using var hostA = Host(10, options);
        using var hostB = Host(10);

        // The table exists before A's first write; B creates the row while A's insert is on its way.
        await hostA.ReadAsync(CancellationToken.None);
        interleave.Arm(() => hostB.ReserveAsync("aws", "b", 5, CancellationToken.None));
        await hostA.ReserveAsync("azure", "a", 5, CancellationToken.None);
        var ledger = await hostB.ReadAsync(CancellationToken.None);

        Assert.True(interleave.Fired);
        Assert.Equal(1, hostA.ConflictsRetried);
        Assert.Equal((5, 5, 10), (ledger.HeldBy("azure", "a"), ledger.HeldBy("aws", "b"), ledger.Total));
    }

    [Fact]
    public async Task A_provider_is_seeded_once_per_ledger_not_once_per_host()
    {
        using var first = Host(32);
        using var second = Host(32);
        var lists = 0;
        Task<IReadOnlyList<(string, int)>> Running(CancellationToken _)
        {
            lists++;
            return Task.FromResult<IReadOnlyList<(string, int)>>([("left-running", 5), ("stopping", 2)]);
        }

        await first.SeedAsync("azure", Running, CancellationToken.None);
        await first.RecordAsync("azure", "stopping", 0, CancellationToken.None);

        // A second host starting later (its list may still show the pool being stopped) changes nothing.
        await second.SeedAsync("azure", Running, CancellationToken.None);
        var ledger = await second.ReadAsync(CancellationToken.None);

        Assert.Equal(1, lists);
        Assert.Equal((5, 0, 5), (ledger.HeldBy("azure", "left-running"), ledger.HeldBy("azure", "stopping"), ledger.Total));
        Assert.Equal(["azure"], ledger.SeededProviders);
    }

    [Fact]
    public async Task A_malformed_ledger_row_stops_reservations_with_a_clear_error()
    {
        using var host = Host(8);
        await host.ReserveAsync("azure", "a", 1, CancellationToken.None);
        var table = new TableServiceClient(azurite.ConnectionString).GetTableClient(_table);
        await table.UpsertEntityAsync(new TableEntity("ledger", "nodes") { ["State"] = "{\"pools\":" }, TableUpdateMode.Replace);

        var error = await Assert.ThrowsAsync<FormatException>(() => host.ReserveAsync("azure", "b", 1, CancellationToken.None));

        Assert.Contains("node ledger is malformed", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_ledger_whose_table_vanished_creates_it_again_on_the_next_change()
    {
        // Seen under injected storage faults: the table a ledger had created was gone, a missing table reads as an
        // empty ledger, and every write then failed with "table not found" because the ledger still believed it there.
        using var host = Host(8);
        await host.RecordAsync("azure", "a", 2, CancellationToken.None);
        await new TableServiceClient(azurite.ConnectionString).DeleteTableAsync(_table);

        var lost = await Assert.ThrowsAsync<global::Azure.RequestFailedException>(() => host.RecordAsync("azure", "b", 3, CancellationToken.None));
        await host.RecordAsync("azure", "b", 3, CancellationToken.None);

        Assert.Equal("TableNotFound", lost.ErrorCode);
        Assert.Equal(3, (await RowAsync()).GetInt32("TotalNodes"));
    }

    [Fact]
    public void An_invalid_table_name_is_refused_when_the_ledger_is_made()
    {
        var error = Assert.Throws<ArgumentException>(() =>
            new TableNodeLedger(new TableServiceClient(azurite.ConnectionString), new PoolsOptions { LedgerTable = "node_ledger" }));

        Assert.Contains("Carbon:Pools:LedgerTable 'node_ledger'", error.Message, StringComparison.Ordinal);
    }

    /// <summary>Once armed, runs an action (another host's write) just before the next request of one method is sent.</summary>
    private sealed class BeforeFirstWrite(RequestMethod method) : HttpPipelinePolicy
    {
        private Func<Task>? _action;
        private int _fired;

        public bool Fired => _fired == 1;

        public void Arm(Func<Task> action) => _action = action;

        public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline) =>
            throw new NotSupportedException("the ledger is async only");

        public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
        {
            if (_action is { } action && message.Request.Method == method && Interlocked.CompareExchange(ref _fired, 1, 0) == 0)
            {
                await action();
            }

            await ProcessNextAsync(message, pipeline);
        }
    }
}
