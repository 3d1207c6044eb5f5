using System.Runtime.CompilerServices;
using CarbonFunctions.Core.Forecasts;

namespace CarbonFunctions.Core.Planning;

/// <summary>A stretch of time at one intensity; <see cref="Known"/> is false in forecast gaps and beyond the horizon.</summary>
internal readonly record struct Piece(long Start, long End, double GramsPerKwh, bool Known)
{
    public long Length => End - Start;
}

/// <summary>
/// A forecast prepared for fast planning: contiguous pieces (gaps become unknown pieces) with prefix sums
/// of intensity × hours, so the emissions of any window cost two look-ups. Unknown time (gaps, and
/// everything after the last point) is valued at <see cref="Fill"/>, the series' time-weighted mean, and
/// is only planned into when the deadline needs it.
/// Prepared once per series instance and cached weakly, so thousands of jobs share one preparation.
/// </summary>
internal sealed class Timeline
{
    private static readonly ConditionalWeakTable<CarbonIntensitySeries, Timeline> Cache = new();

    private readonly long[] bounds;
    private readonly double[] grams;
    private readonly bool[] known;
    private readonly double[] costPrefix;
    private readonly long[] unknownPrefix;

    private Timeline(long[] bounds, double[] grams, bool[] known, double fill)
    {
        this.bounds = bounds;
        this.grams = grams;
        this.known = known;
        Fill = fill;
        var n = grams.Length;
        costPrefix = new double[n + 1];
        unknownPrefix = new long[n + 1];
        for (var k = 0; k < n; k++)
        {
            var length = bounds[k + 1] - bounds[k];
            costPrefix[k + 1] = costPrefix[k] + (grams[k] * Hours(length));
            unknownPrefix[k + 1] = unknownPrefix[k] + (known[k] ? 0 : length);
        }

        // A forecast of equal known points (the usual 5-minute or hourly series) lets a grid of the same step
        // read its slot costs straight from the points.
        Step = n > 0 && unknownPrefix[n] == 0 ? bounds[1] - bounds[0] : 0;
        for (var k = 1; k < n && Step > 0; k++)
        {
            if (bounds[k + 1] - bounds[k] != Step)
            {
                Step = 0;
            }
        }
    }

    /// <summary>The length of every piece when all are known and equally long, else 0.</summary>
    public long Step { get; }

    /// <summary>
    /// The first piece of [origin, origin + count × length) when that stretch is exactly <paramref name="count"/>
    /// whole pieces of this length (so slot i is piece first + i), else -1.
    /// </summary>
    public int PiecesAsSlots(long origin, long length, int count)
    {
        if (Step != length || count <= 0 || origin < Start || origin + (count * length) > End || (origin - Start) % length != 0)
        {
            return -1;
        }

        return (int)((origin - Start) / length);
    }

    public int Count => grams.Length;

    public long Start => bounds[0];

    /// <summary>End of the last forecast point: the horizon.</summary>
    public long End => bounds[^1];

    public double Fill { get; }

    public long BoundAt(int k) => bounds[k];

    /// <summary>True when some time between the first and last point has no forecast.</summary>
    public bool HasGaps => unknownPrefix[^1] > 0;

    // Raw arrays for the window scan's inner loop, which runs once per job and region.
    internal long[] Bounds => bounds;

    internal double[] Grams => grams;

    internal double[] CostPrefix => costPrefix;

    public static Timeline For(CarbonIntensitySeries series) => Cache.GetValue(series, Build);

    public static double Hours(long ticks) => ticks / (double)TimeSpan.TicksPerHour;

