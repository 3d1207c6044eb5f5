using System.Globalization;
using CarbonFunctions.Core.Forecasts;
using Sylvan.Data.Csv;

namespace CarbonFunctions.Core.Simulation;

/// <summary>One forecast as it was published: what a planner could know from <see cref="PublishedAt"/> on.</summary>
public sealed record ForecastVintage(DateTimeOffset PublishedAt, IReadOnlyList<CarbonIntensityPoint> Points);

/// <summary>
/// Real forecast vintages as the simulator's forecast: at any instant the planner sees the newest vintage published by
/// then, never a later one, and waiting jobs re-plan when the next one is published. Before the first publication
/// there is no forecast (the planner then runs the job in time, as the service does without one).
/// </summary>
public sealed class VintageForecast : ForecastModel
{
    private readonly ForecastVintage[] _vintages;
    private readonly string _source;
    private int _cachedIndex = -1;
    private CarbonIntensitySeries? _cached;

    public VintageForecast(IReadOnlyList<ForecastVintage> vintages, string source)
        : base(Span(vintages, v => v.Points.Count == 0 ? TimeSpan.Zero : v.Points[^1].End - v.PublishedAt), Span(vintages, Gap(vintages)))
    {
        _vintages = [.. vintages.OrderBy(v => v.PublishedAt)];
        _source = source;
    }

    public IReadOnlyList<ForecastVintage> Vintages => _vintages;

    public override string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"{_vintages.Length} published vintages from {_source} ({_vintages[0].PublishedAt:yyyy-MM-dd HH:mm}Z to {_vintages[^1].PublishedAt:yyyy-MM-dd HH:mm}Z), each seen from its publication on");

    /// <summary>The publication time of the vintage in force at <paramref name="now"/> (the first one's before it).</summary>
    public override DateTimeOffset VintageAt(DateTimeOffset now) => IndexAt(now) is var i and >= 0 ? _vintages[i].PublishedAt : _vintages[0].PublishedAt;

    public override DateTimeOffset? NextIssueAfter(DateTimeOffset now)
    {
        var next = IndexAt(now) + 1;
        return next < _vintages.Length ? _vintages[next].PublishedAt : null;
    }

    public override CarbonIntensitySeries? ForecastAt(DateTimeOffset now, IntensityTrace actuals)
    {
        ArgumentNullException.ThrowIfNull(actuals);
        var i = IndexAt(now);
        if (i < 0)
        {
            return null;
        }

        if (i != _cachedIndex || _cached is null)
        {
            _cached = new CarbonIntensitySeries
            {
                Region = actuals.Region,
                Kind = SeriesKind.Forecast,
                Signal = actuals.Series.Signal,
                Source = _source,
                GeneratedAt = _vintages[i].PublishedAt,
                Points = _vintages[i].Points,
            };
            _cachedIndex = i;
        }

        return _cached;
    }

    /// <summary>The newest vintage published at or before <paramref name="now"/>, or -1.</summary>
    private int IndexAt(DateTimeOffset now)
    {
        int lo = 0, hi = _vintages.Length - 1, found = -1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            if (_vintages[mid].PublishedAt <= now)
            {
                found = mid;
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return found;
    }

    private static TimeSpan Span(IReadOnlyList<ForecastVintage> vintages, Func<ForecastVintage, TimeSpan> of)
    {
        ArgumentNullException.ThrowIfNull(vintages);
        if (vintages.Count == 0 || vintages.All(v => v.Points.Count == 0))
        {
            throw new ArgumentException("no forecast vintages with points", nameof(vintages));
        }

        var longest = vintages.Max(of);
        return longest > TimeSpan.Zero ? longest : TimeSpan.FromHours(1);
    }

    /// <summary>The median gap between publications, for the description (one vintage: a day).</summary>
    private static Func<ForecastVintage, TimeSpan> Gap(IReadOnlyList<ForecastVintage> vintages)
    {
        var ordered = vintages.OrderBy(v => v.PublishedAt).ToList();
        var gaps = ordered.Skip(1).Select((v, i) => v.PublishedAt - ordered[i].PublishedAt).Order().ToList();
        var median = gaps.Count == 0 ? TimeSpan.FromDays(1) : gaps[gaps.Count / 2];
        return _ => median;
    }
}

