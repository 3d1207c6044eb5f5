namespace CarbonFunctions.Core.Planning;

/// <summary>
/// The planning grid of one job and region: <see cref="Count"/> slots of <see cref="Length"/> ticks from
/// <see cref="Origin"/>. A pool that is not running starts on the first UTC multiple of the slot length at
/// or after its earliest start; a running pool's grid starts at now. Each slot costs the exact intensity
/// integral over it (pieces of any length are cut at slot edges), and unknown time (a gap, or past the
/// horizon) costs <see cref="UnknownPenalty"/> per hour on top, so that the optimum uses unknown time
/// only when the deadline needs it and then as little as possible.
/// </summary>
internal readonly struct SlotGrid
{
    /// <summary>Per hour of unknown time: more than any plan's known cost (1000 g/kWh × 14 days is 3.4e5).</summary>
    public const double UnknownPenalty = 1e9;

    public SlotGrid(long origin, long length, int count)
    {
        Origin = origin;
        Length = length;
        Count = count;
    }

    public long Origin { get; }

    public long Length { get; }

    public int Count { get; }

    public long At(int slot) => Origin + (slot * Length);

    public static SlotGrid For(PlanContext c)
    {
        var q = c.SlotTicks;
        var origin = c.Running ? c.Now : CeilTo(c.EarliestStart, q);
        var count = c.LatestEnd <= origin ? 0 : (int)Math.Min(int.MaxValue, (c.LatestEnd - origin) / q);
        return new SlotGrid(origin, q, count);
    }

    /// <summary>Slots needed to hold <paramref name="ticks"/>, rounded up.</summary>
    public int SlotsFor(long ticks) => ticks <= 0 ? 0 : (int)((ticks + Length - 1) / Length);

    /// <summary>Fills <paramref name="cost"/> with each slot's g/kWh × h plus the unknown-time penalty.</summary>
    public void Costs(Timeline t, Span<double> cost)
    {
        var first = t.PiecesAsSlots(Origin, Length, Count);
        if (first >= 0)
        {
            var hours = Timeline.Hours(Length);
            var grams = t.Grams.AsSpan(first, Count);
            for (var i = 0; i < grams.Length; i++)
            {
                cost[i] = grams[i] * hours;
            }

            return;
        }

        var from = Origin;
        var k = t.PieceAt(from);
        var costFrom = t.CostAt(from, k);
        var unknownFrom = t.UnknownAt(from, k);
        for (var i = 0; i < Count; i++)
        {
            var to = from + Length;
            while (k < t.Count && (k < 0 ? t.Start : t.BoundAt(k + 1)) <= to)
            {
                k++;
            }

            var costTo = t.CostAt(to, k);
            var unknownTo = t.UnknownAt(to, k);
            cost[i] = costTo - costFrom + (UnknownPenalty * Timeline.Hours(unknownTo - unknownFrom));
            (from, costFrom, unknownFrom) = (to, costTo, unknownTo);
        }
    }

    private static long CeilTo(long ticks, long q)
    {
        var r = ticks % q;
        return r == 0 ? ticks : ticks + (q - r);
    }
}
