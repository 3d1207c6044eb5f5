using CarbonFunctions.Core.Planning;
using static CarbonFunctions.Core.Tests.Planning.PlanningFixtures;

namespace CarbonFunctions.Core.Tests.Planning;

/// <summary>
/// The bound-pruned elastic programme against the same programme over every state, on problems too large for
/// brute force: daily valleys with noise (the shape of a marginal-emissions trace) and coarse steps with many exact
/// ties, every combination of running / fresh / resumed job, overhead, minimum run, start-up allowance, node range
/// and throughput curve, some with a forecast that ends before the deadline (unknown time, priced at
/// <see cref="SlotGrid.UnknownPenalty"/>). Pruning may only save time: the plan must be the very same, ties included.
/// </summary>
public sealed class ElasticPruningTests
{
    private static readonly long Slot = TimeSpan.FromMinutes(5).Ticks;

    public static TheoryData<int> Seeds() => [.. Enumerable.Range(1, 8)];

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Pruning_gives_the_plan_of_the_full_programme(int seed)
    {
        double[][] curves = [[1, 1.9, 2.7, 3.4], [1, 2, 3, 4], [1, 1.5, 1.8], [1, 2.2, 3.1], [1, 1.8, 2.4]];
        var random = new Random(seed);
        var planned = 0;
        for (var round = 0; round < 40; round++)
        {
            var n = random.Next(60, 400);
            var ties = random.Next(3) == 0;
            var values = Enumerable.Range(0, n).Select(i => ties
                ? 10.0 * random.Next(1, 4)
                : (Math.Sin(i * 2 * Math.PI / 288) > 0.3 ? 40 : 420) + (random.NextDouble() * 25)).ToArray();
            var curve = curves[random.Next(curves.Length)];
            var minNodes = random.Next(1, 3);
            var maxNodes = Math.Min(curve.Length, minNodes + random.Next(1, 3));
            var running = random.Next(4) == 0;
            var context = new PlanContext(
                Now: T0.UtcTicks,
                Deadline: T0.UtcTicks + (n * Slot),
                RunTime: random.Next(1, n / 3) * Slot,
                Overhead: random.Next(0, 5) * Slot,
                FirstSegmentFree: running || random.Next(3) > 0,
                Running: running,
                MinNodes: minNodes,
                MaxNodes: maxNodes,
                WattsPerNode: 1000,
                RelativeThroughput: curve,
                MinimumRunLength: random.Next(0, 7) * Slot,
                Threshold: null,
                Allowance: random.Next(0, 4) * Slot,
                Margin: random.Next(0, 3) * Slot,
                SlotTicks: Slot);
            var known = random.Next(4) == 0 ? n * 2 / 3 : n;
            var timeline = Timeline.For(FiveMinute(values[..known]));

            var pruned = ElasticPolicy.GridOptimum(context, timeline, out _, out _);
            var full = ElasticPolicy.GridOptimum(context, timeline, out _, out _, pruned: false);

            var what = $"seed {seed} round {round}: n={n} known={known} ties={ties} curve [{string.Join(", ", curve)}] nodes {minNodes}-{maxNodes} {context}";
            Assert.True((pruned is null) == (full is null), what);
            if (full is not null)
            {
                Assert.Equal(string.Join(",", full), string.Join(",", pruned!));
                planned++;
            }
        }

        Assert.True(planned >= 25, $"only {planned} of 40 rounds had a plan");
    }
}
