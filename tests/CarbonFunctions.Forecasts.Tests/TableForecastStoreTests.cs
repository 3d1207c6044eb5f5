using Azure.Data.Tables;
using CarbonFunctions.Core.Forecasts;
using CarbonFunctions.Forecasts.Replay;
using CarbonFunctions.Storage.Forecasts;
using CarbonFunctions.Testing;
using Xunit.Abstractions;

namespace CarbonFunctions.Forecasts.Tests;

public sealed class TableForecastStoreTests(AzuriteFixture azurite, ITestOutputHelper output) : IClassFixture<AzuriteFixture>
{
    private static DateTimeOffset Utc(int d, int h, int mi = 0) => new(2024, 5, d, h, mi, 0, TimeSpan.Zero);

    private TableForecastStore Store() =>
        new(new TableServiceClient(azurite.ConnectionString), new ForecastStoreOptions { TableName = AzuriteFixture.UniqueName("fc") });

    private static CarbonIntensitySeries Hourly(SeriesKind kind, DateTimeOffset generated, DateTimeOffset start, params double[] values) => new()
    {
        Region = "westeurope",
        Kind = kind,
        Signal = SignalKind.Average,
        Scope = EmissionsScope.Lifecycle,
        Source = "electricitymaps",
        GeneratedAt = generated,
        Points = [.. values.Select((v, i) => new CarbonIntensityPoint(start.AddHours(i), TimeSpan.FromHours(1), v))],
        CleaningNotes = ["dropped 1 point(s) without a value"],
    };

    [Fact]
    public async Task The_newest_vintage_overlapping_the_range_wins_and_crosses_midnight_intact()
    {
        var store = Store();
        await store.SaveAsync(Hourly(SeriesKind.Forecast, Utc(1, 10), Utc(1, 22), 100, 110, 120, 130), CancellationToken.None);
        await store.SaveAsync(Hourly(SeriesKind.Forecast, Utc(1, 21), Utc(1, 23), 200, 210, 220), CancellationToken.None);

        var both = await store.GetLatestForecastAsync("westeurope", Utc(1, 22), Utc(2, 2), CancellationToken.None);
        Assert.NotNull(both);
        Assert.Equal(Utc(1, 21), both.GeneratedAt);
        Assert.Equal([Utc(1, 23), Utc(2, 0), Utc(2, 1)], both.Points.Select(p => p.Start));
        Assert.Equal([200.0, 210.0, 220.0], both.Points.Select(p => p.GramsPerKwh));
        Assert.Equal(EmissionsScope.Lifecycle, both.Scope);
        Assert.Equal("electricitymaps", both.Source);
        Assert.Equal(["dropped 1 point(s) without a value"], both.CleaningNotes);

        // Only the older vintage reaches 22:00-23:00.
        var older = await store.GetLatestForecastAsync("westeurope", Utc(1, 22), Utc(1, 23), CancellationToken.None);
        Assert.Equal(Utc(1, 10), older!.GeneratedAt);
        Assert.Equal([100.0], older.Points.Select(p => p.GramsPerKwh));

        Assert.Null(await store.GetLatestForecastAsync("westeurope", Utc(5, 0), Utc(5, 6), CancellationToken.None));
        Assert.Null(await store.GetLatestForecastAsync("northeurope", Utc(1, 22), Utc(2, 2), CancellationToken.None));
    }

    [Fact]
    public async Task Saving_the_same_vintage_twice_is_idempotent()
    {
        var store = Store();
        var series = Hourly(SeriesKind.Forecast, Utc(1, 10), Utc(1, 12), 1, 2, 3);
        await store.SaveAsync(series, CancellationToken.None);
        await store.SaveAsync(series, CancellationToken.None);

        var read = await store.GetLatestForecastAsync("westeurope", Utc(1, 0), Utc(2, 0), CancellationToken.None);
        Assert.Equal([1.0, 2.0, 3.0], read!.Points.Select(p => p.GramsPerKwh));
    }

    [Fact]
    public async Task Actuals_are_kept_apart_and_merged_with_newer_values_winning()
    {
        var store = Store();
        await store.SaveAsync(Hourly(SeriesKind.Actual, Utc(1, 3), Utc(1, 0), 10, 11, 12), CancellationToken.None);
        await store.SaveAsync(Hourly(SeriesKind.Actual, Utc(1, 5), Utc(1, 2), 22, 23, 24), CancellationToken.None);

        var actuals = await store.GetActualsAsync("westeurope", Utc(1, 1), Utc(1, 4), CancellationToken.None);
        Assert.Equal([11.0, 22.0, 23.0], actuals!.Points.Select(p => p.GramsPerKwh));
        Assert.Equal(SeriesKind.Actual, actuals.Kind);

        // Actuals are not forecasts.
        Assert.Null(await store.GetLatestForecastAsync("westeurope", Utc(1, 0), Utc(1, 6), CancellationToken.None));
        Assert.Empty((await store.GetActualsAsync("northeurope", Utc(1, 0), Utc(1, 6), CancellationToken.None))!.Points);
    }

