using CarbonFunctions.Core.Forecasts;

namespace CarbonFunctions.Core.Planning;

/// <summary>A candidate contiguous window and its time-weighted mean intensity.</summary>
public readonly record struct WindowMean(DateTimeOffset Start, DateTimeOffset End, double MeanGramsPerKwh);

/// <summary>
/// Contiguous-window search as in the Green Software Foundation Carbon Aware SDK: candidate starts are
/// <c>from</c> and every point boundary after it; a window's mean is time-weighted over the points it
/// overlaps (partial overlaps count by their overlap). Windows must lie inside the forecast (no gap,
/// not past its last point) and end by <c>to</c>. O(points) per search, through prefix sums.
/// </summary>
public static class WindowSearch
{
    /// <summary>Every candidate window of <paramref name="duration"/> in [from, to), in start order.</summary>
    public static IReadOnlyList<WindowMean> CandidateWindows(CarbonIntensitySeries series, DateTimeOffset from, DateTimeOffset to, TimeSpan duration)
    {
        ArgumentNullException.ThrowIfNull(series);
        if (duration <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(duration), "must be positive");
        }

        var collect = new Collect { Duration = duration.Ticks, Result = [] };
        Scan(Timeline.For(series), from.UtcTicks, to.UtcTicks, duration.Ticks, ref collect);
        return collect.Result;
    }

    /// <summary>The start of the cheapest fully known window (earliest on ties), or null when none fits.</summary>
    internal static long? Best(Timeline timeline, long from, long to, long duration)
    {
        var minimum = new Minimum { Cost = double.PositiveInfinity };
        Scan(timeline, from, to, duration, ref minimum);
        return minimum.Start;
    }

    // Struct visitors keep the scan free of delegate calls: it runs once per job and region.
    private static void Scan<TVisitor>(Timeline t, long from, long to, long duration, ref TVisitor visitor)
        where TVisitor : struct, IVisitor
    {
        var lastStart = Math.Min(to, t.End) - duration;
        if (t.Count == 0 || from < t.Start || lastStart < from)
        {
            return;
        }

        var bounds = t.Bounds;
        var grams = t.Grams;
        var prefix = t.CostPrefix;
        var n = t.Count;
        var gaps = t.HasGaps;
        const double perTick = 1.0 / TimeSpan.TicksPerHour;

        var ks = t.PieceAt(from);
        var s = from;
        var costStart = prefix[ks] + (grams[ks] * (s - bounds[ks]) * perTick);
        var ke = ks;
        while (true)
        {
            var e = s + duration;
            while (ke < n && bounds[ke + 1] <= e)
            {
                ke++;
            }

            var costEnd = ke >= n ? prefix[n] : prefix[ke] + (grams[ke] * (e - bounds[ke]) * perTick);
            if (!gaps || t.UnknownAt(e, ke) - t.UnknownAt(s, ks) == 0)
            {
                visitor.Visit(s, costEnd - costStart);
            }

            ks++;
            if (ks >= n)
            {
                return;
            }

            s = bounds[ks];
            if (s > lastStart)
            {
                return;
            }

            costStart = prefix[ks];
        }
    }

    private interface IVisitor
    {
        void Visit(long start, double cost);
    }

    private struct Minimum : IVisitor
    {
        public long? Start;
        public double Cost;

        public void Visit(long start, double cost)
        {
            // A relative tolerance keeps float noise from preferring a later window of equal cost.
            if (Start is null || cost < Cost - (1e-12 * Math.Max(1, Math.Abs(Cost))))
            {
                Cost = cost;
                Start = start;
            }
        }
    }

    private struct Collect : IVisitor
    {
        public long Duration;
        public List<WindowMean> Result;

        public readonly void Visit(long start, double cost) => Result.Add(new WindowMean(
            new DateTimeOffset(start, TimeSpan.Zero),
            new DateTimeOffset(start + Duration, TimeSpan.Zero),
            cost / Timeline.Hours(Duration)));
    }
}
