using CarbonFunctions.Compute.Budget;

namespace CarbonFunctions.Compute.Tests.Budget;

public sealed class NodeLedgerStateTests
{
    [Fact]
    public void A_reservation_replaces_what_the_pool_held_and_the_cap_counts_the_other_pools()
    {
        var state = NodeLedgerState.Empty
            .Reserve("azure", "job1", 4, 10)
            .Reserve("aws", "job1", 3, 10)
            .Reserve("azure", "job1", 7, 10);

        var refused = Assert.Throws<PoolBudgetExceededException>(() => state.Reserve("aws", "job2", 1, 10));

        Assert.Equal((7, 3, 10), (state.HeldBy("azure", "job1"), state.HeldBy("aws", "job1"), state.Total));
        Assert.Equal(("job2", 1, 10, 10), (refused.PoolId, refused.RequestedNodes, refused.OtherPoolsNodes, refused.MaxTotalNodes));
    }

    [Fact]
    public void Recording_zero_frees_the_nodes_and_removes_the_pool()
    {
        var state = NodeLedgerState.Empty.Reserve("azure", "a", 6, 6).Record("azure", "a", 0);

        Assert.Empty(state.Held);
        Assert.Equal(6, state.Reserve("aws", "b", 6, 6).Total);
    }

    [Fact]
    public void An_unchanged_reservation_is_the_same_version_so_nothing_is_written()
    {
        var state = NodeLedgerState.Empty.Reserve("azure", "a", 2, 4);

        Assert.Same(state, state.Reserve("azure", "a", 2, 4));
        Assert.Same(state, state.Record("azure", "a", 2));
        Assert.Same(NodeLedgerState.Empty, NodeLedgerState.Empty.Record("azure", "gone", 0));
    }

    [Fact]
    public void A_pool_may_shrink_while_the_ledger_is_over_the_cap_but_nothing_may_grow()
    {
        // Seeding counts what runs, even past a cap lowered since.
        var state = NodeLedgerState.Empty.Seed("azure", [("big", 9), ("small", 3)]);

        var shrunk = state.Reserve("azure", "big", 5, 8);

        Assert.Equal(8, shrunk.Total);
        Assert.Throws<PoolBudgetExceededException>(() => state.Reserve("azure", "small", 4, 8));
        Assert.Throws<PoolBudgetExceededException>(() => shrunk.Reserve("azure", "small", 4, 8));
    }

    [Fact]
    public void A_provider_is_seeded_once_and_known_pools_keep_what_the_ledger_says()
    {
        var state = NodeLedgerState.Empty.Reserve("azure", "a", 2, 32);

        var seeded = state.Seed("azure", [("a", 8), ("b", 4), ("idle", 0)]);
        var again = seeded.Seed("azure", [("c", 5)]);
        var otherProvider = again.Seed("aws", [("c", 5)]);

        Assert.Equal((2, 4, 6), (seeded.HeldBy("azure", "a"), seeded.HeldBy("azure", "b"), seeded.Total));
        Assert.Equal(["azure"], seeded.SeededProviders);
        Assert.Same(seeded, again);
        Assert.Equal((5, 11), (otherProvider.HeldBy("aws", "c"), otherProvider.Total));
        Assert.Equal(["aws", "azure"], otherProvider.SeededProviders);
    }

    [Fact]
    public void The_stored_form_is_ordered_text_that_reads_back_to_the_same_ledger()
    {
        var state = NodeLedgerState.Empty
            .Seed("azure", [("zeta", 2)])
            .Reserve("aws", "job-7", 3, 32)
            .Reserve("azure", "alpha", 1, 32);

        var json = state.ToJson();
        var back = NodeLedgerState.FromJson(json);

        Assert.Equal(
            """{"pools":[{"provider":"aws","pool":"job-7","nodes":3},{"provider":"azure","pool":"alpha","nodes":1},{"provider":"azure","pool":"zeta","nodes":2}],"seeded":["azure"]}""",
            json);
        Assert.Equal(state.Held, back.Held);
        Assert.Equal(state.SeededProviders, back.SeededProviders);
        Assert.Equal(6, back.Total);
    }

    [Theory]
    [InlineData("")]
    [InlineData("{\"pools\":[]}")]
    [InlineData("{\"pools\":[{\"provider\":\"azure\",\"pool\":\"a\",\"nodes\":-1}],\"seeded\":[]}")]
    [InlineData("{\"pools\":[{\"provider\":\"azure\",\"pool\":\"a\",\"nodes\":1},{\"provider\":\"azure\",\"pool\":\"a\",\"nodes\":2}],\"seeded\":[]}")]
    [InlineData("{\"pools\":[{\"provider\":\"azure\",\"nodes\":1}],\"seeded\":[]}")]
    public void A_malformed_ledger_is_an_error_never_an_empty_ledger(string json)
    {
        var error = Assert.Throws<FormatException>(() => NodeLedgerState.FromJson(json));

        Assert.Contains("never read as empty", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bad_arguments_are_refused_with_their_name()
    {
        Assert.Equal("nodes", Assert.Throws<ArgumentOutOfRangeException>(() => NodeLedgerState.Empty.Reserve("azure", "a", -1, 4)).ParamName);
        Assert.Equal("poolId", Assert.Throws<ArgumentException>(() => NodeLedgerState.Empty.Record("azure", "", 1)).ParamName);
    }

    [Theory]
    [InlineData("nodeledger", 32, 0)]
    [InlineData("NodeLedger2", 1, 0)]
    [InlineData("node-ledger", 32, 1)]
    [InlineData("ab", 32, 1)]
    [InlineData("1ledger", 32, 1)]
    [InlineData("tables", 32, 1)]
    [InlineData("", 0, 2)]
    public void Options_name_each_problem(string table, int maxTotalNodes, int problems)
    {
        var found = new PoolsOptions { LedgerTable = table, MaxTotalNodes = maxTotalNodes }.Validate();

        Assert.Equal(problems, found.Count);
        Assert.All(found, p => Assert.StartsWith("Carbon:Pools:", p, StringComparison.Ordinal));
    }
}
