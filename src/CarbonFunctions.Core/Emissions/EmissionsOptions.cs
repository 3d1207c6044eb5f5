using CarbonFunctions.Core.Jobs;

namespace CarbonFunctions.Core.Emissions;

/// <summary>
/// How telemetry becomes emissions. Bound from <c>Carbon:Emissions</c>.
/// PUE defaults are round figures near what the clouds publish for their fleets (AWS reported a
/// global PUE of 1.15 for 2023; Azure states design PUEs of 1.12-1.2 for new regions and older ones
/// run higher, so 1.2 is the conservative choice): set per region when you know better.
/// </summary>
public sealed record EmissionsOptions
{
    public const string SectionName = "Carbon:Emissions";

    /// <summary>Samples further apart than this are not bridged; the interval counts as missing coverage.</summary>
    public TimeSpan MaxGap { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Resolution of the energy profile; intensity slots must be multiples of it to be split exactly.</summary>
    public TimeSpan BinWidth { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>PUE used when neither the region nor the provider has one.</summary>
    public double DefaultPue { get; init; } = 1.2;

    /// <summary>PUE per cloud provider ("Azure", "Aws").</summary>
    public Dictionary<string, double> PueByProvider { get; init; } = new(StringComparer.OrdinalIgnoreCase)
    {
        ["Azure"] = 1.2,
        ["Aws"] = 1.15,
    };

    /// <summary>PUE per region name (westeurope, us-east-1, ...); wins over the provider's.</summary>
    public Dictionary<string, double> PueByRegion { get; init; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// Embodied emissions attributed to one accelerator, in kgCO2e (TE × RR/ToR of the GSF SCI: the
    /// server's embodied emissions divided by its accelerator count). 0 leaves embodied carbon out.
    /// </summary>
    public double EmbodiedKgPerDevice { get; init; }

    /// <summary>Expected lifespan of the hardware (EL of the GSF SCI).</summary>
    public TimeSpan HardwareLifespan { get; init; } = TimeSpan.FromDays(4 * 365);

    /// <summary>Problems kept with line numbers in a report.</summary>
    public int MaxProblems { get; init; } = 20;

    /// <summary>Missing-coverage intervals listed in a report.</summary>
    public int MaxMissingIntervals { get; init; } = 50;

    /// <summary>The PUE for a region and provider: region override, provider figure, default.</summary>
    public double ResolvePue(string? region, CloudProvider? provider)
    {
        if (region is not null && PueByRegion.TryGetValue(region, out var byRegion))
        {
            return byRegion;
        }

        if (provider is not null && PueByProvider.TryGetValue(provider.Value.ToString(), out var byProvider))
        {
            return byProvider;
        }

        return DefaultPue;
    }

    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (MaxGap <= TimeSpan.Zero)
        {
            problems.Add($"{SectionName}:MaxGap must be positive.");
        }

        if (BinWidth <= TimeSpan.Zero || BinWidth > TimeSpan.FromHours(1) || TimeSpan.FromHours(1).Ticks % BinWidth.Ticks != 0)
        {
            problems.Add($"{SectionName}:BinWidth must divide one hour (e.g. 00:01:00), was {BinWidth}.");
        }

        foreach (var (name, pue) in PueByProvider.Select(p => ($"PueByProvider:{p.Key}", p.Value))
            .Concat(PueByRegion.Select(p => ($"PueByRegion:{p.Key}", p.Value)))
            .Append(("DefaultPue", DefaultPue)))
        {
            if (pue is < 1 or > 3)
            {
                problems.Add($"{SectionName}:{name} must be between 1 and 3, was {pue}.");
            }
        }

        if (EmbodiedKgPerDevice < 0)
        {
            problems.Add($"{SectionName}:EmbodiedKgPerDevice must not be negative.");
        }

        if (HardwareLifespan <= TimeSpan.Zero)
        {
            problems.Add($"{SectionName}:HardwareLifespan must be positive.");
        }

        if (MaxProblems < 1)
        {
            problems.Add($"{SectionName}:MaxProblems must be at least 1.");
        }

        return problems;
    }
}
