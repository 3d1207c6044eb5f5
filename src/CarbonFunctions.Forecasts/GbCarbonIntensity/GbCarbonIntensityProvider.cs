using System.Globalization;
using System.Text.Json;
using CarbonFunctions.Core.Forecasts;
using CarbonFunctions.Forecasts.Resilience;
using Microsoft.Extensions.Logging;

namespace CarbonFunctions.Forecasts.GbCarbonIntensity;

/// <summary>
/// The GB national Carbon Intensity API (NESO): /intensity/{from}/fw48h for the 48-hour forecast,
/// /intensity/{to}/pt24h (or /intensity/{from}/{to}) for actuals. Half-hour slots, average signal, g/kWh.
/// The API does not say when a forecast was made, so the vintage is the time it was fetched.
/// </summary>
public sealed class GbCarbonIntensityProvider : ICarbonIntensityProvider
{
    public const string ProviderName = "gb-carbon-intensity";

    private readonly TimeProvider _time;
    private readonly ProviderHttp _http;

    public GbCarbonIntensityProvider(HttpClient http, GbCarbonIntensityOptions options, TimeProvider time, ILogger<GbCarbonIntensityProvider> logger)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(options);
        _time = time;
        _http = ProviderHttp.Create(ProviderName, http, options.BaseUrl, options.Resilience, logger);
    }

    public string Name => ProviderName;

    public async Task<CarbonIntensitySeries> GetForecastAsync(string region, string zone, CancellationToken cancellationToken)
    {
        RequireNational(zone);
        var now = _time.GetUtcNow();
        var slot = new DateTimeOffset(now.UtcTicks - (now.UtcTicks % TimeSpan.FromMinutes(30).Ticks), TimeSpan.Zero);
        using var doc = await _http.GetJsonAsync(() => new HttpRequestMessage(HttpMethod.Get, $"intensity/{SlotTime(slot)}/fw48h"), cancellationToken);
        return GbCarbonIntensityWire.ToSeries(doc.RootElement, region, SeriesKind.Forecast, now);
    }

    public async Task<CarbonIntensitySeries> GetActualsAsync(string region, string zone, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken)
    {
        RequireNational(zone);
        var now = _time.GetUtcNow();
        var path = to - from <= TimeSpan.FromHours(24)
            ? $"intensity/{SlotTime(to)}/pt24h"
            : $"intensity/{SlotTime(from)}/{SlotTime(to)}";
        using var doc = await _http.GetJsonAsync(() => new HttpRequestMessage(HttpMethod.Get, path), cancellationToken);
        var series = GbCarbonIntensityWire.ToSeries(doc.RootElement, region, SeriesKind.Actual, now);
        return series with { Points = [.. series.Between(from, to)] };
    }

    /// <summary>The API's own time format, e.g. 2023-03-14T03:30Z.</summary>
    public static string SlotTime(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm'Z'", CultureInfo.InvariantCulture);

    private static void RequireNational(string zone)
    {
        if (!string.IsNullOrEmpty(zone) && !zone.Equals("national", StringComparison.OrdinalIgnoreCase) && !zone.Equals("GB", StringComparison.OrdinalIgnoreCase))
        {
            throw new ForecastDataException($"{ProviderName}: only the national series is supported (zone 'national'), not '{zone}'");
        }
    }
}

/// <summary>Parses {"data":[{"from","to","intensity":{"forecast","actual","index"}}]}: forecasts read "forecast", actuals read "actual".</summary>
public static class GbCarbonIntensityWire
{
    public static CarbonIntensitySeries ToSeries(JsonElement root, string region, SeriesKind kind, DateTimeOffset fetchedAt, CleaningRules? rules = null)
    {
        const string p = GbCarbonIntensityProvider.ProviderName;
        var field = kind == SeriesKind.Forecast ? "forecast" : "actual";
        var readings = new List<RawReading>();
        foreach (var item in Json.Array(root, "data", p).EnumerateArray())
        {
            var from = Json.Time(item, "from", p);
            var to = Json.OptionalTime(item, "to", p);
            var intensity = Json.Property(item, "intensity", p);
            readings.Add(new RawReading(from, Json.OptionalNumber(intensity, field, p), to is { } t && t > from ? t - from : TimeSpan.FromMinutes(30)));
        }

        var cleaned = SeriesCleaning.Clean(readings, 1.0, rules);
        return new CarbonIntensitySeries
        {
            Region = region,
            Kind = kind,
            Signal = SignalKind.Average,
            Scope = EmissionsScope.Direct,
            Source = p,
            GeneratedAt = fetchedAt,
            Points = cleaned.Points,
            CleaningNotes = cleaned.Notes,
        };
    }
}
