using System.Text.Json;
using CarbonFunctions.Core.Forecasts;

namespace CarbonFunctions.Forecasts.Regions;

/// <summary>Which provider and zone give a cloud region's carbon intensity.</summary>
public sealed record RegionMapping(string Provider, string Zone);

/// <summary>Region-map settings (<c>Carbon:Forecasts:RegionMap</c>).</summary>
public sealed class RegionMapOptions
{
    public const string SectionName = "Carbon:Forecasts:RegionMap";

    /// <summary>Which named mapping of regions.json to use: "default", "watttime", "replay", or one of your file's.</summary>
    public string Mapping { get; set; } = "default";

    /// <summary>An extra JSON file in regions.json's shape, merged over the shipped one.</summary>
    public string? File { get; set; }

    /// <summary>Single-region overrides, applied last.</summary>
    public Dictionary<string, RegionMappingOverride> Overrides { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(Mapping))
        {
            problems.Add($"{SectionName}:Mapping must name a mapping.");
        }

        if (!string.IsNullOrEmpty(File) && !System.IO.File.Exists(File))
        {
            problems.Add($"{SectionName}:File '{File}' does not exist.");
        }

        foreach (var (region, o) in Overrides)
        {
            if (string.IsNullOrWhiteSpace(o.Provider) || o.Zone is null)
            {
                problems.Add($"{SectionName}:Overrides:{region} needs Provider and Zone.");
            }
        }

        return problems;
    }
}

/// <summary>One region's override from configuration.</summary>
public sealed class RegionMappingOverride
{
    public string? Provider { get; set; }

    public string? Zone { get; set; }
}

/// <summary>
/// The active region -> provider/zone table: the shipped regions.json (embedded), then the user's
/// file, then configuration overrides. Region names are case-insensitive.
/// </summary>
public sealed class RegionMap
{
    private readonly Dictionary<string, RegionMapping> _regions;

    public RegionMap(string mappingName, IReadOnlyDictionary<string, RegionMapping> regions)
    {
        MappingName = mappingName;
        _regions = new Dictionary<string, RegionMapping>(regions, StringComparer.OrdinalIgnoreCase);
    }

    public string MappingName { get; }

    public IReadOnlyCollection<string> Regions => _regions.Keys;

    public bool TryResolve(string region, out RegionMapping mapping) => _regions.TryGetValue(region, out mapping!);

    public RegionMapping Resolve(string region) =>
        TryResolve(region, out var mapping)
            ? mapping
            : throw new KeyNotFoundException(
                $"region '{region}' is not in the '{MappingName}' region mapping; add it to {RegionMapOptions.SectionName}:File or :Overrides:{region}");

    /// <summary>Builds the map from the shipped file, the user's file and overrides.</summary>
    public static RegionMap Load(RegionMapOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var mappings = Parse(ShippedJson(), "regions.json (shipped)");
        if (!string.IsNullOrEmpty(options.File))
        {
            foreach (var (name, regions) in Parse(System.IO.File.ReadAllText(options.File), options.File))
            {
                if (!mappings.TryGetValue(name, out var existing))
                {
                    mappings[name] = existing = new Dictionary<string, RegionMapping>(StringComparer.OrdinalIgnoreCase);
                }

                foreach (var (region, mapping) in regions)
                {
                    existing[region] = mapping;
                }
            }
        }

        if (!mappings.TryGetValue(options.Mapping, out var chosen))
        {
            throw new ForecastDataException(
                $"{RegionMapOptions.SectionName}:Mapping '{options.Mapping}' is unknown; known: {string.Join(", ", mappings.Keys.Order(StringComparer.Ordinal))}");
        }

        var result = new Dictionary<string, RegionMapping>(chosen, StringComparer.OrdinalIgnoreCase);
        foreach (var (region, o) in options.Overrides)
        {
            result[region] = new RegionMapping(o.Provider ?? throw new ForecastDataException($"{RegionMapOptions.SectionName}:Overrides:{region}:Provider is missing"), o.Zone ?? string.Empty);
        }

        return new RegionMap(options.Mapping, result);
    }

    /// <summary>The regions.json shipped inside this assembly.</summary>
    public static string ShippedJson()
    {
        using var stream = typeof(RegionMap).Assembly.GetManifestResourceStream("CarbonFunctions.Forecasts.regions.json")
            ?? throw new InvalidOperationException("regions.json is not embedded in CarbonFunctions.Forecasts");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    private static Dictionary<string, Dictionary<string, RegionMapping>> Parse(string json, string origin)
    {
        try
        {
            using var doc = JsonDocument.Parse(json, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            if (!doc.RootElement.TryGetProperty("mappings", out var mappings) || mappings.ValueKind != JsonValueKind.Object)
            {
                throw new ForecastDataException($"{origin}: expected {{\"mappings\": {{\"<name>\": {{\"<region>\": {{\"provider\": ..., \"zone\": ...}}}}}}}}");
            }

            var result = new Dictionary<string, Dictionary<string, RegionMapping>>(StringComparer.OrdinalIgnoreCase);
            foreach (var mapping in mappings.EnumerateObject())
            {
                var regions = new Dictionary<string, RegionMapping>(StringComparer.OrdinalIgnoreCase);
                foreach (var region in mapping.Value.EnumerateObject())
                {
                    var provider = Json.OptionalString(region.Value, "provider");
                    var zone = Json.OptionalString(region.Value, "zone");
                    if (string.IsNullOrEmpty(provider) || zone is null)
                    {
                        throw new ForecastDataException($"{origin}: {mapping.Name}.{region.Name} needs \"provider\" and \"zone\"");
                    }

                    regions[region.Name] = new RegionMapping(provider, zone);
                }

                result[mapping.Name] = regions;
            }

            return result;
        }
        catch (JsonException ex)
        {
            throw new ForecastDataException($"{origin} is not valid JSON ({ex.Message})", ex);
        }
    }
}
