namespace CarbonFunctions.Core.Forecasts;

/// <summary>
/// A carbon-intensity data source (WattTime, Electricity Maps, GB Carbon Intensity, Carbon Aware SDK,
/// file replay). Zones are the provider's own names; region mapping happens before the call.
/// </summary>
public interface ICarbonIntensityProvider
{
    /// <summary>Short stable name used in configuration and in the store ("watttime", "electricitymaps", ...).</summary>
    string Name { get; }

    /// <summary>The newest forecast for a zone, as published.</summary>
    Task<CarbonIntensitySeries> GetForecastAsync(string region, string zone, CancellationToken cancellationToken);

    /// <summary>Measured (or provider-estimated) intensity for [from, to).</summary>
    Task<CarbonIntensitySeries> GetActualsAsync(string region, string zone, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken);
}

/// <summary>Stores normalised series; forecasts are kept per vintage, actuals apart from them.</summary>
public interface IForecastStore
{
    Task SaveAsync(CarbonIntensitySeries series, CancellationToken cancellationToken);

    /// <summary>The newest forecast vintage for a region whose points overlap [from, to), or null.</summary>
    Task<CarbonIntensitySeries?> GetLatestForecastAsync(string region, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken);

    /// <summary>Actual intensity for a region over [from, to); empty points when none is known.</summary>
    Task<CarbonIntensitySeries?> GetActualsAsync(string region, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken);
}
