namespace CarbonFunctions.Core.Planning;

/// <summary>Planner settings, bound from <c>Carbon:Planner</c> and validated at start-up.</summary>
public sealed record PlannerOptions
{
    public const string SectionName = "Carbon:Planner";

    /// <summary>Policy used when a job names none.</summary>
    public string DefaultPolicy { get; init; } = "best-window";

    /// <summary>Forecasts older than this are stale: the planner runs in time instead of waiting on them.</summary>
    public TimeSpan MaxForecastAge { get; init; } = TimeSpan.FromHours(6);

    /// <summary>Shortest stretch an interruptible job runs before it may be paused again.</summary>
    public TimeSpan MinimumRunLength { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>Planning granularity when a forecast is missing (run-now fallback) and for slot alignment.</summary>
    public TimeSpan SlotLength { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Node power when a job gives none, per pool kind (watts per busy node).</summary>
    public double DefaultGpuNodeWatts { get; init; } = 2400;

    public double DefaultGaudiNodeWatts { get; init; } = 3200;

    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (!Jobs.JobContract.KnownPolicies.Contains(DefaultPolicy))
        {
            problems.Add($"{SectionName}:DefaultPolicy '{DefaultPolicy}' is not one of {string.Join(", ", Jobs.JobContract.KnownPolicies)}.");
        }

        if (MaxForecastAge <= TimeSpan.Zero)
        {
            problems.Add($"{SectionName}:MaxForecastAge must be positive.");
        }

        if (MinimumRunLength < TimeSpan.Zero)
        {
            problems.Add($"{SectionName}:MinimumRunLength must not be negative.");
        }

        if (SlotLength <= TimeSpan.Zero)
        {
            problems.Add($"{SectionName}:SlotLength must be positive.");
        }

        if (DefaultGpuNodeWatts <= 0 || DefaultGaudiNodeWatts <= 0)
        {
            problems.Add($"{SectionName}: default node power must be positive.");
        }

        return problems;
    }
}
