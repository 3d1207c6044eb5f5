using CarbonFunctions.Handlers.Hosting;
using CarbonFunctions.Core.Forecasts;
using CarbonFunctions.Forecasts.Regions;
using Microsoft.Extensions.Logging;

namespace CarbonFunctions.Handlers.Forecasts;

/// <summary>How one region's ingestion ended.</summary>
public enum IngestionStatus
{
    Ok,

    /// <summary>Saved, but the provider's newest forecast is older than MaxAge.</summary>
    Stale,

    Failed,
}

/// <summary>
/// One region's outcome. <see cref="LatestVintage"/> is the newest forecast now stored (what planning
/// will use), even after a failure.
/// </summary>
public sealed record RegionIngestionResult(
    string Region,
    string Provider,
    string Zone,
    IngestionStatus Status,
    string? Reason,
    DateTimeOffset? LatestVintage,
    int ForecastPoints,
    int ActualPoints,
    IReadOnlyList<string> Notes);

/// <summary>
/// Fetches the forecast and recent actuals of every configured region from its mapped provider and
/// stores them. One region's failure (provider down, bad data, unmapped) is recorded in its result
/// and never stops the others. Called by the Functions timer and the local host's timer.
/// </summary>
public sealed class ForecastIngestion
{
    private readonly Dictionary<string, ICarbonIntensityProvider> _providers;
    private readonly RegionMap _regions;
    private readonly IForecastStore _store;
    private readonly ForecastIngestionOptions _options;
    private readonly CronSchedule _schedule;
    private readonly TimeProvider _time;
    private readonly ILogger<ForecastIngestion> _logger;

    public ForecastIngestion(
        IEnumerable<ICarbonIntensityProvider> providers,
        RegionMap regions,
        IForecastStore store,
        ForecastIngestionOptions options,
        TimeProvider time,
        ILogger<ForecastIngestion> logger)
    {
        ArgumentNullException.ThrowIfNull(providers);
        ArgumentNullException.ThrowIfNull(options);
        var problems = options.Validate();
        if (problems.Count > 0)
        {
            throw new ArgumentException(string.Join(" ", problems), nameof(options));
        }

        _providers = providers.ToDictionary(p => p.Name, StringComparer.OrdinalIgnoreCase);
        _regions = regions;
        _store = store;
        _options = options;
        _schedule = new CronSchedule(options.Schedule);
        _time = time;
        _logger = logger;
    }

    /// <summary>The regions a run ingests.</summary>
    public IReadOnlyList<string> Regions =>
        _options.Regions.Count > 0 ? _options.Regions : [.. _regions.Regions.Order(StringComparer.Ordinal)];

    /// <summary>When the timer should next fire after <paramref name="instant"/>.</summary>
    public DateTimeOffset NextRunAfter(DateTimeOffset instant) => _schedule.NextRunAfter(instant);

    /// <summary>Ingests every region; results in the order of <see cref="Regions"/>.</summary>
    public async Task<IReadOnlyList<RegionIngestionResult>> RunAsync(CancellationToken cancellationToken)
    {
        var regions = Regions;
        var results = new RegionIngestionResult[regions.Count];
        await Parallel.ForEachAsync(
            Enumerable.Range(0, regions.Count),
            new ParallelOptions { MaxDegreeOfParallelism = _options.MaxParallelism, CancellationToken = cancellationToken },
            async (i, ct) => results[i] = await IngestAsync(regions[i], ct));
        return results;
    }

    /// <summary>Ingests one region; never throws for provider or data failures (only for cancellation).</summary>
    public async Task<RegionIngestionResult> IngestAsync(string region, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(region);
        if (!_regions.TryResolve(region, out var mapping))
        {
            return Failed(region, "-", "-", $"region '{region}' is not in the '{_regions.MappingName}' region mapping", null);
        }

        if (!_providers.TryGetValue(mapping.Provider, out var provider))
        {
            return Failed(region, mapping.Provider, mapping.Zone,
                $"provider '{mapping.Provider}' is not configured (configured: {string.Join(", ", _providers.Keys.Order(StringComparer.Ordinal))})",
                await LatestStoredAsync(region, cancellationToken));
        }

        var notes = new List<string>();
        var now = _time.GetUtcNow();
        CarbonIntensitySeries forecast;
        try
        {
            forecast = await provider.GetForecastAsync(region, mapping.Zone, cancellationToken);
            if (forecast.Points.Count == 0)
            {
                throw new ForecastDataException($"{provider.Name} returned a forecast with no usable points for '{mapping.Zone}'");
            }

            await _store.SaveAsync(forecast, cancellationToken);
            notes.AddRange(forecast.CleaningNotes.Select(n => "forecast: " + n));
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            _logger.LogWarning("Forecast ingestion for {Region} ({Provider} {Zone}) failed: {Reason}", region, mapping.Provider, mapping.Zone, ex.Message);
            return Failed(region, mapping.Provider, mapping.Zone, Describe(ex), await LatestStoredAsync(region, cancellationToken));
        }

        var actualPoints = 0;
        if (_options.ActualsLookback > TimeSpan.Zero)
        {
            try
            {
                var actuals = await provider.GetActualsAsync(region, mapping.Zone, now - _options.ActualsLookback, now, cancellationToken);
                await _store.SaveAsync(actuals, cancellationToken);
                actualPoints = actuals.Points.Count;
                notes.AddRange(actuals.CleaningNotes.Select(n => "actuals: " + n));
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                // Actuals only serve error measurement; the forecast that planning needs is saved.
                notes.Add("actuals not fetched: " + Describe(ex));
            }
        }

        var stale = now - forecast.GeneratedAt > _options.MaxAge;
        return new RegionIngestionResult(
            region,
            provider.Name,
            mapping.Zone,
            stale ? IngestionStatus.Stale : IngestionStatus.Ok,
            stale ? $"newest forecast was generated at {forecast.GeneratedAt:O}, older than {_options.MaxAge}" : null,
            forecast.GeneratedAt,
            forecast.Points.Count,
            actualPoints,
            notes);
    }

    private async Task<DateTimeOffset?> LatestStoredAsync(string region, CancellationToken cancellationToken)
    {
        try
        {
            var now = _time.GetUtcNow();
            var latest = await _store.GetLatestForecastAsync(region, now, now + TimeSpan.FromHours(1), cancellationToken);
            return latest?.GeneratedAt;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            _logger.LogWarning("Could not read the stored forecast for {Region}: {Reason}", region, ex.Message);
            return null;
        }
    }

    private RegionIngestionResult Failed(string region, string provider, string zone, string reason, DateTimeOffset? latest)
    {
        var age = latest is { } l ? _time.GetUtcNow() - l : (TimeSpan?)null;
        var stored = latest is null
            ? "no stored forecast covers the next hour"
            : age > _options.MaxAge ? $"stored forecast from {latest:O} is stale" : $"stored forecast from {latest:O} still in use";
        return new RegionIngestionResult(region, provider, zone, IngestionStatus.Failed, $"{reason} ({stored})", latest, 0, 0, []);
    }

    private static string Describe(Exception ex) => ex switch
    {
        ForecastDataException or global::CarbonFunctions.Forecasts.ForecastProviderException or KeyNotFoundException => ex.Message,
        Polly.CircuitBreaker.BrokenCircuitException => "circuit open after repeated failures: " + ex.Message,
        Polly.Timeout.TimeoutRejectedException => "timed out: " + ex.Message,
        _ => $"{ex.GetType().Name}: {ex.Message}",
    };
}
