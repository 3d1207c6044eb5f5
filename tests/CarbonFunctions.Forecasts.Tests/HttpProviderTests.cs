using CarbonFunctions.Core.Forecasts;
using CarbonFunctions.Forecasts.CarbonAwareSdk;
using CarbonFunctions.Forecasts.ElectricityMaps;
using CarbonFunctions.Forecasts.GbCarbonIntensity;
using CarbonFunctions.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Time.Testing;
using Polly.CircuitBreaker;

namespace CarbonFunctions.Forecasts.Tests;

public sealed class HttpProviderTests
{
    private const string EmToken = "em-token-never-logged";

    [Fact]
    public async Task Electricity_Maps_sends_auth_token_and_drops_null_intensity_with_a_note()
    {
        await using var server = await LoopbackHttpServer.StartAsync(app =>
            app.MapGet("/v3/carbon-intensity/forecast", (RequestDelegate)(c => TestSupport.Json(c, """
                {"zone":"DE","forecast":[
                  {"carbonIntensity":310,"datetime":"2024-05-01T13:00:00.000Z"},
                  {"carbonIntensity":null,"datetime":"2024-05-01T14:00:00.000Z"},
                  {"carbonIntensity":290,"datetime":"2024-05-01T15:00:00.000Z"},
                  {"carbonIntensity":280,"datetime":"2024-05-01T16:00:00.000Z"}],
                 "updatedAt":"2024-05-01T12:41:07.001Z"}
                """))));
        var logger = new ListLogger<ElectricityMapsProvider>();
        var provider = new ElectricityMapsProvider(TestSupport.Client(server),
            new ElectricityMapsOptions { ApiToken = EmToken, Resilience = TestSupport.FastResilience() }, TimeProvider.System, logger);

        var series = await provider.GetForecastAsync("germanywestcentral", "DE", CancellationToken.None);

        var call = server.Requests.Single();
        Assert.Equal(EmToken, call.Headers["auth-token"]);
        Assert.Contains("zone=DE", call.PathAndQuery, StringComparison.Ordinal);
        Assert.Equal([310.0, 290.0, 280.0], series.Points.Select(p => p.GramsPerKwh));
        Assert.All(series.Points, p => Assert.Equal(TimeSpan.FromHours(1), p.Duration));
        Assert.Null(series.IntensityAt(new DateTimeOffset(2024, 5, 1, 14, 30, 0, TimeSpan.Zero)));
        Assert.Contains(series.CleaningNotes, n => n.Contains("1 point(s) without a value", StringComparison.Ordinal));
        Assert.Equal(new DateTimeOffset(2024, 5, 1, 12, 41, 7, 1, TimeSpan.Zero), series.GeneratedAt);
        Assert.Equal(EmissionsScope.Lifecycle, series.Scope);
        Assert.Equal(SignalKind.Average, series.Signal);
        Assert.DoesNotContain(EmToken, string.Join("\n", logger.Lines), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Electricity_Maps_uses_past_range_for_old_actuals_and_reads_the_emission_factor_type()
    {
        var now = new DateTimeOffset(2024, 5, 10, 0, 0, 0, TimeSpan.Zero);
        await using var server = await LoopbackHttpServer.StartAsync(app =>
            app.MapGet("/v3/carbon-intensity/past-range", (RequestDelegate)(c => TestSupport.Json(c, """
                {"zone":"DE","data":[
                  {"zone":"DE","carbonIntensity":400,"datetime":"2024-05-01T00:00:00.000Z","updatedAt":"x","isEstimated":false,"emissionFactorType":"direct"},
                  {"zone":"DE","carbonIntensity":410,"datetime":"2024-05-01T01:00:00.000Z","updatedAt":"x","isEstimated":true,"estimationMethod":"TIME_SLICER_AVERAGE","emissionFactorType":"direct"}]}
                """))));
        var provider = new ElectricityMapsProvider(TestSupport.Client(server),
            new ElectricityMapsOptions { ApiToken = EmToken, Resilience = TestSupport.FastResilience() }, new FakeTimeProvider(now), new ListLogger<ElectricityMapsProvider>());
        var from = new DateTimeOffset(2024, 5, 1, 0, 0, 0, TimeSpan.Zero);

        var series = await provider.GetActualsAsync("germanywestcentral", "DE", from, from.AddHours(2), CancellationToken.None);

        Assert.StartsWith("/v3/carbon-intensity/past-range?zone=DE&start=2024-05-01T00%3A00%3A00Z&end=2024-05-01T02%3A00%3A00Z", server.Requests.Single().PathAndQuery, StringComparison.Ordinal);
        Assert.Equal([400.0, 410.0], series.Points.Select(p => p.GramsPerKwh));
        Assert.Equal(EmissionsScope.Direct, series.Scope);
        Assert.Contains(series.CleaningNotes, n => n.Contains("1 point(s) are provider estimates", StringComparison.Ordinal));
    }

    [Fact]
    public async Task GB_forecast_asks_from_the_current_half_hour_and_reads_half_hour_slots()
    {
        var now = new DateTimeOffset(2023, 3, 14, 3, 41, 12, TimeSpan.Zero);
        await using var server = await LoopbackHttpServer.StartAsync(app =>
            app.MapGet("/intensity/{from}/fw48h", (RequestDelegate)(c => TestSupport.Json(c, """
                {"data":[
                  {"from":"2023-03-14T03:30Z","to":"2023-03-14T04:00Z","intensity":{"forecast":69,"actual":null,"index":"low"}},
                  {"from":"2023-03-14T04:00Z","to":"2023-03-14T04:30Z","intensity":{"forecast":72,"actual":null,"index":"low"}}]}
                """))));
        var provider = new GbCarbonIntensityProvider(TestSupport.Client(server),
            new GbCarbonIntensityOptions { Resilience = TestSupport.FastResilience() }, new FakeTimeProvider(now), new ListLogger<GbCarbonIntensityProvider>());

        var series = await provider.GetForecastAsync("uksouth", "national", CancellationToken.None);

        Assert.Equal("/intensity/2023-03-14T03:30Z/fw48h", server.Requests.Single().PathAndQuery);
        Assert.Equal([69.0, 72.0], series.Points.Select(p => p.GramsPerKwh));
        Assert.Equal(new DateTimeOffset(2023, 3, 14, 3, 30, 0, TimeSpan.Zero), series.Points[0].Start);
        Assert.All(series.Points, p => Assert.Equal(TimeSpan.FromMinutes(30), p.Duration));
        Assert.Equal(now, series.GeneratedAt);
    }

    [Fact]
    public async Task GB_actuals_use_pt24h_and_drop_slots_without_an_actual()
    {
        var now = new DateTimeOffset(2023, 3, 15, 3, 31, 0, TimeSpan.Zero);
        await using var server = await LoopbackHttpServer.StartAsync(app =>
            app.MapGet("/intensity/{from}/pt24h", (RequestDelegate)(c => TestSupport.Json(c, """
                {"data":[
                  {"from":"2023-03-15T02:00Z","to":"2023-03-15T02:30Z","intensity":{"forecast":180,"actual":175,"index":"moderate"}},
                  {"from":"2023-03-15T02:30Z","to":"2023-03-15T03:00Z","intensity":{"forecast":182,"actual":null,"index":"moderate"}}]}
                """))));
        var provider = new GbCarbonIntensityProvider(TestSupport.Client(server),
            new GbCarbonIntensityOptions { Resilience = TestSupport.FastResilience() }, new FakeTimeProvider(now), new ListLogger<GbCarbonIntensityProvider>());

        var series = await provider.GetActualsAsync("uksouth", "national", now.AddHours(-2), new DateTimeOffset(2023, 3, 15, 3, 30, 0, TimeSpan.Zero), CancellationToken.None);

        Assert.Equal("/intensity/2023-03-15T03:30Z/pt24h", server.Requests.Single().PathAndQuery);
        Assert.Equal([175.0], series.Points.Select(p => p.GramsPerKwh));
        Assert.Contains(series.CleaningNotes, n => n.Contains("without a value", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Carbon_Aware_SDK_forecast_and_past_ratings_are_read_with_their_durations()
    {
        await using var server = await LoopbackHttpServer.StartAsync(app =>
        {
            app.MapGet("/emissions/forecasts/current", (RequestDelegate)(c => TestSupport.Json(c, """
                [{"generatedAt":"2024-05-01T12:00:00+00:00","requestedAt":"2024-05-01T12:01:00+00:00","location":"eastus",
                  "dataStartAt":"2024-05-01T12:05:00+00:00","dataEndAt":"2024-05-01T12:15:00+00:00","windowSize":5,
                  "optimalDataPoints":[{"location":"eastus","timestamp":"2024-05-01T12:10:00+00:00","duration":5,"value":410.2}],
                  "forecastData":[{"location":"eastus","timestamp":"2024-05-01T12:05:00+00:00","duration":5,"value":420.5},
                                  {"location":"eastus","timestamp":"2024-05-01T12:10:00+00:00","duration":5,"value":410.2}]}]
                """)));
            app.MapGet("/emissions/bylocations", (RequestDelegate)(c => TestSupport.Json(c, """
                [{"location":"eastus","time":"2024-05-01T11:00:00+00:00","rating":500.1,"duration":"00:05:00"},
                 {"location":"eastus","time":"2024-05-01T11:05:00+00:00","rating":505.2,"duration":"00:05:00"}]
                """)));
        });
        var provider = new CarbonAwareSdkProvider(TestSupport.Client(server),
            new CarbonAwareSdkOptions { BaseUrl = server.BaseAddress, Resilience = TestSupport.FastResilience() }, TimeProvider.System, new ListLogger<CarbonAwareSdkProvider>());
        var from = new DateTimeOffset(2024, 5, 1, 11, 0, 0, TimeSpan.Zero);

        var forecast = await provider.GetForecastAsync("eastus", "eastus", CancellationToken.None);
        var actuals = await provider.GetActualsAsync("eastus", "eastus", from, from.AddMinutes(10), CancellationToken.None);

        Assert.Equal([420.5, 410.2], forecast.Points.Select(p => p.GramsPerKwh));
        Assert.All(forecast.Points, p => Assert.Equal(TimeSpan.FromMinutes(5), p.Duration));
        Assert.Equal(new DateTimeOffset(2024, 5, 1, 12, 0, 0, TimeSpan.Zero), forecast.GeneratedAt);
        Assert.Equal(SignalKind.Marginal, forecast.Signal);
        Assert.Equal([500.1, 505.2], actuals.Points.Select(p => p.GramsPerKwh));
        Assert.Contains("time=2024-05-01T11%3A00%3A00Z&toTime=2024-05-01T11%3A10%3A00Z", server.Requests[^1].PathAndQuery, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_circuit_opens_after_repeated_failures_and_stops_calling_the_server()
    {
        await using var server = await LoopbackHttpServer.StartAsync(app =>
            app.MapGet("/intensity/{from}/fw48h", (RequestDelegate)(c => TestSupport.Json(c, "{}", 500))));
        var resilience = TestSupport.FastResilience(retries: 0);
        resilience.BreakerMinimumThroughput = 2;
        var provider = new GbCarbonIntensityProvider(TestSupport.Client(server),
            new GbCarbonIntensityOptions { Resilience = resilience }, TimeProvider.System, new ListLogger<GbCarbonIntensityProvider>());

        await Assert.ThrowsAsync<ForecastProviderException>(() => provider.GetForecastAsync("uksouth", "national", CancellationToken.None));
        await Assert.ThrowsAsync<ForecastProviderException>(() => provider.GetForecastAsync("uksouth", "national", CancellationToken.None));
        await Assert.ThrowsAsync<BrokenCircuitException>(() => provider.GetForecastAsync("uksouth", "national", CancellationToken.None));

        Assert.Equal(2, server.Requests.Count);
    }
}
