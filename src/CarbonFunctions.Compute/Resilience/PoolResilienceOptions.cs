namespace CarbonFunctions.Compute.Resilience;

/// <summary>
/// Timeout, retry and circuit-breaker settings for calls to a cloud's control plane. Bound from
/// <c>Carbon:Pools:Resilience</c>; tests shrink the delays to milliseconds.
/// </summary>
public sealed record PoolResilienceOptions
{
    public const string SectionName = "Carbon:Pools:Resilience";

    /// <summary>Limit for one attempt of one control-plane call (not for waiting on a long-running operation).</summary>
    public TimeSpan AttemptTimeout { get; init; } = TimeSpan.FromSeconds(60);

    public int MaxRetryAttempts { get; init; } = 5;

    /// <summary>Base of the exponential, jittered backoff; a server's Retry-After wins when it asks for longer.</summary>
    public TimeSpan RetryBaseDelay { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Ceiling on any single retry delay, Retry-After included.</summary>
    public TimeSpan RetryMaxDelay { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>Share of failed calls within <see cref="BreakerSamplingDuration"/> that opens the breaker.</summary>
    public double BreakerFailureRatio { get; init; } = 0.5;

    public int BreakerMinimumThroughput { get; init; } = 10;

    public TimeSpan BreakerSamplingDuration { get; init; } = TimeSpan.FromSeconds(60);

    public TimeSpan BreakerDuration { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Returns the problems with these settings, for start-up validation.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (AttemptTimeout <= TimeSpan.Zero)
        {
            problems.Add($"{SectionName}:AttemptTimeout must be positive.");
        }

        if (MaxRetryAttempts is < 0 or > 20)
        {
            problems.Add($"{SectionName}:MaxRetryAttempts must be between 0 and 20, was {MaxRetryAttempts}.");
        }

        if (RetryBaseDelay < TimeSpan.Zero || RetryMaxDelay < RetryBaseDelay)
        {
            problems.Add($"{SectionName}:RetryBaseDelay must be non-negative and not above RetryMaxDelay.");
        }

        if (BreakerFailureRatio is <= 0 or > 1)
        {
            problems.Add($"{SectionName}:BreakerFailureRatio must be in (0, 1], was {BreakerFailureRatio}.");
        }

        if (BreakerMinimumThroughput < 2)
        {
            problems.Add($"{SectionName}:BreakerMinimumThroughput must be at least 2, was {BreakerMinimumThroughput}.");
        }

        if (BreakerSamplingDuration < TimeSpan.FromMilliseconds(500) || BreakerDuration < TimeSpan.FromMilliseconds(500))
        {
            problems.Add($"{SectionName}:BreakerSamplingDuration and BreakerDuration must be at least 500 ms (Polly's minimum).");
        }

        return problems;
    }
}
