using System.Text;
using CarbonFunctions.Forecasts.Resilience;
using CarbonFunctions.Testing;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace CarbonFunctions.Forecasts.Tests;

/// <summary>Collects every log line (message and exception) so tests can search them for secrets.</summary>
internal sealed class ListLogger<T> : ILogger<T>
{
    private readonly List<string> _lines = [];

    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (_lines)
            {
                return [.. _lines];
            }
        }
    }

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        lock (_lines)
        {
            _lines.Add($"{logLevel} {formatter(state, exception)} {exception}");
        }
    }
}

internal static class TestSupport
{
    /// <summary>Millisecond backoff so retry tests run fast; attempt timeouts generous enough for a loaded 2-core machine; the breaker stays closed unless a test says otherwise.</summary>
    public static ForecastResilienceOptions FastResilience(int retries = 2, int attemptTimeoutMs = 3000) => new()
    {
        AttemptTimeout = TimeSpan.FromMilliseconds(attemptTimeoutMs),
        MaxRetryAttempts = retries,
        BaseDelay = TimeSpan.FromMilliseconds(1),
        MaxDelay = TimeSpan.FromSeconds(5),
        BreakerFailureRatio = 1.0,
        BreakerMinimumThroughput = 1000,
        BreakerSamplingDuration = TimeSpan.FromSeconds(30),
        BreakDuration = TimeSpan.FromSeconds(5),
    };

    public static Task Json(HttpContext context, string body, int status = 200)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(body, Encoding.UTF8);
    }

    public static string SamplesDirectory => Path.Combine(RepoPaths.Root, "samples", "carbon");

    public static HttpClient Client(LoopbackHttpServer server) => new() { BaseAddress = server.BaseAddress };
}
