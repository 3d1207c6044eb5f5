using System.Text.Json;
using CarbonFunctions.Core.Forecasts;
using CarbonFunctions.Forecasts.Resilience;
using Microsoft.Extensions.Logging;

namespace CarbonFunctions.Forecasts.ElectricityMaps;

/// <summary>
/// Electricity Maps v3 (header <c>auth-token</c>): /carbon-intensity/forecast for forecasts;
/// /carbon-intensity/history for the last 24 hours and /past-range for older actuals. Average signal, g/kWh.
/// </summary>
public sealed class ElectricityMapsProvider : ICarbonIntensityProvider
{
    public const string ProviderName = "electricitymaps";

    private readonly ElectricityMapsOptions _options;
    private readonly TimeProvider _time;
    private readonly ProviderHttp _http;

    public ElectricityMapsProvider(HttpClient http, ElectricityMapsOptions options, TimeProvider time, ILogger<ElectricityMapsProvider> logger)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _time = time;
        _http = ProviderHttp.Create(ProviderName, http, options.BaseUrl, options.Resilience, logger);
    }

    public string Name => ProviderName;

    private EmissionsScope ConfiguredScope => _options.EmissionFactorType == "direct" ? EmissionsScope.Direct : EmissionsScope.Lifecycle;

    public async Task<CarbonIntensitySeries> GetForecastAsync(string region, string zone, CancellationToken cancellationToken)
    {
        var fetched = _time.GetUtcNow();
        using var doc = await GetAsync($"v3/carbon-intensity/forecast?zone={Uri.EscapeDataString(zone)}&emissionFactorType={_options.EmissionFactorType}", cancellationToken);
        return ElectricityMapsWire.ToSeries(doc.RootElement, region, SeriesKind.Forecast, ConfiguredScope, fetched);
    }

    public async Task<CarbonIntensitySeries> GetActualsAsync(string region, string zone, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken)
    {
        var fetched = _time.GetUtcNow();

        // /history is the cheap call but only covers the last 24 hours.
        var path = from >= fetched - TimeSpan.FromHours(24)
            ? $"v3/carbon-intensity/history?zone={Uri.EscapeDataString(zone)}&emissionFactorType={_options.EmissionFactorType}"
            : $"v3/carbon-intensity/past-range?zone={Uri.EscapeDataString(zone)}&start={Uri.EscapeDataString(Json.Iso(from))}" +
              $"&end={Uri.EscapeDataString(Json.Iso(to))}&emissionFactorType={_options.EmissionFactorType}";
        using var doc = await GetAsync(path, cancellationToken);
        var series = ElectricityMapsWire.ToSeries(doc.RootElement, region, SeriesKind.Actual, ConfiguredScope, fetched);
        return series with { Points = [.. series.Between(from, to)] };
    }

    private Task<JsonDocument> GetAsync(string path, CancellationToken cancellationToken) =>
        _http.GetJsonAsync(
            () =>
            {
                var request = new HttpRequestMessage(HttpMethod.Get, path);
                request.Headers.TryAddWithoutValidation("auth-token", _options.ApiToken);
                return request;
            },
            cancellationToken);
}

/// <summary>Parses Electricity Maps v3 bodies: "forecast", "history" or "data" arrays of {carbonIntensity, datetime, ...}.</summary>
public static class ElectricityMapsWire
{
    private static readonly string[] SeriesFields = ["forecast", "history", "data"];

    public static CarbonIntensitySeries ToSeries(JsonElement root, string region, SeriesKind kind, EmissionsScope scope, DateTimeOffset fetchedAt, CleaningRules? rules = null)
    {
        const string p = ElectricityMapsProvider.ProviderName;
        var name = SeriesFields.FirstOrDefault(n => root.ValueKind == JsonValueKind.Object && root.TryGetProperty(n, out _))
            ?? throw new ForecastDataException($"{p}: expected a 'forecast', 'history' or 'data' array in the response");
        var readings = new List<RawReading>();
        var estimated = 0;
        var scopes = new HashSet<string>(StringComparer.Ordinal);
        foreach (var item in Json.Array(root, name, p).EnumerateArray())
        {
            readings.Add(new RawReading(Json.Time(item, "datetime", p), Json.OptionalNumber(item, "carbonIntensity", p)));
            if (item.TryGetProperty("isEstimated", out var e) && e.ValueKind == JsonValueKind.True)
            {
                estimated++;
            }

            if (Json.OptionalString(item, "emissionFactorType") is { } f)
            {
                scopes.Add(f);
            }
        }

        var cleaned = SeriesCleaning.Clean(readings, 1.0, rules);
        var notes = cleaned.Notes.ToList();
        if (estimated > 0)
        {
            notes.Add($"{estimated} point(s) are provider estimates (isEstimated)");
        }

        if (scopes.Count == 1)
        {
            scope = scopes.Single() == "direct" ? EmissionsScope.Direct : EmissionsScope.Lifecycle;
        }
        else if (scopes.Count > 1)
        {
            throw new ForecastDataException($"{p}: response mixes emission factor types ({string.Join(", ", scopes)})");
        }

        var updated = kind == SeriesKind.Forecast ? Json.OptionalTime(root, "updatedAt", p) : null;
        return new CarbonIntensitySeries
        {
            Region = region,
            Kind = kind,
            Signal = SignalKind.Average,
            Scope = scope,
            Source = p,
            GeneratedAt = updated ?? fetchedAt,
            Points = cleaned.Points,
            CleaningNotes = notes,
        };
    }
}
