using CarbonFunctions.Core.Forecasts;
using CarbonFunctions.Forecasts.Replay;

namespace CarbonFunctions.Forecasts.Tests;

public sealed class ReplayProviderTests
{
    private static DateTimeOffset Utc(int y, int mo, int d, int h = 0, int mi = 0) => new(y, mo, d, h, mi, 0, TimeSpan.Zero);

    private static ReplayProvider Replay(DateTimeOffset asOf, bool loop = false) =>
        new(new ReplayOptions { Directory = TestSupport.SamplesDirectory, AsOf = asOf, Loop = loop }, TimeProvider.System, new ListLogger<ReplayProvider>());

    [Fact]
    public async Task An_Electricity_Maps_export_gives_the_next_48_hours_after_as_of()
    {
        var asOf = Utc(2022, 6, 6, 0, 30);
        var forecast = await Replay(asOf).GetForecastAsync("westus", "us-cal-ciso-2022-06-06_week_hourly.csv", CancellationToken.None);

        // Rows 2022-06-06 00:00 and 01:00 of the file, direct column: 83.11 and 121.04.
        Assert.Equal(Utc(2022, 6, 6), forecast.Points[0].Start);
        Assert.Equal(83.11, forecast.Points[0].GramsPerKwh);
        Assert.Equal(121.04, forecast.Points[1].GramsPerKwh);

        // Slots starting 06-06 00:00 .. 06-08 00:00 (the last one before as-of + 48 h): 49 hours.
        Assert.Equal(49, forecast.Points.Count);
        Assert.All(forecast.Points, p => Assert.Equal(TimeSpan.FromHours(1), p.Duration));
        Assert.Equal(asOf, forecast.GeneratedAt);
        Assert.Equal(SignalKind.Average, forecast.Signal);
        Assert.Equal(EmissionsScope.Direct, forecast.Scope);
    }

    [Fact]
    public async Task The_lifecycle_column_is_read_with_the_lca_suffix()
    {
        var forecast = await Replay(Utc(2022, 6, 6)).GetForecastAsync("westus", "us-cal-ciso-2022-06-06_week_hourly.csv#lca", CancellationToken.None);
        Assert.Equal(124.97, forecast.Points[0].GramsPerKwh);
        Assert.Equal(EmissionsScope.Lifecycle, forecast.Scope);
    }

    [Fact]
    public async Task Actuals_stop_at_as_of_so_nothing_from_the_future_is_seen()
    {
        var asOf = Utc(2022, 6, 6, 5, 30);
        var actuals = await Replay(asOf).GetActualsAsync("westus", "us-cal-ciso-2022-06-06_week_hourly.csv", Utc(2022, 6, 5), Utc(2022, 6, 7), CancellationToken.None);

        // Hours 00:00..04:00 have ended by 05:30; 05:00-06:00 has not.
        Assert.Equal(5, actuals.Points.Count);
        Assert.All(actuals.Points, p => Assert.True(p.End <= asOf));
        Assert.Equal(SeriesKind.Actual, actuals.Kind);
    }

    [Fact]
    public async Task GB_vintages_replay_the_forecast_published_by_as_of()
    {
        const string zone = "uk-forecast-vintages-2023-03";
        var at10 = await Replay(Utc(2023, 3, 14, 10)).GetForecastAsync("uksouth", zone, CancellationToken.None);
        var at4 = await Replay(Utc(2023, 3, 14, 4)).GetForecastAsync("uksouth", zone, CancellationToken.None);

        // 2023-03-14T0931Z.csv says 106 for 09:30; the 03:31 vintage said 92 for the same slot.
        Assert.Equal(Utc(2023, 3, 14, 9, 31), at10.GeneratedAt);
        Assert.Equal(106.0, at10.IntensityAt(Utc(2023, 3, 14, 9, 45)));
        Assert.Equal(Utc(2023, 3, 14, 3, 31), at4.GeneratedAt);
        Assert.Equal(92.0, at4.IntensityAt(Utc(2023, 3, 14, 9, 45)));
        Assert.Equal(96, at10.Points.Count);

        await Assert.ThrowsAsync<ForecastDataException>(() => Replay(Utc(2023, 3, 14, 3)).GetForecastAsync("uksouth", zone, CancellationToken.None));
    }

    [Fact]
    public async Task GB_actuals_appear_only_once_their_file_is_published()
    {
        const string zone = "uk-forecast-vintages-2023-03";
        var before = await Replay(Utc(2023, 3, 15, 3)).GetActualsAsync("uksouth", zone, Utc(2023, 3, 14), Utc(2023, 3, 15), CancellationToken.None);
        var after = await Replay(Utc(2023, 3, 15, 4)).GetActualsAsync("uksouth", zone, Utc(2023, 3, 14), Utc(2023, 3, 15), CancellationToken.None);

        Assert.Empty(before.Points);

        // national_pt24h/2023-03-15T0331Z.csv: 09:30 slot actual 102.0.
        Assert.Equal(102.0, after.IntensityAt(Utc(2023, 3, 14, 9, 30)));
    }

