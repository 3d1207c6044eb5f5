using CarbonFunctions.Core.Forecasts;
using CarbonFunctions.Forecasts.Regions;

namespace CarbonFunctions.Forecasts.Tests;

public sealed class RegionMapTests
{
    [Fact]
    public void The_shipped_default_maps_Azure_and_AWS_regions()
    {
        var map = RegionMap.Load(new RegionMapOptions());
        Assert.Equal(new RegionMapping("electricitymaps", "NL"), map.Resolve("westeurope"));
        Assert.Equal(new RegionMapping("electricitymaps", "US-MIDA-PJM"), map.Resolve("us-east-1"));
        Assert.Equal(new RegionMapping("gb-carbon-intensity", "national"), map.Resolve("UKSouth"));
        var ex = Assert.Throws<KeyNotFoundException>(() => map.Resolve("marsnorth"));
        Assert.Contains("Carbon:Forecasts:RegionMap", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_replay_zone_names_a_shipped_sample()
    {
        var map = RegionMap.Load(new RegionMapOptions { Mapping = "replay" });
        Assert.Contains("eastus", map.Regions);
        Assert.Contains("westus", map.Regions);
        foreach (var region in map.Regions)
        {
            var path = Path.Combine(TestSupport.SamplesDirectory, map.Resolve(region).Zone);
            Assert.True(File.Exists(path) || Directory.Exists(path), $"{region} -> {path} is missing");
        }
    }

    [Fact]
    public void A_user_file_extends_and_overrides_then_configuration_overrides_win()
    {
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, """
                { "mappings": { "default": {
                    "westeurope": { "provider": "watttime", "zone": "NL" },
                    "mycolo-1": { "provider": "electricitymaps", "zone": "FR" } } } }
                """);
            var map = RegionMap.Load(new RegionMapOptions
            {
                File = file,
                Overrides = new(StringComparer.OrdinalIgnoreCase) { ["eastus"] = new RegionMappingOverride { Provider = "watttime", Zone = "PJM_DC" } },
            });

            Assert.Equal(new RegionMapping("watttime", "NL"), map.Resolve("westeurope"));
            Assert.Equal(new RegionMapping("electricitymaps", "FR"), map.Resolve("mycolo-1"));
            Assert.Equal(new RegionMapping("watttime", "PJM_DC"), map.Resolve("eastus"));
            Assert.Equal(new RegionMapping("electricitymaps", "IE"), map.Resolve("northeurope"));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void An_unknown_mapping_name_lists_the_known_ones()
    {
        var ex = Assert.Throws<ForecastDataException>(() => RegionMap.Load(new RegionMapOptions { Mapping = "nope" }));
        Assert.Contains("default, replay, watttime", ex.Message, StringComparison.Ordinal);
    }
}
