using System.Net;

namespace CarbonFunctions.Forecasts;

/// <summary>A provider refused or failed a request after retries (HTTP status known), or rejected the credentials.</summary>
public sealed class ForecastProviderException : Exception
{
    public ForecastProviderException()
    {
    }

    public ForecastProviderException(string message)
        : base(message)
    {
    }

    public ForecastProviderException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public ForecastProviderException(string provider, HttpStatusCode? statusCode, string message)
        : base(message)
    {
        Provider = provider;
        StatusCode = statusCode;
    }

    public string? Provider { get; }

    public HttpStatusCode? StatusCode { get; }
}
