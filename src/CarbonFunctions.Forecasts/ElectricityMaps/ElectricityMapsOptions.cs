using CarbonFunctions.Forecasts.Resilience;

namespace CarbonFunctions.Forecasts.ElectricityMaps;

/// <summary>Electricity Maps v3 settings (<c>Carbon:Forecasts:ElectricityMaps</c>); ApiToken comes from configuration only.</summary>
public sealed class ElectricityMapsOptions
{
    public const string SectionName = "Carbon:Forecasts:ElectricityMaps";

    public Uri BaseUrl { get; set; } = new("https://api.electricitymaps.com/");

    public string? ApiToken { get; set; }

    /// <summary>lifecycle (the API's default) or direct.</summary>
    public string EmissionFactorType { get; set; } = "lifecycle";

    public ForecastResilienceOptions Resilience { get; set; } = new();

    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(ApiToken))
        {
            problems.Add($"{SectionName}:ApiToken is required.");
        }

        if (EmissionFactorType is not ("lifecycle" or "direct"))
        {
            problems.Add($"{SectionName}:EmissionFactorType must be lifecycle or direct, was '{EmissionFactorType}'.");
        }

        problems.AddRange(Resilience.Validate(SectionName + ":Resilience"));
        return problems;
    }

    public override string ToString() => $"ElectricityMaps {BaseUrl} emissionFactorType={EmissionFactorType}";
}
