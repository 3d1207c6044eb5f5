using System.Diagnostics;
using System.Text;
using CarbonFunctions.Core.Forecasts;
using CarbonFunctions.Forecasts.WattTime;
using CarbonFunctions.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace CarbonFunctions.Forecasts.Tests;

public sealed class WattTimeProviderTests
{
    private const string Password = "s3cret-Pa55-do-not-log";

    private const string ForecastBody = """
        {"data":[
          {"point_time":"2024-05-01T12:00:00+00:00","value":1000.0,"version":"3.2"},
          {"point_time":"2024-05-01T12:05:00+00:00","value":800.0,"version":"3.2"},
          {"point_time":"2024-05-01T12:10:00+00:00","value":null,"version":"3.2"}],
         "meta":{"data_point_period_seconds":300,"region":"CAISO_NORTH","warnings":[],"signal_type":"co2_moer",
                 "model":{"date":"2023-03-01"},"units":"lbs_co2_per_mwh","generated_at_period_seconds":300,
                 "generated_at":"2024-05-01T11:55:00+00:00"}}
        """;

    private static WattTimeProvider Provider(LoopbackHttpServer server, ListLogger<WattTimeProvider> logger, int retries = 2, int timeoutMs = 3000) =>
        new(TestSupport.Client(server), new WattTimeOptions { Username = "ml-team", Password = Password, Resilience = TestSupport.FastResilience(retries, timeoutMs) },
            TimeProvider.System, logger);

