using CarbonFunctions.Core.Forecasts;
using CarbonFunctions.Core.Planning;

namespace CarbonFunctions.Core.Simulation;

/// <summary>
/// The actual carbon intensity of one region over the replayed period: what runs really emit, and the source of
/// perfect-knowledge windows for the oracle and the hindsight plans. Cost queries are O(log n) on prefix sums.
/// </summary>
public sealed class IntensityTrace
{
    private readonly Timeline _timeline;
    private readonly CarbonIntensityPoint[] _points;

    public IntensityTrace(CarbonIntensitySeries actuals)
    {
        ArgumentNullException.ThrowIfNull(actuals);
        if (actuals.Points.Count < 2)
        {
            throw new ArgumentException("a trace needs at least two points", nameof(actuals));
        }

        Series = actuals;
        _points = [.. actuals.Points];
        _timeline = Timeline.For(actuals);
        var sum = 0.0;
        var hours = 0.0;
        foreach (var p in _points)
        {
            sum += p.GramsPerKwh * p.Duration.TotalHours;
            hours += p.Duration.TotalHours;
        }

        Mean = sum / hours;
    }

    public CarbonIntensitySeries Series { get; }

    public string Region => Series.Region;

    public DateTimeOffset Start => _points[0].Start;

    public DateTimeOffset End => _points[^1].End;

    /// <summary>Time-weighted mean intensity over the trace (gCO2e/kWh).</summary>
    public double Mean { get; }

    /// <summary>Grams CO2e that <paramref name="nodes"/> nodes of <paramref name="wattsPerNode"/> emit over [from, to); time outside the trace is valued at its mean.</summary>
    public double Grams(DateTimeOffset from, DateTimeOffset to, int nodes, double wattsPerNode) =>
        to <= from ? 0 : nodes * wattsPerNode / 1000 * _timeline.Cost(from.UtcTicks, to.UtcTicks);

    /// <summary>The intensity in force at an instant (the mean outside the trace).</summary>
    public double At(DateTimeOffset instant) => Series.IntensityAt(instant) ?? Mean;

    /// <summary>The points that overlap [from, to), as a series of the given kind generated at <paramref name="generatedAt"/>.</summary>
    public CarbonIntensitySeries Window(DateTimeOffset from, DateTimeOffset to, DateTimeOffset generatedAt, SeriesKind kind = SeriesKind.Forecast)
    {
        var first = IndexAt(from);
        var last = IndexAt(to - TimeSpan.FromTicks(1));
        var count = Math.Max(0, last - first + 1);
        var points = new CarbonIntensityPoint[count];
        Array.Copy(_points, first, points, 0, count);
        return new CarbonIntensitySeries
        {
            Region = Series.Region,
            Kind = kind,
            Signal = Series.Signal,
            Source = Series.Source,
            GeneratedAt = generatedAt,
            Points = points,
        };
    }

    /// <summary>Index of the point in force at <paramref name="t"/>, clamped to the trace.</summary>
    internal int IndexAt(DateTimeOffset t)
    {
        int lo = 0, hi = _points.Length - 1;
        if (t < _points[0].Start)
        {
            return 0;
        }

        while (lo < hi)
        {
            var mid = (lo + hi + 1) >>> 1;
            if (_points[mid].Start <= t)
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

    internal ReadOnlySpan<CarbonIntensityPoint> Points => _points;
}
