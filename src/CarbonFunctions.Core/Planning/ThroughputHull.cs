namespace CarbonFunctions.Core.Planning;

/// <summary>
/// The lower convex hull of (0, 0) and (work, nodes) of every pool size: segments of rising nodes per unit of work.
/// Filling work along it cheapest first (<see cref="Fill"/>) is the linear relaxation of choosing one pool size per
/// slot, which the region bound and the elastic programme's first bound and marginal price both use.
/// </summary>
internal static class ThroughputHull
{
    /// <summary>
    /// Writes the hull's segments (width in work, slope in nodes per work) and returns how many there are;
    /// among sizes of equal slope the one doing more work is taken.
    /// </summary>
    public static int Segments(ReadOnlySpan<double> work, ReadOnlySpan<int> nodes, Span<double> widths, Span<double> slopes)
    {
        var count = 0;
        double atWork = 0, atNodes = 0;
        while (true)
        {
            var best = double.PositiveInfinity;
            double toWork = 0, toNodes = 0;
            for (var i = 0; i < work.Length; i++)
            {
                if (work[i] > atWork + 1e-12)
                {
                    var slope = (nodes[i] - atNodes) / (work[i] - atWork);
                    if (slope < best || (slope == best && work[i] > toWork))
                    {
                        (best, toWork, toNodes) = (slope, work[i], nodes[i]);
                    }
                }
            }

            if (double.IsPositiveInfinity(best))
            {
                return count;
            }

            widths[count] = toWork - atWork;
            slopes[count] = best;
            count++;
            (atWork, atNodes) = (toWork, toNodes);
        }
    }

    /// <summary>
    /// The cheapest cost of <paramref name="amount"/> work filled along the hull over slots of the given costs (the
    /// fractional knapsack), and the price of its last unit (<paramref name="marginal"/>, NaN for none); +∞ when the
    /// slots hold less. Reorders <paramref name="costs"/>.
    /// </summary>
    /// <remarks>
    /// Every slot the fill touches has its first segment taken whole but perhaps the last, so it touches at most
    /// amount / first width of the cheapest slots: only those are sorted (after a selection), not the window.
    /// </remarks>
    public static double Fill(Span<double> costs, ReadOnlySpan<double> widths, ReadOnlySpan<double> slopes, double amount, out double marginal)
    {
        marginal = double.NaN;
        var n = costs.Length;
        if (amount <= 0 || widths.Length == 0)
        {
            return amount <= 0 ? 0 : double.PositiveInfinity;
        }

        var touched = (int)Math.Min(n, Math.Ceiling((amount / widths[0]) + 1e-9) + 1);
        if (touched < n)
        {
            SelectCheapest(costs, touched);
        }

        costs[..touched].Sort();
        Span<int> heads = stackalloc int[slopes.Length];
        var order = new PriceOrder(costs[..touched], slopes, heads);
        var left = amount;
        double total = 0;
        while (left > 1e-9 && order.Next(out _, out var segment, out var price))
        {
            var take = Math.Min(widths[segment], left);
            total += take * price;
            left -= take;
            marginal = price;
        }

        return left > 1e-9 ? double.PositiveInfinity : total;
    }

    /// <summary>
    /// Every (slot, segment) pair in ascending price, cost × slope, for slots given in ascending cost. Every slot has
    /// the same segments, so this merges one cost-ordered list per segment in O(slots × segments) instead of sorting
    /// all slots × segments prices; equal prices come lower segment first.
    /// </summary>
    public ref struct PriceOrder
    {
        private readonly ReadOnlySpan<double> sortedCosts;
        private readonly ReadOnlySpan<double> slopes;
        private readonly Span<int> heads;

        /// <param name="sortedCosts">The slots' costs in ascending order.</param>
        /// <param name="slopes">The hull's slopes (<see cref="Segments"/>).</param>
        /// <param name="heads">Room for one position per segment.</param>
        public PriceOrder(ReadOnlySpan<double> sortedCosts, ReadOnlySpan<double> slopes, Span<int> heads)
        {
            this.sortedCosts = sortedCosts;
            this.slopes = slopes;
            this.heads = heads[..slopes.Length];
            this.heads.Clear();
        }

        /// <summary>The next pair: the slot's rank in <c>sortedCosts</c>, the segment and the price; false after the last.</summary>
        public bool Next(out int rank, out int segment, out double price)
        {
            (segment, price) = (-1, double.PositiveInfinity);
            for (var j = 0; j < slopes.Length; j++)
            {
                if (heads[j] < sortedCosts.Length)
                {
                    var p = sortedCosts[heads[j]] * slopes[j];
                    if (segment < 0 || p < price)
                    {
                        (segment, price) = (j, p);
                    }
                }
            }

            rank = segment < 0 ? -1 : heads[segment]++;
            return segment >= 0;
        }
    }

    /// <summary>Quickselect: reorders <paramref name="a"/> so that a[0..k) are its k smallest (in any order).</summary>
    public static void SelectCheapest(Span<double> a, int k)
    {
        var left = 0;
        var right = a.Length - 1;
        while (k > 0 && left < right)
        {
            var pivot = Median(a[left], a[(left + right) >>> 1], a[right]);
            var i = left;
            var j = right;
            while (i <= j)
            {
                while (a[i] < pivot)
                {
                    i++;
                }

                while (a[j] > pivot)
                {
                    j--;
                }

                if (i <= j)
                {
                    (a[i], a[j]) = (a[j], a[i]);
                    i++;
                    j--;
                }
            }

            // Now a[left..j] ≤ pivot ≤ a[i..right], and anything between equals the pivot: keep the side holding the boundary k.
            if (k <= j + 1)
            {
                right = j;
            }
            else if (k >= i)
            {
                left = i;
            }
            else
            {
                return;
            }
        }
    }

    private static double Median(double a, double b, double c) => Math.Max(Math.Min(a, b), Math.Min(Math.Max(a, b), c));
}
