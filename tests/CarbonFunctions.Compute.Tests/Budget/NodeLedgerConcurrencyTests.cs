using System.Diagnostics;
using System.Text.Json;
using Azure.Data.Tables;
using CarbonFunctions.Compute.Budget;
using CarbonFunctions.Testing;
using Xunit.Abstractions;

namespace CarbonFunctions.Compute.Tests.Budget;

/// <summary>
/// Many hosts on one Azurite, each with its own storage client and ledger object, reserving and releasing at once:
/// the cap holds after every admitted reservation, refusals write nothing, and released nodes are reused.
/// </summary>
public sealed class NodeLedgerConcurrencyTests(AzuriteFixture azurite, ITestOutputHelper output) : IClassFixture<AzuriteFixture>
{
    private const int Cap = 32;
    private const int Reservers = 8;
    private const int Attempts = 50;
    private const int PoolsPerReserver = 3;

    private readonly string _table = AzuriteFixture.UniqueName("ledger");

    [Fact]
    public async Task Eight_hosts_reserving_at_once_never_pass_the_cap_and_reuse_released_nodes()
    {
        var observer = new TableServiceClient(azurite.ConnectionString).GetTableClient(_table);
        var hosts = Enumerable.Range(0, Reservers).Select(_ => NewHost()).ToList();
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var maxSeen = 0;
        var clock = Stopwatch.StartNew();

        var runs = hosts.Select((host, i) => Task.Run(async () =>
        {
            // Seeded per host so a failure can be replayed in outline (the interleaving is the scheduler's).
            var random = new Random(1000 + i);
            var provider = i % 2 == 0 ? "azure" : "aws";
            var held = new int[PoolsPerReserver];
            var tally = new Tally();
            await start.Task;
            for (var attempt = 0; attempt < Attempts; attempt++)
            {
                var pool = random.Next(PoolsPerReserver);
                var poolId = $"host{i}-pool{pool}";
                if (held[pool] > 0 && random.NextDouble() < 0.35)
                {
                    await host.RecordAsync(provider, poolId, 0, CancellationToken.None);
                    held[pool] = 0;
                    tally.Released++;
                    Assert.Equal(0, (await ReadRowAsync(observer)).HeldBy(provider, poolId));
                    continue;
                }

                var nodes = random.Next(1, 9);
                try
                {
                    await host.ReserveAsync(provider, poolId, nodes, CancellationToken.None);
                    held[pool] = nodes;
                    tally.Admitted++;

                    // The invariant, read from the table by a client no host uses, right after every admission.
                    var seen = await ReadRowAsync(observer);
                    Assert.True(seen.Total <= Cap, $"ledger holds {seen.Total} nodes, cap {Cap}");
                    Assert.Equal(nodes, seen.HeldBy(provider, poolId));
                    int before;
                    while (seen.Total > (before = Volatile.Read(ref maxSeen)) && Interlocked.CompareExchange(ref maxSeen, seen.Total, before) != before)
                    {
                    }
                }
                catch (PoolBudgetExceededException refused)
                {
                    tally.Refused++;
                    Assert.Equal((nodes, Cap), (refused.RequestedNodes, refused.MaxTotalNodes));
                    Assert.True(refused.OtherPoolsNodes + nodes > Cap, $"refused {nodes} with {refused.OtherPoolsNodes} held by others");

                    // Only this host writes this pool, so its entry must still be what it was.
                    Assert.Equal(held[pool], (await ReadRowAsync(observer)).HeldBy(provider, poolId));
                }
            }

            return (Provider: provider, Host: i, Held: held, Tally: tally);
        })).ToList();
        start.SetResult();
        var results = await Task.WhenAll(runs);
        var elapsed = clock.Elapsed;

        // No lost update and no ghost write: the table is exactly what each host believes it holds.
        var final = await ReadRowAsync(observer);
        var expected = results.SelectMany(r => r.Held.Select((nodes, pool) => (Key: new LedgerPool(r.Provider, $"host{r.Host}-pool{pool}"), Nodes: nodes)))
            .Where(p => p.Nodes > 0)
            .ToDictionary(p => p.Key, p => p.Nodes);
        Assert.Equal(expected.OrderBy(p => p.Key.PoolId, StringComparer.Ordinal), final.Held.OrderBy(p => p.Key.PoolId, StringComparer.Ordinal));

        // Everything released, by every host at once, is reusable in full by a host that was not there.
        await Task.WhenAll(results.Select(r => Task.WhenAll(r.Held.Select((_, pool) =>
            hosts[r.Host].RecordAsync(r.Provider, $"host{r.Host}-pool{pool}", 0, CancellationToken.None)))));
        Assert.Equal(0, (await ReadRowAsync(observer)).Total);
        using var late = NewHost();
        await late.ReserveAsync("azure", "whole-cap", Cap, CancellationToken.None);
        await Assert.ThrowsAsync<PoolBudgetExceededException>(() => late.ReserveAsync("aws", "one-more", 1, CancellationToken.None));
        Assert.Equal(Cap, (await ReadRowAsync(observer)).Total);

        var admitted = results.Sum(r => r.Tally.Admitted);
        var refusedCount = results.Sum(r => r.Tally.Refused);
        var released = results.Sum(r => r.Tally.Released);
        var conflicts = hosts.Sum(h => h.ConflictsRetried);
        output.WriteLine(
            $"node-ledger concurrency: reservers={Reservers} attempts={Reservers * Attempts} admitted={admitted} refused={refusedCount} " +
            $"released={released} conflicts-retried={conflicts} max-held-seen={maxSeen} cap={Cap} elapsed={elapsed.TotalSeconds:F1}s");
        Assert.Equal(Reservers * Attempts, admitted + refusedCount + released);

        // Demand (8 hosts x 3 pools x up to 8 nodes) is far above the cap, so both outcomes must have happened.
        Assert.True(admitted > 0 && refusedCount > 0, $"admitted {admitted}, refused {refusedCount}");
        Assert.InRange(maxSeen, 1, Cap);
        foreach (var host in hosts)
        {
            host.Dispose();
        }
    }

    private TableNodeLedger NewHost() =>
        new(new TableServiceClient(azurite.ConnectionString), new PoolsOptions { MaxTotalNodes = Cap, LedgerTable = _table });

    /// <summary>Reads the row as stored, without the ledger's code: the sum of the entries and the TotalNodes column must agree.</summary>
    private static async Task<NodeLedgerState> ReadRowAsync(TableClient table)
    {
        var row = (await table.GetEntityAsync<TableEntity>("ledger", "nodes")).Value;
        using var json = JsonDocument.Parse(row.GetString("State"));
        var entries = json.RootElement.GetProperty("pools").EnumerateArray()
            .Select(e => (Provider: e.GetProperty("provider").GetString()!, Pool: e.GetProperty("pool").GetString()!, Nodes: e.GetProperty("nodes").GetInt32()))
            .ToList();
        Assert.Equal(entries.Sum(e => e.Nodes), row.GetInt32("TotalNodes"));
        var state = NodeLedgerState.FromJson(row.GetString("State"));
        Assert.Equal(entries.Sum(e => e.Nodes), state.Total);
        return state;
    }

    private sealed class Tally
    {
        public int Admitted { get; set; }

        public int Refused { get; set; }

        public int Released { get; set; }
    }
}
