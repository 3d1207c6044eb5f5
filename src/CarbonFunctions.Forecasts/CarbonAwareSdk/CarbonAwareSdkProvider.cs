using System.Globalization;
using System.Text.Json;
using CarbonFunctions.Core.Forecasts;
using CarbonFunctions.Forecasts.Resilience;
using Microsoft.Extensions.Logging;

namespace CarbonFunctions.Forecasts.CarbonAwareSdk;

/// <summary>
/// The Carbon Aware SDK WebAPI: /emissions/forecasts/current for forecasts (durations in minutes) and
/// /emissions/bylocations for past ratings (durations as hh:mm:ss). Zones are the SDK's location names.
/// </summary>
public sealed class CarbonAwareSdkProvider : ICarbonIntensityProvider
{
    public const string ProviderName = "carbon-aware-sdk";

    private readonly CarbonAwareSdkOptions _options;
    private readonly TimeProvider _time;
    private readonly ProviderHttp _http;

    public CarbonAwareSdkProvider(HttpClient http, CarbonAwareSdkOptions options, TimeProvider time, ILogger<CarbonAwareSdkProvider> logger)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _time = time;
        _http = ProviderHttp.Create(ProviderName, http, options.BaseUrl, options.Resilience, logger);
    }

    public string Name => ProviderName;

    public async Task<CarbonIntensitySeries> GetForecastAsync(string region, string zone, CancellationToken cancellationToken)
    {
        var fetched = _time.GetUtcNow();
        using var doc = await GetAsync($"emissions/forecasts/current?location={Uri.EscapeDataString(zone)}", cancellationToken);
        const string p = ProviderName;
        if (doc.RootElement.ValueKind != JsonValueKind.Array || doc.RootElement.GetArrayLength() == 0)
        {
            throw new ForecastDataException($"{p}: expected a non-empty array of forecasts for '{zone}'");
        }

        var forecast = doc.RootElement[0];
        var readings = new List<RawReading>();
        foreach (var item in Json.Array(forecast, "forecastData", p).EnumerateArray())
        {
            var minutes = Json.OptionalNumber(item, "duration", p);
            readings.Add(new RawReading(Json.Time(item, "timestamp", p), Json.OptionalNumber(item, "value", p), minutes is > 0 ? TimeSpan.FromMinutes(minutes.Value) : null));
        }

        return Build(region, SeriesKind.Forecast, Json.OptionalTime(forecast, "generatedAt", p) ?? fetched, SeriesCleaning.Clean(readings));
    }

    public async Task<CarbonIntensitySeries> GetActualsAsync(string region, string zone, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken)
    {
        var fetched = _time.GetUtcNow();
        using var doc = await GetAsync(
            $"emissions/bylocations?location={Uri.EscapeDataString(zone)}&time={Uri.EscapeDataString(Json.Iso(from))}&toTime={Uri.EscapeDataString(Json.Iso(to))}",
            cancellationToken);
        const string p = ProviderName;
        if (doc.RootElement.ValueKind != JsonValueKind.Array)
        {
            throw new ForecastDataException($"{p}: expected an array of emissions data");
        }

        var readings = new List<RawReading>();
        foreach (var item in doc.RootElement.EnumerateArray())
        {
            TimeSpan? duration = Json.OptionalString(item, "duration") is { } d
                && TimeSpan.TryParse(d, CultureInfo.InvariantCulture, out var span) && span > TimeSpan.Zero ? span : null;
            readings.Add(new RawReading(Json.Time(item, "time", p), Json.OptionalNumber(item, "rating", p), duration));
        }

        var series = Build(region, SeriesKind.Actual, fetched, SeriesCleaning.Clean(readings));
        return series with { Points = [.. series.Between(from, to)] };
    }

    private CarbonIntensitySeries Build(string region, SeriesKind kind, DateTimeOffset generated, CleanedPoints cleaned) => new()
    {
        Region = region,
        Kind = kind,
        Signal = _options.Signal,
        Scope = _options.Scope,
        Source = ProviderName,
        GeneratedAt = generated,
        Points = cleaned.Points,
        CleaningNotes = cleaned.Notes,
    };

    private Task<JsonDocument> GetAsync(string path, CancellationToken cancellationToken) =>
        _http.GetJsonAsync(
            () =>
            {
                var request = new HttpRequestMessage(HttpMethod.Get, path);
                if (!string.IsNullOrEmpty(_options.ApiKey))
                {
                    request.Headers.TryAddWithoutValidation(_options.ApiKeyHeader, _options.ApiKey);
                }

                return request;
            },
            cancellationToken);
}
