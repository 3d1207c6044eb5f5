namespace CarbonFunctions.Core.Planning;

/// <summary>
/// The lower convex hull of (0, 0) and (work, nodes) of every pool size: segments of rising nodes per unit of work.
/// Filling work along it cheapest first is the linear relaxation of choosing one pool size per slot, which the
/// region bound and the elastic programme's bound on the cost so far both use.
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
}