    [Fact]
    public async Task Logs_in_with_basic_auth_once_uses_the_bearer_and_converts_lbs_per_MWh()
    {
        await using var server = await LoopbackHttpServer.StartAsync(app =>
        {
            app.MapGet("/login", (RequestDelegate)(c => TestSupport.Json(c, """{"token":"tok-1"}""")));
            app.MapGet("/v3/forecast", (RequestDelegate)(c => TestSupport.Json(c, ForecastBody)));
        });
        using var provider = Provider(server, new ListLogger<WattTimeProvider>());

        var series = await provider.GetForecastAsync("westus", "CAISO_NORTH", CancellationToken.None);
        await provider.GetForecastAsync("westus", "CAISO_NORTH", CancellationToken.None);

        var logins = server.Requests.Where(r => r.PathAndQuery == "/login").ToList();
        Assert.Single(logins);
        Assert.Equal("Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("ml-team:" + Password)), logins[0].Headers["Authorization"]);
        var forecastCall = server.Requests.First(r => r.PathAndQuery.StartsWith("/v3/forecast", StringComparison.Ordinal));
        Assert.Equal("Bearer tok-1", forecastCall.Headers["Authorization"]);
        Assert.Contains("region=CAISO_NORTH", forecastCall.PathAndQuery, StringComparison.Ordinal);
        Assert.Contains("signal_type=co2_moer", forecastCall.PathAndQuery, StringComparison.Ordinal);

        // 1000 lb/MWh * 453.59237 g/lb / 1000 kWh/MWh = 453.59237 g/kWh; 800 -> 362.873896.
        Assert.Equal(2, series.Points.Count);
        Assert.Equal(453.59237, series.Points[0].GramsPerKwh, 6);
        Assert.Equal(362.873896, series.Points[1].GramsPerKwh, 6);
        Assert.Equal(TimeSpan.FromMinutes(5), series.Points[0].Duration);
        Assert.Equal(SignalKind.Marginal, series.Signal);
        Assert.Equal(new DateTimeOffset(2024, 5, 1, 11, 55, 0, TimeSpan.Zero), series.GeneratedAt);
        Assert.Contains(series.CleaningNotes, n => n.Contains("without a value", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_401_triggers_one_fresh_login()
    {
        var logins = 0;
        await using var server = await LoopbackHttpServer.StartAsync(app =>
        {
            app.MapGet("/login", (RequestDelegate)(c => TestSupport.Json(c, $$"""{"token":"tok-{{Interlocked.Increment(ref logins)}}"}""")));
            app.MapGet("/v3/forecast", (RequestDelegate)(c => c.Request.Headers.Authorization == "Bearer tok-2"
                ? TestSupport.Json(c, ForecastBody)
                : TestSupport.Json(c, """{"error":"expired"}""", 401)));
        });
        using var provider = Provider(server, new ListLogger<WattTimeProvider>());

        var series = await provider.GetForecastAsync("westus", "CAISO_NORTH", CancellationToken.None);

        Assert.Equal(2, logins);
        Assert.Equal(2, series.Points.Count);
    }

    [Fact]
    public async Task A_429_with_Retry_After_is_waited_out_and_retried()
    {
        var calls = new List<long>();
        await using var server = await LoopbackHttpServer.StartAsync(app =>
        {
            app.MapGet("/login", (RequestDelegate)(c => TestSupport.Json(c, """{"token":"t"}""")));
            app.MapGet("/v3/forecast", (RequestDelegate)(c =>
            {
                lock (calls)
                {
                    calls.Add(Stopwatch.GetTimestamp());
                    if (calls.Count == 1)
                    {
                        c.Response.Headers.RetryAfter = "1";
                        return TestSupport.Json(c, """{"message":"slow down"}""", 429);
                    }
                }

                return TestSupport.Json(c, ForecastBody);
            }));
        });
        using var provider = Provider(server, new ListLogger<WattTimeProvider>());

        var series = await provider.GetForecastAsync("westus", "CAISO_NORTH", CancellationToken.None);

        Assert.Equal(2, calls.Count);
        Assert.True(Stopwatch.GetElapsedTime(calls[0], calls[1]) >= TimeSpan.FromMilliseconds(900), "the retry must wait for Retry-After: 1");
        Assert.Equal(2, series.Points.Count);
    }

    [Fact]
    public async Task Server_errors_and_a_slow_attempt_are_retried()
    {
        var calls = 0;
        await using var server = await LoopbackHttpServer.StartAsync(app =>
        {
            app.MapGet("/login", (RequestDelegate)(c => TestSupport.Json(c, """{"token":"t"}""")));
            app.MapGet("/v3/forecast", (RequestDelegate)(async c =>
            {
                switch (Interlocked.Increment(ref calls))
                {
                    case 1:
                        await TestSupport.Json(c, "oops", 500);
                        break;
                    case 2:
                        await Task.Delay(20_000, c.RequestAborted); // far longer than the 1.5 s attempt timeout
                        break;
                    default:
                        await TestSupport.Json(c, ForecastBody);
                        break;
                }
            }));
        });
        using var provider = Provider(server, new ListLogger<WattTimeProvider>(), retries: 3, timeoutMs: 1500);

        var series = await provider.GetForecastAsync("westus", "CAISO_NORTH", CancellationToken.None);

        Assert.Equal(3, calls);
        Assert.Equal(2, series.Points.Count);
    }

    [Fact]
    public async Task Persistent_500s_end_in_a_provider_error_that_does_not_leak_the_password()
    {
        var logger = new ListLogger<WattTimeProvider>();
        await using var server = await LoopbackHttpServer.StartAsync(app =>
        {
            app.MapGet("/login", (RequestDelegate)(c => TestSupport.Json(c, """{"token":"t"}""")));
            app.MapGet("/v3/forecast", (RequestDelegate)(c => TestSupport.Json(c, "{}", 503)));
        });
        using var provider = Provider(server, logger, retries: 2);

        var ex = await Assert.ThrowsAsync<ForecastProviderException>(() => provider.GetForecastAsync("westus", "CAISO_NORTH", CancellationToken.None));

        Assert.Equal(3, server.Requests.Count(r => r.PathAndQuery.StartsWith("/v3/forecast", StringComparison.Ordinal)));
        Assert.Contains("503", ex.Message, StringComparison.Ordinal);
        var everything = ex.ToString() + string.Join("\n", logger.Lines);
        Assert.DoesNotContain(Password, everything, StringComparison.Ordinal);
        Assert.DoesNotContain(Convert.ToBase64String(Encoding.UTF8.GetBytes("ml-team:" + Password)), everything, StringComparison.Ordinal);
        Assert.DoesNotContain(Password, new WattTimeOptions { Password = Password }.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_rejected_login_says_which_settings_to_check_without_the_secret()
    {
        await using var server = await LoopbackHttpServer.StartAsync(app =>
            app.MapGet("/login", (RequestDelegate)(c => TestSupport.Json(c, """{"error":"bad"}""", 401))));
        using var provider = Provider(server, new ListLogger<WattTimeProvider>());

        var ex = await Assert.ThrowsAsync<ForecastProviderException>(() => provider.GetForecastAsync("westus", "CAISO_NORTH", CancellationToken.None));

        Assert.Contains("Carbon:Forecasts:WattTime:Username", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Password, ex.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"data":[{"point_time":"2024-05-01T12:00:00Z","value":1}],"meta":{"units":"percent"}}""", "percent")]
    [InlineData("""{"data":[{"point_time":"2024-05-01T12:00:00Z","val""", "not valid JSON")]
    [InlineData("""{"meta":{"units":"lbs_co2_per_mwh"}}""", "'data'")]
    public async Task Bad_bodies_become_a_clear_data_error(string body, string expected)
    {
        await using var server = await LoopbackHttpServer.StartAsync(app =>
        {
            app.MapGet("/login", (RequestDelegate)(c => TestSupport.Json(c, """{"token":"t"}""")));
            app.MapGet("/v3/forecast", (RequestDelegate)(c => TestSupport.Json(c, body)));
        });
        using var provider = Provider(server, new ListLogger<WattTimeProvider>());

        var ex = await Assert.ThrowsAsync<ForecastDataException>(() => provider.GetForecastAsync("westus", "CAISO_NORTH", CancellationToken.None));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Historical_asks_for_the_range_and_keeps_points_inside_it()
    {
        await using var server = await LoopbackHttpServer.StartAsync(app =>
        {
            app.MapGet("/login", (RequestDelegate)(c => TestSupport.Json(c, """{"token":"t"}""")));
            app.MapGet("/v3/historical", (RequestDelegate)(c => TestSupport.Json(c, """
                {"data":[{"point_time":"2024-05-01T11:55:00+00:00","value":500},
                         {"point_time":"2024-05-01T12:00:00+00:00","value":600},
                         {"point_time":"2024-05-01T12:05:00+00:00","value":700}],
                 "meta":{"data_point_period_seconds":300,"units":"lbs_co2_per_mwh","signal_type":"co2_moer"}}
                """)));
        });
        using var provider = Provider(server, new ListLogger<WattTimeProvider>());
        var from = new DateTimeOffset(2024, 5, 1, 12, 0, 0, TimeSpan.Zero);

        var series = await provider.GetActualsAsync("westus", "CAISO_NORTH", from, from.AddMinutes(10), CancellationToken.None);

        var call = server.Requests.Single(r => r.PathAndQuery.StartsWith("/v3/historical", StringComparison.Ordinal));
        Assert.Contains("start=2024-05-01T12%3A00%3A00Z", call.PathAndQuery, StringComparison.Ordinal);
        Assert.Equal(SeriesKind.Actual, series.Kind);
        Assert.Equal([600 * 0.45359237, 700 * 0.45359237], series.Points.Select(p => Math.Round(p.GramsPerKwh, 9)));
    }
}
