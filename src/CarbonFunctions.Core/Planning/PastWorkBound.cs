namespace CarbonFunctions.Core.Planning;

/// <summary>
/// A lower bound on what the work done before a slot edge cost: the cheapest W quanta among the slots before
/// the edge, each slot's pool sizes relaxed to the lower convex hull of (quanta, nodes) so that quanta can be
/// bought cheapest first (a fractional knapsack). The elastic programme runs backwards, so slots leave the set
/// from the back; each of two cursors answers queries near the last one in O(1) amortised time (the programme
/// asks at the two edges of its band of work-left values, which move a few quanta per slot).
/// </summary>
internal sealed class PastWorkBound
{
    [ThreadStatic]
    private static PastWorkBound? current;

    /// <summary>Twice the unit roundoff of a double: a generous bound on the relative error of one addition or product.</summary>
    private const double Rounding = 2.3e-16;

    private double[] price = [];
    private int[] width = [];
    private double[] sortedCost = [];
    private int[] slotOf = [];
    private int[] positionOf = [];
    private int[] next = [];
    private int[] previous = [];
    private int items;
    private int hullSize;
    private Cursor low;
    private Cursor high;

    /// <summary>The cursor at the band's low edge (much work done before) and the one at its high edge.</summary>
    public enum Edge
    {
        Low,
        High,
    }

    /// <summary>
    /// The bound for one grid: slot costs per node, and the quanta and nodes of every pool size. The instance is
    /// per thread and reused; <see cref="Reset"/> puts every slot back.
    /// </summary>
    public static PastWorkBound For(ReadOnlySpan<double> cost, int[] work, int[] nodes)
    {
        var b = current ??= new PastWorkBound();
        b.Build(cost, work, nodes);
        return b;
    }

    /// <summary>Every slot in the set again, both cursors at the cheapest quantum.</summary>
    public void Reset()
    {
        var tail = items + 1;
        for (var p = 0; p <= tail; p++)
        {
            next[p] = p + 1;
            previous[p] = p - 1;
        }

        low = new Cursor(1, 0, 0, 0);
        high = low;
    }

    /// <summary>Takes a slot's quanta out of the set (the programme moved to the edge before it).</summary>
    public void Remove(int slot)
    {
        for (var j = 0; j < hullSize; j++)
        {
            var p = positionOf[(slot * hullSize) + j];
            low = low.Without(p, this);
            high = high.Without(p, this);
            next[previous[p]] = next[p];
            previous[next[p]] = previous[p];
        }
    }

    /// <summary>The cheapest cost of <paramref name="quanta"/> quanta in the set (0 for none, +∞ when the set holds fewer).</summary>
    public double Cheapest(int quanta, Edge edge)
    {
        if (quanta <= 0)
        {
            return 0;
        }

        ref var c = ref edge == Edge.Low ? ref low : ref high;
        var tail = items + 1;
        while (c.Taken > quanta)
        {
            var p = previous[c.Position];
            c = c.Move(p, -width[p], price[p] * width[p]);
        }

        while (c.Position != tail && c.Taken + width[c.Position] <= quanta)
        {
            c = c.Move(next[c.Position], width[c.Position], price[c.Position] * width[c.Position]);
        }

        if (c.Position == tail)
        {
            return c.Taken == quanta ? Math.Max(0, c.Cost - c.Error) : double.PositiveInfinity;
        }

        var part = (quanta - c.Taken) * price[c.Position];
        return Math.Max(0, c.Cost + part - c.Error - (Rounding * (Math.Abs(c.Cost) + Math.Abs(part))));
    }

    /// <summary>The cheapest cost of <paramref name="quanta"/> quanta over every slot of the grid (call after <see cref="Reset"/>).</summary>
    public double CheapestOfAll(int quanta) => Cheapest(quanta, Edge.High);

    /// <summary>The price of the last of the cheapest <paramref name="quanta"/> quanta in the set: the fractional optimum's marginal price.</summary>
    public double MarginalPrice(int quanta)
    {
        _ = Cheapest(quanta, Edge.High);
        var p = high.Position == items + 1 || (high.Taken == quanta && previous[high.Position] > 0) ? previous[high.Position] : high.Position;
        return p > 0 && p <= items ? price[p] : double.NaN;
    }

    private void Build(ReadOnlySpan<double> cost, int[] work, int[] nodes)
    {
        // The hull of (0, 0) and (quanta, nodes) of every size: segments of rising nodes per quantum.
        Span<double> quanta = stackalloc double[work.Length];
        for (var i = 0; i < work.Length; i++)
        {
            quanta[i] = work[i];
        }

        Span<double> hullWidths = stackalloc double[work.Length];
        Span<double> slopes = stackalloc double[work.Length];
        hullSize = ThroughputHull.Segments(quanta, nodes, hullWidths, slopes);
        Span<int> widths = stackalloc int[hullSize];
        for (var j = 0; j < hullSize; j++)
        {
            widths[j] = (int)Math.Round(hullWidths[j]); // differences of whole quanta
        }

        // Price order: the slots sorted by cost once, their hull segments merged (every slot has the same slopes).
        var n = cost.Length;
        items = n * hullSize;
        Grow(items, n);
        cost.CopyTo(sortedCost);
        for (var s = 0; s < n; s++)
        {
            slotOf[s] = s;
        }

        Array.Sort(sortedCost, slotOf, 0, n);
        Span<int> heads = stackalloc int[hullSize];
        var order = new ThroughputHull.PriceOrder(sortedCost.AsSpan(0, n), slopes[..hullSize], heads);

        // Positions 1..items in price order; 0 and items + 1 are the ends of the list.
        for (var p = 1; order.Next(out var rank, out var j, out var itemPrice); p++)
        {
            price[p] = itemPrice;
            width[p] = widths[j];
            positionOf[(slotOf[rank] * hullSize) + j] = p;
        }

        width[0] = 0;
        width[items + 1] = 0;
        price[0] = 0;
        price[items + 1] = 0;
        Reset();
    }

    private void Grow(int count, int slots)
    {
        if (sortedCost.Length < slots)
        {
            sortedCost = new double[Math.Max(slots, 2 * sortedCost.Length)];
            slotOf = new int[sortedCost.Length];
        }

        if (price.Length >= count + 2)
        {
            return;
        }

        var size = Math.Max(count + 2, 2 * price.Length);
        price = new double[size];
        width = new int[size];
        positionOf = new int[size];
        next = new int[size];
        previous = new int[size];
    }

    /// <summary>
    /// A place in the price-ordered list: the quanta and cost of every item before <see cref="Position"/>, and a bound
    /// on the rounding error the running sum has gathered. The sum goes up and down as the cursor moves and slots
    /// leave, past costs of unknown time (1e9 an hour) too, so without the error bound a bound could come out above
    /// the true cheapest cost by more than the programme's margin.
    /// </summary>
    private readonly record struct Cursor(int Position, long Taken, double Cost, double Error)
    {
        /// <summary>To <paramref name="position"/>, with <paramref name="quanta"/> more (or fewer) quanta and their cost added (or taken off).</summary>
        public Cursor Move(int position, long quanta, double cost)
        {
            var sum = quanta >= 0 ? Cost + cost : Cost - cost;
            return new Cursor(position, Taken + quanta, sum, Error + (Rounding * (Math.Abs(Cost) + Math.Abs(cost) + Math.Abs(sum))));
        }

        public Cursor Without(int p, PastWorkBound b) =>
            p < Position ? Move(Position, -b.width[p], b.price[p] * b.width[p])
            : p == Position ? this with { Position = b.next[p] }
            : this;
    }
}
