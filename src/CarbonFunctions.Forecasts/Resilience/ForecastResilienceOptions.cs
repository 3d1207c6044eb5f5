namespace CarbonFunctions.Forecasts.Resilience;

/// <summary>
/// Timeout, retry and circuit-breaker settings of one provider's HTTP calls, bound from
/// <c>Carbon:Forecasts:&lt;Provider&gt;:Resilience</c>. Defaults suit the public APIs; tests shrink them to milliseconds.
/// </summary>
public sealed class ForecastResilienceOptions
{
    /// <summary>Limit for one HTTP attempt (not the whole call with its retries).</summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Retries after the first attempt; 0 turns retrying off.</summary>
    public int MaxRetryAttempts { get; set; } = 3;

    /// <summary>First backoff delay; later ones double, with jitter.</summary>
    public TimeSpan BaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Upper bound on any wait, a server's Retry-After included.</summary>
    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Share of failed calls within <see cref="BreakerSamplingDuration"/> that opens the circuit.</summary>
    public double BreakerFailureRatio { get; set; } = 0.5;

    public int BreakerMinimumThroughput { get; set; } = 8;

    public TimeSpan BreakerSamplingDuration { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>How long an open circuit refuses calls before trying one again.</summary>
    public TimeSpan BreakDuration { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Problems with these settings, prefixed with <paramref name="section"/>. Bounds follow Polly's own validation.</summary>
    public IReadOnlyList<string> Validate(string section)
    {
        var problems = new List<string>();
        if (AttemptTimeout < TimeSpan.FromMilliseconds(10) || AttemptTimeout > TimeSpan.FromDays(1))
        {
            problems.Add($"{section}:AttemptTimeout must be between 10 ms and 1 day.");
        }

        if (MaxRetryAttempts < 0)
        {
            problems.Add($"{section}:MaxRetryAttempts must not be negative.");
        }

        if (BaseDelay < TimeSpan.Zero || MaxDelay < BaseDelay)
        {
            problems.Add($"{section}:BaseDelay must be >= 0 and MaxDelay >= BaseDelay.");
        }

        if (BreakerFailureRatio is <= 0 or > 1)
        {
            problems.Add($"{section}:BreakerFailureRatio must be in (0, 1].");
        }

        if (BreakerMinimumThroughput < 2)
        {
            problems.Add($"{section}:BreakerMinimumThroughput must be at least 2.");
        }

        if (BreakerSamplingDuration < TimeSpan.FromMilliseconds(500) || BreakDuration < TimeSpan.FromMilliseconds(500))
        {
            problems.Add($"{section}:BreakerSamplingDuration and BreakDuration must be at least 500 ms.");
        }

        return problems;
    }
}