/// <summary>
/// Reads GB Carbon Intensity files (<c>from,intensity.forecast,intensity.actual</c>, half-hour slots, as recorded by
/// forecast trackers): <c>national_fw48h/*.csv</c> are forecasts named by their publication time, <c>national_pt24h/*.csv</c>
/// the actuals published later. Pure: the caller opens the files.
/// </summary>
public static class GbIntensityFiles
{
    private static readonly TimeSpan HalfHour = TimeSpan.FromMinutes(30);

    /// <summary>True for a header with GB's <c>from</c> and <c>intensity.forecast</c> columns.</summary>
    public static bool IsGbHeader(string? headerLine) =>
        headerLine is not null
        && headerLine.Split(',').Select(h => h.Trim()).ToList() is var names
        && names.Contains("from", StringComparer.OrdinalIgnoreCase)
        && names.Contains("intensity.forecast", StringComparer.OrdinalIgnoreCase);

    /// <summary><c>2023-03-14T0331Z.csv</c> → 2023-03-14 03:31 UTC; null for any other name.</summary>
    public static DateTimeOffset? PublishedFromName(string fileName) =>
        DateTimeOffset.TryParseExact(Path.GetFileNameWithoutExtension(fileName), "yyyy-MM-dd'T'HHmm'Z'", CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var t) ? t : null;

    /// <summary>A file's forecast column and its actual column (rows without an actual are left out of the latter).</summary>
    public static (IReadOnlyList<CarbonIntensityPoint> Forecast, IReadOnlyList<CarbonIntensityPoint> Actual) Read(TextReader reader, string name)
    {
        ArgumentNullException.ThrowIfNull(reader);
        using var csv = CsvDataReader.Create(reader, new CsvDataReaderOptions { HasHeaders = true });
        int Column(string column)
        {
            for (var i = 0; i < csv.FieldCount; i++)
            {
                if (csv.GetName(i).Trim().Equals(column, StringComparison.OrdinalIgnoreCase))
                {
                    return i;
                }
            }

            return -1;
        }

        var from = Column("from");
        var forecast = Column("intensity.forecast");
        var actual = Column("intensity.actual");
        if (from < 0 || forecast < 0)
        {
            throw new FormatException($"{name}: not a GB Carbon Intensity file (needs 'from' and 'intensity.forecast' columns)");
        }

        var forecasts = new List<CarbonIntensityPoint>();
        var actuals = new List<CarbonIntensityPoint>();
        var line = 1;
        while (csv.Read())
        {
            line++;
            var text = csv.GetString(from).Trim();
            if (!DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var start))
            {
                throw new FormatException($"{name} line {line}: '{text}' is not a timestamp");
            }

            if (forecasts.Count > 0 && start <= forecasts[^1].Start)
            {
                throw new FormatException($"{name} line {line}: {text} does not come after the previous row");
            }

            if (Number(csv.GetString(forecast)) is { } f)
            {
                forecasts.Add(new CarbonIntensityPoint(start, HalfHour, f));
            }

            if (actual >= 0 && Number(csv.GetString(actual)) is { } a)
            {
                actuals.Add(new CarbonIntensityPoint(start, HalfHour, a));
            }
        }

        return (forecasts, actuals);
    }

    /// <summary>Actuals from several files into one series: where files overlap, the later publication wins.</summary>
    public static IReadOnlyList<CarbonIntensityPoint> MergeActuals(IEnumerable<(DateTimeOffset PublishedAt, IReadOnlyList<CarbonIntensityPoint> Points)> files)
    {
        var byStart = new SortedDictionary<DateTimeOffset, CarbonIntensityPoint>();
        foreach (var file in files.OrderBy(f => f.PublishedAt))
        {
            foreach (var p in file.Points)
            {
                byStart[p.Start] = p;
            }
        }

        return [.. byStart.Values];
    }

    private static double? Number(string text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d) && d >= 0 ? d : null;
}
