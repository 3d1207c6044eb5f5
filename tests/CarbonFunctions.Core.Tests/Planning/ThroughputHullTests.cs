using CarbonFunctions.Core.Planning;

namespace CarbonFunctions.Core.Tests.Planning;

/// <summary>The hull's price order, which both elastic bounds fill cheapest first, against sorting every price.</summary>
public sealed class ThroughputHullTests
{
    [Theory]
    [InlineData(1, false)]
    [InlineData(7, false)]
    [InlineData(7, true)]
    [InlineData(42, true)]
    public void The_merged_price_order_is_every_slot_and_segment_price_sorted(int seed, bool ties)
    {
        var random = new Random(seed);
        double[] work = [10, 19, 27, 34];
        int[] nodes = [1, 2, 3, 4];
        var widths = new double[4];
        var slopes = new double[4];
        var hull = ThroughputHull.Segments(work, nodes, widths, slopes);
        var costs = Enumerable.Range(0, 300).Select(_ => ties ? random.Next(0, 5) * 40.0 : 40 + (400 * random.NextDouble())).ToArray();
        var sorted = costs.Order().ToArray();

        var merged = new List<(int Rank, int Segment, double Price)>();
        var order = new ThroughputHull.PriceOrder(sorted, slopes.AsSpan(0, hull), stackalloc int[hull]);
        while (order.Next(out var rank, out var segment, out var price))
        {
            merged.Add((rank, segment, price));
        }

        var expected = sorted.SelectMany(c => slopes.Take(hull).Select(s => c * s)).Order().ToArray();
        Assert.Equal(4, hull);
        Assert.Equal(expected, merged.Select(m => m.Price).ToArray());
        Assert.All(merged, m => Assert.Equal(sorted[m.Rank] * slopes[m.Segment], m.Price));
        Assert.Equal(sorted.Length * hull, merged.Select(m => (m.Rank, m.Segment)).Distinct().Count());
    }
}
