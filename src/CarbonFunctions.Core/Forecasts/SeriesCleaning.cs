using System.Globalization;

namespace CarbonFunctions.Core.Forecasts;

/// <summary>One value as a provider sent it: start, optional length, optional value (null = missing).</summary>
public readonly record struct RawReading(DateTimeOffset Start, double? Value, TimeSpan? Duration = null);

/// <summary>Points after cleaning, and why anything was changed or dropped.</summary>
public sealed record CleanedPoints(IReadOnlyList<CarbonIntensityPoint> Points, IReadOnlyList<string> Notes);

/// <summary>Bounds applied while cleaning provider data.</summary>
public sealed record CleaningRules
{
    /// <summary>No grid runs above ~1,200 g/kWh (pure lignite); 2,000 leaves room yet catches unit mix-ups.</summary>
    public double MaxGramsPerKwh { get; init; } = 2000;

    /// <summary>Length given to a lone point whose provider does not say how long it lasts.</summary>
    public TimeSpan DefaultDuration { get; init; } = TimeSpan.FromHours(1);

    public static CleaningRules Default { get; } = new();
}

/// <summary>
/// Turns raw provider readings into a normalised point list: sorted, one point per start (the last
/// one sent wins), no missing/negative/absurd values, durations inferred from spacing. Every change
/// leaves a note; nothing here throws on bad values.
/// </summary>
public static class SeriesCleaning
{
    public static CleanedPoints Clean(IEnumerable<RawReading> readings, double factorToGramsPerKwh = 1.0, CleaningRules? rules = null)
    {
        ArgumentNullException.ThrowIfNull(readings);
        rules ??= CleaningRules.Default;
        var notes = new List<string>();
        var nulls = 0;
        var negatives = 0;
        var absurd = 0;
        DateTimeOffset? firstAbsurd = null;

        // Keep the last reading per start: providers that resend a slot send the corrected value later.
        var byStart = new Dictionary<DateTimeOffset, (double Value, TimeSpan? Duration)>();
        var duplicates = 0;
        foreach (var r in readings)
        {
            if (r.Value is null || double.IsNaN(r.Value.Value) || double.IsInfinity(r.Value.Value))
            {
                nulls++;
                continue;
            }

            var g = r.Value.Value * factorToGramsPerKwh;
            if (g < 0)
            {
                negatives++;
                continue;
            }

            if (g > rules.MaxGramsPerKwh)
            {
                absurd++;
                firstAbsurd ??= r.Start;
                continue;
            }

            var start = r.Start.ToUniversalTime();
            if (byStart.ContainsKey(start))
            {
                duplicates++;
            }

            byStart[start] = (g, r.Duration);
        }

        if (nulls > 0)
        {
            notes.Add(Invariant($"dropped {nulls} point(s) without a value"));
        }

        if (negatives > 0)
        {
            notes.Add(Invariant($"dropped {negatives} negative point(s)"));
        }

        if (absurd > 0)
        {
            notes.Add(Invariant($"dropped {absurd} point(s) above {rules.MaxGramsPerKwh} g/kWh (first at {firstAbsurd:O})"));
        }

        if (duplicates > 0)
        {
            notes.Add(Invariant($"dropped {duplicates} duplicate timestamp(s), kept the last value sent"));
        }

        var starts = byStart.Keys.OrderBy(s => s).ToList();
        var spacing = InferSpacing(starts) ?? rules.DefaultDuration;
        var points = new List<CarbonIntensityPoint>(starts.Count);
        var trimmed = 0;
        for (var i = 0; i < starts.Count; i++)
        {
            var (value, given) = byStart[starts[i]];
            var duration = given is { } d && d > TimeSpan.Zero ? d : spacing;
            if (i + 1 < starts.Count && starts[i] + duration > starts[i + 1])
            {
                // A stated length that runs into the next point would make the series overlap.
                duration = starts[i + 1] - starts[i];
                trimmed++;
            }

            points.Add(new CarbonIntensityPoint(starts[i], duration, value));
        }

        if (trimmed > 0)
        {
            notes.Add(Invariant($"shortened {trimmed} point(s) that overlapped the next one"));
        }

        return new CleanedPoints(points, notes);
    }

    /// <summary>The most common gap between consecutive starts (robust to a few missing slots), or null with fewer than two.</summary>
    public static TimeSpan? InferSpacing(IReadOnlyList<DateTimeOffset> sortedStarts)
    {
        ArgumentNullException.ThrowIfNull(sortedStarts);
        if (sortedStarts.Count < 2)
        {
            return null;
        }

        var counts = new Dictionary<TimeSpan, int>();
        for (var i = 1; i < sortedStarts.Count; i++)
        {
            var gap = sortedStarts[i] - sortedStarts[i - 1];
            counts[gap] = counts.GetValueOrDefault(gap) + 1;
        }

        // Ties go to the shorter gap, so that a missing slot never stretches its neighbours.
        return counts.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key).First().Key;
    }

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
