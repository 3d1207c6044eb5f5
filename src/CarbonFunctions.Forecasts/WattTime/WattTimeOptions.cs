using CarbonFunctions.Forecasts.Resilience;

namespace CarbonFunctions.Forecasts.WattTime;

/// <summary>WattTime v3 settings (<c>Carbon:Forecasts:WattTime</c>). Username and Password come from configuration (Key Vault / app settings), never from code.</summary>
public sealed class WattTimeOptions
{
    public const string SectionName = "Carbon:Forecasts:WattTime";

    public Uri BaseUrl { get; set; } = new("https://api.watttime.org/");

    public string? Username { get; set; }

    public string? Password { get; set; }

    /// <summary>co2_moer (marginal, the default) or co2_aoer (average).</summary>
    public string SignalType { get; set; } = "co2_moer";

    public int HorizonHours { get; set; } = 24;

    /// <summary>WattTime tokens last 30 minutes; refresh a little earlier.</summary>
    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromMinutes(25);

    public ForecastResilienceOptions Resilience { get; set; } = new();

    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(Username) || string.IsNullOrWhiteSpace(Password))
        {
            problems.Add($"{SectionName}:Username and {SectionName}:Password are required.");
        }

        if (SignalType is not ("co2_moer" or "co2_aoer"))
        {
            problems.Add($"{SectionName}:SignalType must be co2_moer or co2_aoer, was '{SignalType}'.");
        }

        if (HorizonHours is < 1 or > 72)
        {
            problems.Add($"{SectionName}:HorizonHours must be between 1 and 72.");
        }

        problems.AddRange(Resilience.Validate(SectionName + ":Resilience"));
        return problems;
    }

    // Options are printed in diagnostics; the password must not be.
    public override string ToString() => $"WattTime {BaseUrl} user={Username} signal={SignalType}";
}
