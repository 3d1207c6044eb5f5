using System.Globalization;
using System.Net;
using System.Text.Json;
using CarbonFunctions.Core.Forecasts;
using Microsoft.Extensions.Logging;
using CarbonFunctions.Forecasts.Resilience;
using Polly;

namespace CarbonFunctions.Forecasts;

/// <summary>
/// What every HTTP provider shares: sending through the resilience pipeline (a fresh request per
/// attempt), mapping failures to clear exceptions, and parsing JSON. Credentials travel in headers
/// that are never logged; messages name the path only.
/// </summary>
internal sealed class ProviderHttp(string provider, HttpClient http, ResiliencePipeline<HttpResponseMessage> pipeline, ILogger logger)
{
    public string Provider => provider;

    /// <summary>
    /// The one way a provider gets its HTTP access: base address from its options, and its own resilience
    /// pipeline. Network waits (backoff, attempt timeout) run on real time even when the host runs on a
    /// virtual clock; the provider's TimeProvider only tells what "now" is.
    /// </summary>
    public static ProviderHttp Create(string provider, HttpClient http, Uri? baseUrl, ForecastResilienceOptions resilience, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(http);
        http.BaseAddress ??= baseUrl;
        return new ProviderHttp(provider, http, ForecastResilience.Create(provider, resilience, TimeProvider.System), logger);
    }

    public async Task<HttpResponseMessage> SendAsync(Func<HttpRequestMessage> createRequest, CancellationToken cancellationToken)
    {
        var response = await pipeline.ExecuteAsync(
            async token =>
            {
                using var request = createRequest();
                return await http.SendAsync(request, HttpCompletionOption.ResponseContentRead, token);
            },
            cancellationToken);
        logger.LogDebug("{Provider} {Path} answered {Status}", provider, response.RequestMessage?.RequestUri?.PathAndQuery, (int)response.StatusCode);
        return response;
    }

    /// <summary>Sends, requires a success status, and parses the body as JSON.</summary>
    public async Task<JsonDocument> GetJsonAsync(Func<HttpRequestMessage> createRequest, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(createRequest, cancellationToken);
        return await ReadJsonAsync(response, cancellationToken);
    }

    public async Task<JsonDocument> ReadJsonAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(response);
        var path = response.RequestMessage?.RequestUri?.AbsolutePath ?? "?";
        if (!response.IsSuccessStatusCode)
        {
            throw new ForecastProviderException(
                provider,
                response.StatusCode,
                string.Create(CultureInfo.InvariantCulture, $"{provider}: GET {path} answered {(int)response.StatusCode} {response.ReasonPhrase}"));
        }

        try
        {
            await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
            return await JsonDocument.ParseAsync(body, cancellationToken: cancellationToken);
        }
        catch (JsonException ex)
        {
            throw new ForecastDataException($"{provider}: GET {path} returned a body that is not valid JSON ({ex.Message})", ex);
        }
    }

    public static bool IsUnauthorized(HttpResponseMessage response) =>
        response.StatusCode is HttpStatusCode.Unauthorized;
}

/// <summary>Reading provider JSON with errors that say which field was wrong.</summary>
internal static class Json
{
    public static JsonElement Property(JsonElement element, string name, string provider)
    {
        if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty(name, out var value))
        {
            throw new ForecastDataException($"{provider}: expected a '{name}' field in the response");
        }

        return value;
    }

    public static JsonElement Array(JsonElement element, string name, string provider)
    {
        var value = Property(element, name, provider);
        return value.ValueKind == JsonValueKind.Array
            ? value
            : throw new ForecastDataException($"{provider}: '{name}' should be an array, was {value.ValueKind}");
    }

    public static string? OptionalString(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String
            ? v.GetString()
            : null;

    /// <summary>A number, or null when the field is missing or null; a number sent as a string is accepted.</summary>
    public static double? OptionalNumber(JsonElement element, string name, string provider)
    {
        if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (v.ValueKind == JsonValueKind.Number)
        {
            return v.GetDouble();
        }

        if (v.ValueKind == JsonValueKind.String && double.TryParse(v.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d))
        {
            return d;
        }

        throw new ForecastDataException($"{provider}: '{name}' should be a number, was {v.ValueKind} {v.GetRawText()}");
    }

    public static DateTimeOffset Time(JsonElement element, string name, string provider)
    {
        var text = Property(element, name, provider).GetString();
        return ParseTime(text, provider, name);
    }

    public static DateTimeOffset? OptionalTime(JsonElement element, string name, string provider)
    {
        var text = OptionalString(element, name);
        return text is null ? null : ParseTime(text, provider, name);
    }

    /// <summary>ISO 8601 with or without offset/seconds ("2023-03-14T03:30Z"); no offset means UTC.</summary>
    public static DateTimeOffset ParseTime(string? text, string provider, string field)
    {
        if (text is not null && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var t))
        {
            return t;
        }

        throw new ForecastDataException($"{provider}: '{field}' is not a time: '{text}'");
    }

    public static string Iso(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