    [Fact]
    public async Task Five_minute_points_survive_the_packed_round_trip_exactly()
    {
        var store = Store();
        var start = Utc(3, 0);
        var points = Enumerable.Range(0, 2 * 288).Select(i => new CarbonIntensityPoint(start.AddMinutes(5 * i), TimeSpan.FromMinutes(5), 100 + (i * 0.123456789))).ToList();
        await store.SaveAsync(new CarbonIntensitySeries
        {
            Region = "westus", Kind = SeriesKind.Forecast, Signal = SignalKind.Marginal, Source = "watttime", GeneratedAt = start, Points = points,
        }, CancellationToken.None);

        var read = await store.GetLatestForecastAsync("westus", start, start.AddDays(2), CancellationToken.None);
        Assert.Equal(points, read!.Points);
        Assert.Equal(SignalKind.Marginal, read.Signal);
    }

    [Fact]
    public async Task Replaying_every_shipped_sample_fills_the_store()
    {
        var store = Store();
        var cases = new (string Region, string Zone, DateTimeOffset AsOf)[]
        {
            ("westus", "us-cal-ciso-2022-06-06_week_hourly.csv", new(2022, 6, 8, 0, 0, 0, TimeSpan.Zero)),
            ("eastus", "es-2022-06-06_week_hourly.csv", new(2022, 6, 8, 0, 0, 0, TimeSpan.Zero)),
            ("germanywestcentral", "de-2020-06-08_week_15min.csv", new(2020, 6, 10, 0, 0, 0, TimeSpan.Zero)),
            ("westus2", "watttime-caiso-north-moer-2023-06-08_3days_5min.csv", new(2023, 6, 9, 0, 0, 0, TimeSpan.Zero)),
            ("uksouth", "uk-forecast-vintages-2023-03", new(2023, 3, 15, 4, 0, 0, TimeSpan.Zero)),
        };
        foreach (var (region, zone, asOf) in cases)
        {
            var replay = new ReplayProvider(new ReplayOptions { Directory = TestSupport.SamplesDirectory, AsOf = asOf }, TimeProvider.System, new ListLogger<ReplayProvider>());
            var forecast = await replay.GetForecastAsync(region, zone, CancellationToken.None);
            var actuals = await replay.GetActualsAsync(region, zone, asOf.AddDays(-1), asOf, CancellationToken.None);
            await store.SaveAsync(forecast, CancellationToken.None);
            await store.SaveAsync(actuals, CancellationToken.None);

            var stored = await store.GetLatestForecastAsync(region, forecast.Points[0].Start, forecast.Points[^1].End, CancellationToken.None);
            Assert.Equal(forecast.Points, stored!.Points);
            var storedActuals = await store.GetActualsAsync(region, asOf.AddDays(-1), asOf, CancellationToken.None);
            Assert.Equal(actuals.Points, storedActuals!.Points);
            Assert.NotEmpty(storedActuals.Points);
        }
    }

    [Fact]
    public async Task Replaying_the_real_shared_files_fills_the_store_when_they_are_present()
    {
        if (RepoPaths.SharedData is not { } shared)
        {
            output.WriteLine("SKIPPED: ../shared/data is absent (a user's clone); the shipped samples are covered by the test above.");
            return;
        }

        var store = Store();
        var carbon = Path.Combine(shared, "carbon");
        var cases = new (string Region, string Zone, DateTimeOffset AsOf, int Points)[]
        {
            // 48 h ahead of an as-of on the hour: 48 hourly, 192 quarter-hour, 576 five-minute slots.
            ("westus", "us-cal-ciso-2022_hourly.csv", new(2022, 9, 1, 0, 0, 0, TimeSpan.Zero), 48),
            ("spaincentral", "es-2022_hourly.csv", new(2022, 12, 1, 0, 0, 0, TimeSpan.Zero), 48),
            ("germanywestcentral", "de-2020_15min.csv", new(2020, 11, 1, 0, 0, 0, TimeSpan.Zero), 192),
            ("westus2", "watttime-caiso-north-moer-2023-06_5min.csv", new(2023, 6, 20, 0, 0, 0, TimeSpan.Zero), 576),
            ("uksouth", "uk-forecast-vintages-2023-03", new(2023, 3, 15, 0, 0, 0, TimeSpan.Zero), 96),
        };
        foreach (var (region, zone, asOf, count) in cases)
        {
            var replay = new ReplayProvider(new ReplayOptions { Directory = carbon, AsOf = asOf }, TimeProvider.System, new ListLogger<ReplayProvider>());
            var forecast = await replay.GetForecastAsync(region, zone, CancellationToken.None);
            await store.SaveAsync(forecast, CancellationToken.None);
            var stored = await store.GetLatestForecastAsync(region, forecast.Points[0].Start, forecast.Points[^1].End, CancellationToken.None);
            Assert.Equal(count, stored!.Points.Count);
            Assert.All(stored.Points, p => Assert.InRange(p.GramsPerKwh, 0, 2000));
            output.WriteLine($"{zone}: {stored.Points.Count} points, notes: {string.Join("; ", forecast.CleaningNotes)}");
        }
    }
}
