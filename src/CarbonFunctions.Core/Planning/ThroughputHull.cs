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
}
