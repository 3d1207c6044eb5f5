using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using CarbonFunctions.Core.Forecasts;
using CarbonFunctions.Forecasts.Resilience;
using Microsoft.Extensions.Logging;

namespace CarbonFunctions.Forecasts.WattTime;

/// <summary>
/// WattTime v3: logs in with HTTP basic auth for a bearer token (cached, renewed before it expires
/// and after a 401), then reads /v3/forecast and /v3/historical. Values arrive in lbs CO2/MWh.
/// </summary>
public sealed class WattTimeProvider : ICarbonIntensityProvider, IDisposable
{
    public const string ProviderName = "watttime";

    private readonly WattTimeOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ProviderHttp _http;
    private readonly SemaphoreSlim _login = new(1, 1);
    private string? _token;
    private DateTimeOffset _tokenExpires;

    public WattTimeProvider(HttpClient http, WattTimeOptions options, TimeProvider time, ILogger<WattTimeProvider> logger)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _time = time;
        _logger = logger;
        _http = ProviderHttp.Create(ProviderName, http, options.BaseUrl, options.Resilience, logger);
    }

    public string Name => ProviderName;

    private SignalKind Signal => _options.SignalType == "co2_aoer" ? SignalKind.Average : SignalKind.Marginal;

    public async Task<CarbonIntensitySeries> GetForecastAsync(string region, string zone, CancellationToken cancellationToken)
    {
        var fetched = _time.GetUtcNow();
        var path = $"v3/forecast?region={Uri.EscapeDataString(zone)}&signal_type={_options.SignalType}&horizon_hours={_options.HorizonHours}";
        using var doc = await GetAuthorizedJsonAsync(path, cancellationToken);
        return WattTimeWire.ToSeries(doc.RootElement, region, SeriesKind.Forecast, Signal, fetched);
    }

    public async Task<CarbonIntensitySeries> GetActualsAsync(string region, string zone, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken)
    {
        var fetched = _time.GetUtcNow();
        var path = $"v3/historical?region={Uri.EscapeDataString(zone)}&signal_type={_options.SignalType}" +
            $"&start={Uri.EscapeDataString(Json.Iso(from))}&end={Uri.EscapeDataString(Json.Iso(to))}";
        using var doc = await GetAuthorizedJsonAsync(path, cancellationToken);
        var series = WattTimeWire.ToSeries(doc.RootElement, region, SeriesKind.Actual, Signal, fetched);
        return series with { Points = [.. series.Between(from, to)] };
    }

    public void Dispose() => _login.Dispose();

    private async Task<JsonDocument> GetAuthorizedJsonAsync(string path, CancellationToken cancellationToken)
    {
        var token = await TokenAsync(forceRenew: false, cancellationToken);
        var response = await _http.SendAsync(() => Bearer(path, token), cancellationToken);
        if (ProviderHttp.IsUnauthorized(response))
        {
            // Tokens can be revoked or expire early; one fresh login, then give up.
            response.Dispose();
            _logger.LogInformation("{Provider} token refused, logging in again", ProviderName);
            token = await TokenAsync(forceRenew: true, cancellationToken);
            response = await _http.SendAsync(() => Bearer(path, token), cancellationToken);
        }

        using (response)
        {
            return await _http.ReadJsonAsync(response, cancellationToken);
        }
    }

    private static HttpRequestMessage Bearer(string path, string token)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return request;
    }

    private async Task<string> TokenAsync(bool forceRenew, CancellationToken cancellationToken)
    {
        var seen = _token;
        if (!forceRenew && seen is not null && _time.GetUtcNow() < _tokenExpires)
        {
            return seen;
        }

        await _login.WaitAsync(cancellationToken);
        try
        {
            // Another caller may have logged in while this one waited.
            if (_token is not null && _token != seen && _time.GetUtcNow() < _tokenExpires)
            {
                return _token;
            }

            if (string.IsNullOrEmpty(_options.Username) || string.IsNullOrEmpty(_options.Password))
            {
                throw new ForecastProviderException($"{ProviderName}: no credentials: set {WattTimeOptions.SectionName}:Username and :Password");
            }

            var basic = Convert.ToBase64String(Encoding.UTF8.GetBytes(_options.Username + ":" + _options.Password));
            using var response = await _http.SendAsync(
                () =>
                {
                    var request = new HttpRequestMessage(HttpMethod.Get, "login");
                    request.Headers.Authorization = new AuthenticationHeaderValue("Basic", basic);
                    return request;
                },
                cancellationToken);
            if (ProviderHttp.IsUnauthorized(response) || response.StatusCode == System.Net.HttpStatusCode.Forbidden)
            {
                throw new ForecastProviderException(ProviderName, response.StatusCode,
                    $"{ProviderName}: login refused ({(int)response.StatusCode}); check {WattTimeOptions.SectionName}:Username and :Password");
            }

            using var doc = await _http.ReadJsonAsync(response, cancellationToken);
            var token = Json.OptionalString(doc.RootElement, "token");
            if (string.IsNullOrEmpty(token))
            {
                throw new ForecastDataException($"{ProviderName}: login answered without a token");
            }

            _token = token;
            _tokenExpires = _time.GetUtcNow() + _options.TokenLifetime;
            return token;
        }
        finally
        {
            _login.Release();
        }
    }
}

/// <summary>Parses WattTime v3 data responses ({"data":[{point_time,value}],"meta":{units,generated_at,...}}); also used by replay of recorded responses.</summary>
public static class WattTimeWire
{
    public static CarbonIntensitySeries ToSeries(JsonElement root, string region, SeriesKind kind, SignalKind signal, DateTimeOffset fetchedAt, CleaningRules? rules = null)
    {
        const string p = WattTimeProvider.ProviderName;
        var meta = Json.Property(root, "meta", p);
        var factor = IntensityUnits.FactorToGramsPerKwh(Json.OptionalString(meta, "units"));
        var period = Json.OptionalNumber(meta, "data_point_period_seconds", p);
        TimeSpan? duration = period is > 0 ? TimeSpan.FromSeconds(period.Value) : null;
        signal = Json.OptionalString(meta, "signal_type") switch
        {
            "co2_moer" => SignalKind.Marginal,
            "co2_aoer" => SignalKind.Average,
            _ => signal,
        };
        var readings = new List<RawReading>();
        foreach (var item in Json.Array(root, "data", p).EnumerateArray())
        {
            readings.Add(new RawReading(Json.Time(item, "point_time", p), Json.OptionalNumber(item, "value", p), duration));
        }

        var cleaned = SeriesCleaning.Clean(readings, factor, rules);
        var generated = kind == SeriesKind.Forecast ? Json.OptionalTime(meta, "generated_at", p) ?? fetchedAt : fetchedAt;
        return new CarbonIntensitySeries
        {
            Region = region,
            Kind = kind,
            Signal = signal,
            Scope = EmissionsScope.Direct,
            Source = p,
            GeneratedAt = generated,
            Points = cleaned.Points,
            CleaningNotes = cleaned.Notes,
        };
    }
}
