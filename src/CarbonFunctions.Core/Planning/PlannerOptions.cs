using CarbonFunctions.Core.Jobs;

namespace CarbonFunctions.Core.Planning;

/// <summary>A start-up allowance for one provider, optionally only for one node size (VM size or instance type).</summary>
public sealed record StartupAllowanceRule
{
    public required CloudProvider Provider { get; init; }

    /// <summary>The node size this rule is for; null for every size of the provider.</summary>
    public string? NodeSize { get; init; }

    public required TimeSpan Allowance { get; init; }
}

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

    /// <summary>
    /// The planning grid: suspend-resume and elastic plans start, pause and resize on multiples of it
    /// (UTC), and their optimum is exact on that grid. Also the granularity of the run-now fallback.
    /// </summary>
    public TimeSpan SlotLength { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Node power when a job gives none, per pool kind (watts per busy node).</summary>
    public double DefaultGpuNodeWatts { get; init; } = 2400;

    public double DefaultGaudiNodeWatts { get; init; } = 3200;

    /// <summary>
    /// How long a pool takes from the start request until work runs, when no rule below matches: the
    /// pool is asked for this long before a slot starts, and a pause must last at least this long.
    /// </summary>
    public TimeSpan StartupAllowance { get; init; } = TimeSpan.FromMinutes(15);

    /// <summary>Start-up allowances per provider and node size; the most specific rule wins (size over provider).</summary>
    public IReadOnlyList<StartupAllowanceRule> StartupAllowances { get; init; } = [];

    /// <summary>Plans end at least this long before the deadline (room for a slow checkpoint or stop).</summary>
    public TimeSpan DeadlineMargin { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>The configured start-up allowance for a pool: its size's rule, else its provider's, else <see cref="StartupAllowance"/>.</summary>
    public TimeSpan AllowanceFor(PoolRequest pool)
    {
        ArgumentNullException.ThrowIfNull(pool);
        TimeSpan? byProvider = null;
        foreach (var rule in StartupAllowances)
        {
            if (rule.Provider != pool.Provider)
            {
                continue;
            }

            if (rule.NodeSize is null)
            {
                byProvider ??= rule.Allowance;
            }
            else if (string.Equals(rule.NodeSize, pool.NodeSize, StringComparison.OrdinalIgnoreCase))
            {
                return rule.Allowance;
            }
        }

        return byProvider ?? StartupAllowance;
    }

    /// <summary>
    /// The deadline check shared by the job contract and the planner: starting now (after the pool's
    /// start-up allowance) and running <paramref name="runTime"/>, can the job end the margin before the deadline?
    /// </summary>
    public bool CanMeetDeadline(DateTimeOffset now, PoolRequest pool, TimeSpan runTime, DateTimeOffset deadline, TimeSpan? allowance = null) =>
        EarliestEnd(now, pool, runTime, allowance) <= deadline - DeadlineMargin;

    /// <summary>When a job that asks for its pool now ends at the earliest.</summary>
    public DateTimeOffset EarliestEnd(DateTimeOffset now, PoolRequest pool, TimeSpan runTime, TimeSpan? allowance = null) =>
        now + (allowance ?? AllowanceFor(pool)) + runTime;

    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (!JobContract.KnownPolicies.Contains(DefaultPolicy))
        {
            problems.Add($"{SectionName}:DefaultPolicy '{DefaultPolicy}' is not one of {string.Join(", ", JobContract.KnownPolicies)}.");
        }

        if (MaxForecastAge <= TimeSpan.Zero)
        {
            problems.Add($"{SectionName}:MaxForecastAge must be positive.");
        }

        if (MinimumRunLength < TimeSpan.Zero)
        {
            problems.Add($"{SectionName}:MinimumRunLength must not be negative.");
        }

        if (SlotLength <= TimeSpan.Zero || TimeSpan.FromDays(1).Ticks % SlotLength.Ticks != 0)
        {
            problems.Add($"{SectionName}:SlotLength must be positive and divide a day evenly.");
        }

        if (DefaultGpuNodeWatts <= 0 || DefaultGaudiNodeWatts <= 0)
        {
            problems.Add($"{SectionName}: default node power must be positive.");
        }

        if (StartupAllowance < TimeSpan.Zero || StartupAllowances.Any(r => r.Allowance < TimeSpan.Zero))
        {
            problems.Add($"{SectionName}: start-up allowances must not be negative.");
        }

        if (DeadlineMargin < TimeSpan.Zero)
        {
            problems.Add($"{SectionName}:DeadlineMargin must not be negative.");
        }

        return problems;
    }
}
