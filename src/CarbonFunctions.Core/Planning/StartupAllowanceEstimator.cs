namespace CarbonFunctions.Core.Planning;

/// <summary>
/// Turns observed pool start durations (start asked for → pool running) into a start-up allowance: a
/// high quantile of the observations (p95 by default, nearest rank), never below the configured
/// allowance, so a run of lucky fast starts does not make plans start late.
/// </summary>
public static class StartupAllowanceEstimator
{
    /// <summary>
    /// The allowance to plan with. Fewer than <paramref name="minimumSamples"/> usable observations
    /// (negative ones are ignored) give <paramref name="configured"/> unchanged.
    /// </summary>
    public static TimeSpan Estimate(IEnumerable<TimeSpan> observed, TimeSpan configured, double quantile = 0.95, int minimumSamples = 5)
    {
        ArgumentNullException.ThrowIfNull(observed);
        if (!(quantile is > 0 and <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(quantile), quantile, "must be in (0, 1]");
        }

        if (minimumSamples < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(minimumSamples), minimumSamples, "must be at least 1");
        }

        var sorted = observed.Where(d => d >= TimeSpan.Zero).Order().ToArray();
        if (sorted.Length < minimumSamples)
        {
            return configured;
        }

        // Nearest rank: the smallest observation with at least `quantile` of them at or below it.
        var rank = (int)Math.Ceiling(quantile * sorted.Length);
        var high = sorted[Math.Clamp(rank, 1, sorted.Length) - 1];
        return high > configured ? high : configured;
    }
}
