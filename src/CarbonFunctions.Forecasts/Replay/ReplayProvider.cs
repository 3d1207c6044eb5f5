using System.Collections.Concurrent;
using CarbonFunctions.Core.Forecasts;
using Microsoft.Extensions.Logging;

namespace CarbonFunctions.Forecasts.Replay;

/// <summary>
/// Replays carbon-intensity files as if they were a provider, seeing only what was known at the
/// as-of instant: from a history file, the forecast is the next HorizonHours of recorded values after
/// as-of and actuals end at as-of; from published vintages (GB national_fw48h, recorded forecast
/// responses), the forecast is the newest vintage published at or before as-of.
/// Zone = path relative to <see cref="ReplayOptions.Directory"/>; append <c>#lca</c> to read an
/// Electricity Maps export's lifecycle column instead of the direct one.
/// </summary>
public sealed class ReplayProvider(ReplayOptions options, TimeProvider time, ILogger<ReplayProvider> logger) : ICarbonIntensityProvider
{
    public const string ProviderName = "replay";

    private static readonly TimeSpan Week = TimeSpan.FromDays(7);
    private readonly ConcurrentDictionary<string, Lazy<object>> _sources = new(StringComparer.Ordinal);

    public string Name => ProviderName;

    /// <summary>The instant the replay stands at.</summary>
    public DateTimeOffset AsOf => options.AsOf ?? time.GetUtcNow();

    public Task<CarbonIntensitySeries> GetForecastAsync(string region, string zone, CancellationToken cancellationToken)
    {
        var asOf = AsOf;
        var source = Source(zone);
        if (source is VintageSource vintages)
        {
            var known = vintages.Vintages.LastOrDefault(v => v.PublishedAt <= asOf)
                ?? throw new ForecastDataException($"{ProviderName}: no forecast in '{zone}' was published by {asOf:O} (first: {vintages.Vintages[0].PublishedAt:O})");
            return Task.FromResult(Series(region, SeriesKind.Forecast, vintages.Signal, vintages.Scope, known.PublishedAt, known.Points, known.Notes));
        }

        var history = (HistorySource)source;
        var horizon = TimeSpan.FromHours(options.HorizonHours);
        var points = Slice(history.Points, asOf, asOf + horizon);
        if (points.Count == 0)
        {
            throw new ForecastDataException($"{ProviderName}: '{zone}' has no data after {asOf:O} (covers {history.Points[0].Start:O} to {history.Points[^1].End:O}; set {ReplayOptions.SectionName}:AsOf or :Loop)");
        }

        logger.LogDebug("{Provider} forecast for {Region} from {Zone} as of {AsOf}: {Count} points", ProviderName, region, zone, asOf, points.Count);
        return Task.FromResult(Series(region, SeriesKind.Forecast, history.Signal, history.Scope, asOf, points, history.Notes));
    }

    public Task<CarbonIntensitySeries> GetActualsAsync(string region, string zone, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken)
    {
        var asOf = AsOf;

        // A measured slot is known only once it has ended.
        var until = to < asOf ? to : asOf;
        var source = Source(zone);
        if (source is VintageSource vintages)
        {
            var byStart = new SortedDictionary<DateTimeOffset, CarbonIntensityPoint>();
            foreach (var file in vintages.Actuals.Where(a => a.PublishedAt <= asOf))
            {
                foreach (var p in file.Points.Where(p => p.End > from && p.Start < until && p.End <= asOf))
                {
                    byStart[p.Start] = p;
                }
            }

            return Task.FromResult(Series(region, SeriesKind.Actual, vintages.Signal, vintages.Scope, asOf, [.. byStart.Values], []));
        }

        var history = (HistorySource)source;
        var points = from < until ? Slice(history.Points, from, until).Where(p => p.End <= asOf).ToList() : [];
        return Task.FromResult(Series(region, SeriesKind.Actual, history.Signal, history.Scope, asOf, points, []));
    }

    /// <summary>Points overlapping [from, to); with Loop, from copies of the file shifted by whole weeks.</summary>
    private List<CarbonIntensityPoint> Slice(IReadOnlyList<CarbonIntensityPoint> points, DateTimeOffset from, DateTimeOffset to)
    {
        if (points.Count == 0)
        {
            return [];
        }

        var first = points[0].Start;
        var weeks = (int)((points[^1].End - first).Ticks / Week.Ticks);
        if (!options.Loop || weeks == 0)
        {
            return [.. points.Where(p => p.End > from && p.Start < to)];
        }

        // Lay copies of the file end to end, shifted by whole weeks, until [from, to) is covered.
        var span = TimeSpan.FromTicks(Week.Ticks * weeks);
        var shift = (long)Math.Floor((from - first).Ticks / (double)span.Ticks);
        var result = new List<CarbonIntensityPoint>();
        for (var k = shift; first + TimeSpan.FromTicks(span.Ticks * k) < to; k++)
        {
            var offset = TimeSpan.FromTicks(span.Ticks * k);
            foreach (var p in points)
            {
                var moved = p with { Start = p.Start + offset };
                if (moved.Start - offset >= first + span)
                {
                    break;
                }

                if (moved.End > from && moved.Start < to)
                {
                    result.Add(moved);
                }
            }
        }

        return result;
    }

    private object Source(string zone)
    {
        var hash = zone.IndexOf('#', StringComparison.Ordinal);
        var lifecycle = hash >= 0 && zone[(hash + 1)..].Equals("lca", StringComparison.OrdinalIgnoreCase);
        var relative = hash >= 0 ? zone[..hash] : zone;
        var path = Path.GetFullPath(Path.IsPathRooted(relative) ? relative : Path.Combine(BaseDirectory(), relative));
        var key = path + (lifecycle ? "#lca" : string.Empty);
        var lazy = _sources.GetOrAdd(key, _ => new Lazy<object>(() => ReplaySources.Load(path, lifecycle)));
        try
        {
            return lazy.Value;
        }
        catch (ForecastDataException)
        {
            // Do not cache a failure: the file may be fixed or appear later.
            _sources.TryRemove(key, out _);
            throw;
        }
    }

    private string BaseDirectory()
    {
        if (!string.IsNullOrEmpty(options.Directory))
        {
            return options.Directory;
        }

        return FindSamples(AppContext.BaseDirectory) ?? FindSamples(Directory.GetCurrentDirectory())
            ?? throw new ForecastDataException($"{ProviderName}: set {ReplayOptions.SectionName}:Directory (no samples/carbon folder found above the app)");
    }

    private static string? FindSamples(string start)
    {
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "samples", "carbon");
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    private static CarbonIntensitySeries Series(string region, SeriesKind kind, SignalKind signal, EmissionsScope scope, DateTimeOffset generated,
        IReadOnlyList<CarbonIntensityPoint> points, IReadOnlyList<string> notes) => new()
        {
            Region = region,
            Kind = kind,
            Signal = signal,
            Scope = scope,
            Source = ProviderName,
            GeneratedAt = generated,
            Points = points,
            CleaningNotes = notes,
        };
}
