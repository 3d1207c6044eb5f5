namespace CarbonFunctions.Core.Forecasts;

/// <summary>
/// A provider answered, but with data that cannot be turned into a series (malformed body, unknown
/// unit, no usable point). Ingestion records the message as the region's failure reason.
/// </summary>
public sealed class ForecastDataException : Exception
{
    public ForecastDataException()
    {
    }

    public ForecastDataException(string message)
        : base(message)
    {
    }

    public ForecastDataException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
