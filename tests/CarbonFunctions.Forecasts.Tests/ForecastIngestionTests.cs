using Azure.Data.Tables;
using CarbonFunctions.Core.Forecasts;
using CarbonFunctions.Forecasts.Regions;
using CarbonFunctions.Forecasts.Replay;
using CarbonFunctions.Forecasts.WattTime;
using CarbonFunctions.Handlers.Forecasts;
using CarbonFunctions.Handlers.Hosting;
using CarbonFunctions.Storage.Forecasts;
using CarbonFunctions.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace CarbonFunctions.Forecasts.Tests;

public sealed class ForecastIngestionTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>
{
    private static readonly DateTimeOffset Now = new(2022, 6, 7, 12, 10, 0, TimeSpan.Zero);

    [Fact]
    public async Task A_failing_provider_does_not_stop_the_other_regions()
    {
        await using var wattTime = await LoopbackHttpServer.StartAsync(app =>
        {
            app.MapGet("/login", (RequestDelegate)(c => TestSupport.Json(c, """{"token":"t"}""")));
            app.MapGet("/v3/forecast", (RequestDelegate)(c => TestSupport.Json(c, "{}", 500)));
        });
        var time = new FakeTimeProvider(Now);
        var store = new TableForecastStore(new TableServiceClient(azurite.ConnectionString), new ForecastStoreOptions { TableName = AzuriteFixture.UniqueName("ing") });
        using var wt = new WattTimeProvider(TestSupport.Client(wattTime),
            new WattTimeOptions { Username = "u", Password = "p", Resilience = TestSupport.FastResilience(retries: 1) }, time, new ListLogger<WattTimeProvider>());
        var replay = new ReplayProvider(new ReplayOptions { Directory = TestSupport.SamplesDirectory }, time, new ListLogger<ReplayProvider>());
        var map = new RegionMap("test", new Dictionary<string, RegionMapping>
        {
            ["westus"] = new("replay", "us-cal-ciso-2022-06-06_week_hourly.csv"),
            ["westus2"] = new("watttime", "CAISO_NORTH"),
            ["eastus"] = new("electricitymaps", "US-MIDA-PJM"),
            ["germanywestcentral"] = new("replay", "de-2020-06-08_week_15min.csv"),
        });
        var ingestion = new ForecastIngestion([wt, replay], map, store, new ForecastIngestionOptions(), time, new ListLogger<ForecastIngestion>());

        var results = (await ingestion.RunAsync(CancellationToken.None)).ToDictionary(r => r.Region);

        Assert.Equal(IngestionStatus.Ok, results["westus"].Status);
        Assert.Equal(49, results["westus"].ForecastPoints); // as-of 12:10: slots 06-07 12:00 .. 06-09 12:00 (starts before as-of + 48 h)
        Assert.Equal(24, results["westus"].ActualPoints);   // the 24 hours that ended by 12:10 (11:00-12:00 the last)
        Assert.Equal(IngestionStatus.Failed, results["westus2"].Status);
        Assert.Contains("500", results["westus2"].Reason, StringComparison.Ordinal);
        Assert.Contains("no stored forecast", results["westus2"].Reason, StringComparison.Ordinal);
        Assert.Equal(IngestionStatus.Failed, results["eastus"].Status);
        Assert.Contains("provider 'electricitymaps' is not configured", results["eastus"].Reason, StringComparison.Ordinal);
        Assert.Equal(IngestionStatus.Failed, results["germanywestcentral"].Status);
        Assert.Contains("no data after", results["germanywestcentral"].Reason, StringComparison.Ordinal);

        var stored = await store.GetLatestForecastAsync("westus", Now, Now.AddHours(1), CancellationToken.None);
        Assert.Equal(Now, stored!.GeneratedAt);
        Assert.Null(await store.GetLatestForecastAsync("westus2", Now, Now.AddHours(1), CancellationToken.None));
    }