    [Fact]
    public async Task The_WattTime_csv_is_a_marginal_5_minute_series_with_its_real_glitch_kept()
    {
        var forecast = await Replay(Utc(2023, 6, 8, 17, 0)).GetForecastAsync("westus2", "watttime-caiso-north-moer-2023-06-08_3days_5min.csv", CancellationToken.None);

        Assert.Equal(SignalKind.Marginal, forecast.Signal);
        Assert.All(forecast.Points, p => Assert.Equal(TimeSpan.FromMinutes(5), p.Duration));
        Assert.Equal(41.73049804, forecast.IntensityAt(Utc(2023, 6, 8, 18, 2)));
    }

    [Fact]
    public async Task The_German_15_minute_series_reads_naive_times_as_UTC()
    {
        var forecast = await Replay(Utc(2020, 6, 8)).GetForecastAsync("germanywestcentral", "de-2020-06-08_week_15min.csv", CancellationToken.None);
        Assert.Equal(Utc(2020, 6, 8), forecast.Points[0].Start);
        Assert.Equal(294.3254637436762, forecast.Points[0].GramsPerKwh);
        Assert.Equal(TimeSpan.FromMinutes(15), forecast.Points[0].Duration);
        Assert.Equal(4 * 48, forecast.Points.Count);
    }

    [Fact]
    public async Task Without_loop_an_as_of_past_the_file_is_a_clear_error_and_with_loop_whole_weeks_repeat()
    {
        // 2024-06-03 is a Monday exactly 104 weeks after Monday 2022-06-06, the file's first row.
        var asOf = Utc(2024, 6, 3);
        await Assert.ThrowsAsync<ForecastDataException>(() => Replay(asOf).GetForecastAsync("westus", "us-cal-ciso-2022-06-06_week_hourly.csv", CancellationToken.None));

        var looped = await Replay(asOf, loop: true).GetForecastAsync("westus", "us-cal-ciso-2022-06-06_week_hourly.csv", CancellationToken.None);
        Assert.Equal(asOf, looped.Points[0].Start);
        Assert.Equal(83.11, looped.Points[0].GramsPerKwh);
        Assert.Equal(48, looped.Points.Count);

        // Near the end of the week the forecast wraps to the start of the file: 2024-06-09 23:00 then Monday 00:00 again.
        var wrap = await Replay(Utc(2024, 6, 9, 23), loop: true).GetForecastAsync("westus", "us-cal-ciso-2022-06-06_week_hourly.csv", CancellationToken.None);
        Assert.Equal(83.11, wrap.IntensityAt(Utc(2024, 6, 10, 0, 10)));
    }

    [Fact]
    public async Task An_unknown_csv_header_is_named_in_the_error()
    {
        var dir = Directory.CreateTempSubdirectory();
        try
        {
            await File.WriteAllTextAsync(Path.Combine(dir.FullName, "odd.csv"), "when,howmuch\n2024-01-01 00:00:00,5\n");
            var replay = new ReplayProvider(new ReplayOptions { Directory = dir.FullName, AsOf = Utc(2024, 1, 1) }, TimeProvider.System, new ListLogger<ReplayProvider>());
            var ex = await Assert.ThrowsAsync<ForecastDataException>(() => replay.GetForecastAsync("x", "odd.csv", CancellationToken.None));
            Assert.Contains("when,howmuch", ex.Message, StringComparison.Ordinal);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task A_recorded_WattTime_response_replays_as_a_vintage_in_grams()
    {
        var dir = Directory.CreateTempSubdirectory();
        try
        {
            await File.WriteAllTextAsync(Path.Combine(dir.FullName, "wt.json"), """
                {"data":[{"point_time":"2024-05-01T12:00:00+00:00","value":1000}],
                 "meta":{"units":"lbs_co2_per_mwh","signal_type":"co2_moer","data_point_period_seconds":300,"generated_at":"2024-05-01T11:55:00+00:00"}}
                """);
            var replay = new ReplayProvider(new ReplayOptions { Directory = dir.FullName, AsOf = Utc(2024, 5, 1, 12) }, TimeProvider.System, new ListLogger<ReplayProvider>());
            var forecast = await replay.GetForecastAsync("x", "wt.json", CancellationToken.None);
            Assert.Equal(453.59237, forecast.Points.Single().GramsPerKwh, 9);
            Assert.Equal(new DateTimeOffset(2024, 5, 1, 11, 55, 0, TimeSpan.Zero), forecast.GeneratedAt);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
