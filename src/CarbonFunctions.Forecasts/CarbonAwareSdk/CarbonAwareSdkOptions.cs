using CarbonFunctions.Core.Forecasts;
using CarbonFunctions.Forecasts.Resilience;

namespace CarbonFunctions.Forecasts.CarbonAwareSdk;

/// <summary>
/// Green Software Foundation Carbon Aware SDK WebAPI settings (<c>Carbon:Forecasts:CarbonAwareSdk</c>).
/// The WebAPI is self-hosted, so BaseUrl has no public default. It reports g/kWh; which signal depends on
/// the data source it was configured with (WattTime: marginal; Electricity Maps: average).
/// </summary>
public sealed class CarbonAwareSdkOptions
{
    public const string SectionName = "Carbon:Forecasts:CarbonAwareSdk";

    public Uri? BaseUrl { get; set; }

    /// <summary>Optional key for a WebAPI behind a gateway (sent as <see cref="ApiKeyHeader"/>).</summary>
    public string? ApiKey { get; set; }

    public string ApiKeyHeader { get; set; } = "x-api-key";

    public SignalKind Signal { get; set; } = SignalKind.Marginal;

    public EmissionsScope Scope { get; set; } = EmissionsScope.Direct;

    public ForecastResilienceOptions Resilience { get; set; } = new();

    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (BaseUrl is null || !BaseUrl.IsAbsoluteUri)
        {
            problems.Add($"{SectionName}:BaseUrl must be the absolute URL of your Carbon Aware SDK WebAPI.");
        }

        problems.AddRange(Resilience.Validate(SectionName + ":Resilience"));
        return problems;
    }

    public override string ToString() => $"CarbonAwareSdk {BaseUrl} signal={Signal}";
}
