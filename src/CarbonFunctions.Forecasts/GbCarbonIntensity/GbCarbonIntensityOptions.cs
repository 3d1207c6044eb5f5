using CarbonFunctions.Forecasts.Resilience;

namespace CarbonFunctions.Forecasts.GbCarbonIntensity;

/// <summary>GB Carbon Intensity API settings (<c>Carbon:Forecasts:GbCarbonIntensity</c>); the API needs no key.</summary>
public sealed class GbCarbonIntensityOptions
{
    public const string SectionName = "Carbon:Forecasts:GbCarbonIntensity";

    public Uri BaseUrl { get; set; } = new("https://api.carbonintensity.org.uk/");

    public ForecastResilienceOptions Resilience { get; set; } = new();

    public IReadOnlyList<string> Validate() => Resilience.Validate(SectionName + ":Resilience");
}
