using CarbonFunctions.Compute.Resilience;

namespace CarbonFunctions.Compute.Tests;

/// <summary>Resilience settings that keep tests in milliseconds.</summary>
internal static class TestResilience
{
    public static PoolResilienceOptions Fast { get; } = new()
    {
        AttemptTimeout = TimeSpan.FromSeconds(5),
        MaxRetryAttempts = 3,
        RetryBaseDelay = TimeSpan.FromMilliseconds(5),
        RetryMaxDelay = TimeSpan.FromMilliseconds(50),
        BreakerFailureRatio = 1.0,
        BreakerMinimumThroughput = 100,
        BreakerSamplingDuration = TimeSpan.FromSeconds(30),
        BreakerDuration = TimeSpan.FromSeconds(30),
    };
}
