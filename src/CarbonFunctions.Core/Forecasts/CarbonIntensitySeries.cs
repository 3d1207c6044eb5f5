namespace CarbonFunctions.Core.Forecasts;

/// <summary>Whether intensity is the grid's average mix or the marginal (dispatch-responsive) generator.</summary>
public enum SignalKind
{
    Average,
    Marginal,
}

/// <summary>Whether emissions count combustion only (direct) or the whole life cycle of the plants.</summary>
public enum EmissionsScope
{
    Direct,
    Lifecycle,
}

/// <summary>Whether a series is a prediction or a measurement.</summary>
public enum SeriesKind
{
    Forecast,
    Actual,
}

/// <summary>Carbon intensity in gCO2e/kWh over [Start, Start + Duration).</summary>
public readonly record struct CarbonIntensityPoint(DateTimeOffset Start, TimeSpan Duration, double GramsPerKwh)
{
    public DateTimeOffset End => Start + Duration;
}

/// <summary>
/// A normalised carbon-intensity series for one region: points sorted by start, not overlapping,
/// in gCO2e/kWh. <see cref="GeneratedAt"/> is the forecast vintage (when the provider published it);
/// for actuals, when it was fetched.
/// </summary>
public sealed record CarbonIntensitySeries
{
    public required string Region { get; init; }
    public required SeriesKind Kind { get; init; }
    public required SignalKind Signal { get; init; }
    public EmissionsScope Scope { get; init; } = EmissionsScope.Direct;
    public required string Source { get; init; }
    public required DateTimeOffset GeneratedAt { get; init; }
    public required IReadOnlyList<CarbonIntensityPoint> Points { get; init; }

    /// <summary>Notes on points that were cleaned (dropped duplicates, clamped values, filled gaps).</summary>
    public IReadOnlyList<string> CleaningNotes { get; init; } = [];

    public DateTimeOffset? Start => Points.Count == 0 ? null : Points[0].Start;
    public DateTimeOffset? End => Points.Count == 0 ? null : Points[^1].End;

    /// <summary>True when the series has a point for every instant of [from, to).</summary>
    public bool Covers(DateTimeOffset from, DateTimeOffset to)
    {
        if (Points.Count == 0 || Points[0].Start > from || Points[^1].End < to)
        {
            return false;
        }

        for (var i = 1; i < Points.Count; i++)
        {
            if (Points[i].Start > Points[i - 1].End && Points[i].Start > from && Points[i - 1].End < to)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The intensity in force at an instant, or null outside the series or in a gap.</summary>
    public double? IntensityAt(DateTimeOffset instant)
    {
        var lo = 0;
        var hi = Points.Count - 1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            var p = Points[mid];
            if (instant < p.Start)
            {
                hi = mid - 1;
            }
            else if (instant >= p.End)
            {
                lo = mid + 1;
            }
            else
            {
                return p.GramsPerKwh;
            }
        }

        return null;
    }

    /// <summary>The points that overlap [from, to), in order.</summary>
    public IEnumerable<CarbonIntensityPoint> Between(DateTimeOffset from, DateTimeOffset to) =>
        Points.Where(p => p.End > from && p.Start < to);
}