    /// <summary>
    /// True when [origin, origin + count × length) lies inside the forecast with no gap and no piece edge inside
    /// a slot, so that every slot has one intensity (5-minute points on a 5-minute grid do).
    /// </summary>
    public bool UniformOnGrid(long origin, long length, int count)
    {
        var end = origin + (length * count);
        if (count <= 0 || origin < Start || end > End || (HasGaps && UnknownAt(end, PieceAt(end)) - UnknownAt(origin, PieceAt(origin)) != 0))
        {
            return false;
        }

        for (var k = PieceAt(origin) + 1; k < bounds.Length && bounds[k] < end; k++)
        {
            if ((bounds[k] - origin) % length != 0)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The piece holding <paramref name="t"/>: -1 before the start, Count at or after the horizon.</summary>
    public int PieceAt(long t)
    {
        if (t < bounds[0])
        {
            return -1;
        }

        if (t >= bounds[^1])
        {
            return Count;
        }

        var lo = 0;
        var hi = Count - 1;
        while (lo < hi)
        {
            var mid = (lo + hi + 1) >>> 1;
            if (bounds[mid] <= t)
            {
                lo = mid;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return lo;
    }

    /// <summary>∫ intensity dt (g/kWh × h) from the series start to t, given the piece k that holds t.</summary>
    public double CostAt(long t, int k) =>
        k >= Count ? costPrefix[Count] + (Fill * Hours(t - End))
        : k < 0 ? -Fill * Hours(Start - t)
        : costPrefix[k] + (grams[k] * Hours(t - bounds[k]));

    public double CostAt(long t) => CostAt(t, PieceAt(t));

    /// <summary>Unknown ticks from the series start to t, given the piece k that holds t.</summary>
    public long UnknownAt(long t, int k) =>
        k >= Count ? unknownPrefix[Count] + (t - End)
        : k < 0 ? -(Start - t)
        : unknownPrefix[k] + (known[k] ? 0 : t - bounds[k]);

    /// <summary>The intensity integral (g/kWh × h) over [from, to).</summary>
    public double Cost(long from, long to) => CostAt(to) - CostAt(from);

    /// <summary>True when [from, to) lies inside the forecast with no gap.</summary>
    public bool IsKnown(long from, long to) => to <= End && from >= Start && UnknownAt(to, PieceAt(to)) - UnknownAt(from, PieceAt(from)) == 0;

    /// <summary>The pieces of [from, to), clipped; time after the horizon is one unknown piece at <see cref="Fill"/>.</summary>
    public Piece[] Pieces(long from, long to)
    {
        var k = Math.Max(PieceAt(from), 0);
        var last = to >= End ? Count : PieceAt(to);
        var result = new List<Piece>(Math.Max(0, last - k + 2));
        var t = from;
        while (t < to && k < Count)
        {
            var end = Math.Min(bounds[k + 1], to);
            if (end > t)
            {
                result.Add(new Piece(t, end, grams[k], known[k]));
                t = end;
            }

            k++;
        }

        if (t < to)
        {
            result.Add(new Piece(t, to, Fill, false));
        }

        return [.. result];
    }

    private static Timeline Build(CarbonIntensitySeries series)
    {
        var points = series.Points;
        var bounds = new List<long>(points.Count + 1);
        var grams = new List<double>(points.Count);
        var known = new List<bool>(points.Count);
        double weighted = 0;
        long knownTicks = 0;
        foreach (var p in points)
        {
            var start = p.Start.UtcTicks;
            var end = p.End.UtcTicks;
            if (bounds.Count > 0)
            {
                var last = bounds[^1];
                if (end <= last || !double.IsFinite(p.GramsPerKwh))
                {
                    continue; // overlapping or unusable point: the series type promises neither, so skip rather than guess
                }

                if (start > last)
                {
                    grams.Add(double.NaN);
                    known.Add(false);
                    bounds.Add(start);
                }

                start = Math.Max(start, last);
            }
            else if (end <= start || !double.IsFinite(p.GramsPerKwh))
            {
                continue;
            }
            else
            {
                bounds.Add(start);
            }

            grams.Add(p.GramsPerKwh);
            known.Add(true);
            bounds.Add(end);
            weighted += p.GramsPerKwh * (end - start);
            knownTicks += end - start;
        }

        if (bounds.Count == 0)
        {
            return new Timeline([0], [], [], 0);
        }

        var fill = knownTicks == 0 ? 0 : weighted / knownTicks;
        var g = grams.ToArray();
        for (var i = 0; i < g.Length; i++)
        {
            if (!known[i])
            {
                g[i] = fill;
            }
        }

        return new Timeline([.. bounds], g, [.. known], fill);
    }
}
