using CarbonFunctions.Compute.Budget;
using CarbonFunctions.Core.Configuration;
using CarbonFunctions.Core.Jobs;
using CarbonFunctions.Forecasts.Regions;
using CarbonFunctions.Handlers.Hosting;
using CarbonFunctions.Storage;

namespace CarbonFunctions.Repo.Tests;

/// <summary>Every Carbon__* name of the catalog is one the code really binds: no setting the app would silently ignore.</summary>
public class CatalogReadByCodeTests
{
    private static readonly OptionsScan App = OptionsScan.Of(
        [typeof(JobLimits).Assembly, typeof(StorageOptions).Assembly, typeof(RegionMapOptions).Assembly, typeof(PoolsOptions).Assembly, typeof(CarbonPipeline).Assembly],
        [CarbonPipeline.SimulatePoolsKey]);

    [Fact]
    public void Every_carbon_setting_names_a_settable_property_of_an_options_type()
    {
        var carbon = AppSettingNames.All.Where(s => s.Name.StartsWith("Carbon__", StringComparison.Ordinal)).ToList();

        var problems = carbon.Select(s => App.WhyNotRead(s.Name)).OfType<string>().ToList();

        Assert.NotEmpty(carbon);
        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
    }

    [Fact]
    public void The_scan_sees_the_options_of_every_project()
    {
        var names = App.OptionsTypes.Select(t => t.Name).ToHashSet(StringComparer.Ordinal);

        Assert.Superset(new HashSet<string>(["JobLimits", "StorageOptions", "RegionMapOptions", "WattTimeOptions", "AwsPoolOptions", "ForecastIngestionOptions"]), names);
    }

    [Fact]
    public void A_key_that_no_options_type_has_is_reported_with_what_the_section_offers()
    {
        // The first draft of the catalog had Pue; EmissionsOptions reads DefaultPue.
        var why = App.WhyNotRead("Carbon__Emissions__Pue");

        Assert.NotNull(why);
        Assert.Contains("EmissionsOptions", why, StringComparison.Ordinal);
        Assert.Contains("\"Pue\"", why, StringComparison.Ordinal);
        Assert.Contains("DefaultPue", why, StringComparison.Ordinal);
    }

    [Fact]
    public void A_section_that_no_options_type_declares_is_reported()
    {
        var why = App.WhyNotRead("Carbon__Nowhere__Key");

        Assert.NotNull(why);
        Assert.Contains("no options type has SectionName \"Carbon:Nowhere\"", why, StringComparison.Ordinal);
    }

    [Fact]
    public void A_plain_key_counts_only_when_the_code_names_it()
    {
        var withoutPlainKeys = OptionsScan.Of([typeof(PoolsOptions).Assembly], []);
        var withPlainKey = OptionsScan.Of([typeof(PoolsOptions).Assembly], ["Carbon:Pools:Simulate"]);

        Assert.NotNull(withoutPlainKeys.WhyNotRead("Carbon__Pools__Simulate"));
        Assert.Null(withPlainKey.WhyNotRead("Carbon__Pools__Simulate"));
        Assert.Null(withoutPlainKeys.WhyNotRead("Carbon__Pools__MaxTotalNodes"));
    }

    [Fact]
    public void A_read_only_property_or_a_wrong_case_does_not_count()
    {
        var scan = new OptionsScan([typeof(ProbeOptions), typeof(string)], []);

        Assert.Equal([typeof(ProbeOptions)], scan.OptionsTypes);
        Assert.Null(scan.WhyNotRead("Carbon__Probe__Settable"));
        Assert.Null(scan.WhyNotRead("Carbon__Probe__InitOnly"));
        Assert.NotNull(scan.WhyNotRead("Carbon__Probe__ReadOnly"));
        Assert.NotNull(scan.WhyNotRead("Carbon__Probe__settable"));
    }

    private sealed class ProbeOptions
    {
        public const string SectionName = "Carbon:Probe";

        public string Settable { get; set; } = string.Empty;

        public string InitOnly { get; init; } = string.Empty;

        public string ReadOnly => Settable;
    }
}