    [Fact]
    public async Task A_forecast_older_than_MaxAge_is_reported_stale_and_a_later_failure_names_the_stored_vintage()
    {
        var time = new FakeTimeProvider(Now);
        var store = new TableForecastStore(new TableServiceClient(azurite.ConnectionString), new ForecastStoreOptions { TableName = AzuriteFixture.UniqueName("stale") });
        var vintage = Now.AddHours(-2);
        var replay = new ReplayProvider(new ReplayOptions { Directory = TestSupport.SamplesDirectory, AsOf = vintage }, time, new ListLogger<ReplayProvider>());
        var map = new RegionMap("test", new Dictionary<string, RegionMapping> { ["westus"] = new("replay", "us-cal-ciso-2022-06-06_week_hourly.csv") });

        var strict = new ForecastIngestion([replay], map, store, new ForecastIngestionOptions { MaxAge = TimeSpan.FromHours(1) }, time, new ListLogger<ForecastIngestion>());
        var lenient = new ForecastIngestion([replay], map, store, new ForecastIngestionOptions { MaxAge = TimeSpan.FromHours(3) }, time, new ListLogger<ForecastIngestion>());

        var stale = await strict.IngestAsync("westus", CancellationToken.None);
        var fresh = await lenient.IngestAsync("westus", CancellationToken.None);
        Assert.Equal(IngestionStatus.Stale, stale.Status);
        Assert.Equal(vintage, stale.LatestVintage);
        Assert.Equal(IngestionStatus.Ok, fresh.Status);

        var broken = new RegionMap("test", new Dictionary<string, RegionMapping> { ["westus"] = new("replay", "missing.csv") });
        var failing = new ForecastIngestion([replay], broken, store, new ForecastIngestionOptions(), time, new ListLogger<ForecastIngestion>());
        var failed = await failing.IngestAsync("westus", CancellationToken.None);
        Assert.Equal(IngestionStatus.Failed, failed.Status);
        Assert.Equal(vintage, failed.LatestVintage);
        Assert.Contains("still in use", failed.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0 */30 * * * *", "2024-05-01T10:07:13Z", "2024-05-01T10:30:00Z")]
    [InlineData("0 */30 * * * *", "2024-05-01T10:30:00Z", "2024-05-01T11:00:00Z")]
    [InlineData("*/15 * * * *", "2024-05-01T23:59:00Z", "2024-05-02T00:00:00Z")]
    public void NextRunAfter_follows_the_cron_schedule(string cron, string after, string expected)
    {
        var schedule = new CronSchedule(cron);
        Assert.Equal(DateTimeOffset.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), schedule.NextRunAfter(DateTimeOffset.Parse(after, System.Globalization.CultureInfo.InvariantCulture)));
    }

    [Fact]
    public void A_bad_schedule_is_a_validation_problem()
    {
        var problems = new ForecastIngestionOptions { Schedule = "every half hour" }.Validate();
        Assert.Contains(problems, p => p.StartsWith("Carbon:Forecasts:Schedule", StringComparison.Ordinal));
    }

    [Fact]
    public void Configuration_registers_keyless_providers_and_the_replay_mapping()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Carbon:Forecasts:RegionMap:Mapping"] = "replay",
            ["Carbon:Forecasts:RegionMap:Overrides:westus3:Provider"] = "replay",
            ["Carbon:Forecasts:RegionMap:Overrides:westus3:Zone"] = "de-2020-06-08_week_15min.csv",
            ["Carbon:Forecasts:Replay:Directory"] = TestSupport.SamplesDirectory,
            ["Carbon:Forecasts:Store:TableName"] = "forecasts",
        }).Build();
        var services = new ServiceCollection().AddLogging().AddSingleton(new TableServiceClient(azurite.ConnectionString));
        services.AddCarbonForecasts(configuration);
        using var provider = services.BuildServiceProvider();

        var names = provider.GetServices<ICarbonIntensityProvider>().Select(p => p.Name).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(["gb-carbon-intensity", "replay"], names);
        var ingestion = provider.GetRequiredService<ForecastIngestion>();
        Assert.Contains("westus3", ingestion.Regions);
        Assert.Contains("uksouth", ingestion.Regions);
        Assert.IsType<TableForecastStore>(provider.GetRequiredService<IForecastStore>());
    }

    [Fact]
    public void A_configured_provider_without_its_secret_fails_at_start_up_naming_the_key()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Carbon:Forecasts:WattTime:Username"] = "someone",
        }).Build();

        var ex = Assert.Throws<InvalidOperationException>(() => new ServiceCollection().AddCarbonForecasts(configuration));
        Assert.Contains("Carbon:Forecasts:WattTime:Username and Carbon:Forecasts:WattTime:Password are required", ex.Message, StringComparison.Ordinal);
    }
}
