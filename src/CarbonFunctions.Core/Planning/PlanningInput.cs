using CarbonFunctions.Core.Forecasts;

namespace CarbonFunctions.Core.Planning;

/// <summary>What the planner needs besides the job: the time, the newest forecast per region, and progress when re-planning.</summary>
public sealed record PlanningInput
{
    public required DateTimeOffset Now { get; init; }

    /// <summary>Region name → newest forecast vintage; a region may be missing or its forecast stale.</summary>
    public required IReadOnlyDictionary<string, CarbonIntensitySeries> Forecasts { get; init; }

    /// <summary>Overrides the job's policy (and the configured default), e.g. for a what-if from the CLI.</summary>
    public string? PolicyOverride { get; init; }

    /// <summary>
    /// The start-up allowance to plan with for this job's pool, e.g. <see cref="StartupAllowanceEstimator.Estimate"/>
    /// over the observed starts of its provider and node size; null for <see cref="PlannerOptions.AllowanceFor"/>.
    /// </summary>
    public TimeSpan? StartupAllowance { get; init; }

    /// <summary>Work already done, for re-planning a job that has started; null for a job that has not.</summary>
    public JobProgress? Progress { get; init; }
}

/// <summary>
/// How far a started job has got. Work done is the larger of <see cref="CompletedFraction"/> × the estimated
/// duration and <see cref="CompletedRunTime"/> (run time at min nodes), so a caller sets whichever it knows.
/// </summary>
public sealed record JobProgress
{
    /// <summary>Share of the job's work done, 0..1.</summary>
    public double CompletedFraction { get; init; }

    /// <summary>Work done expressed as wall-clock run time at the pool's min nodes.</summary>
    public TimeSpan CompletedRunTime { get; init; }

    /// <summary>The region the job is bound to once started (its checkpoint and pool live there); it never moves.</summary>
    public string? Region { get; init; }

    /// <summary>True when the pool is running now: the plan's first slot then starts at now (the current stretch is not moved or re-charged a resume).</summary>
    public bool IsRunning { get; init; }

    internal TimeSpan WorkDone(TimeSpan estimatedDuration)
    {
        var fraction = double.IsFinite(CompletedFraction) ? Math.Clamp(CompletedFraction, 0, 1) : 0;
        var byFraction = TimeSpan.FromTicks((long)Math.Round(estimatedDuration.Ticks * fraction));
        var done = CompletedRunTime > byFraction ? CompletedRunTime : byFraction;
        return done < TimeSpan.Zero ? TimeSpan.Zero : done;
    }
}
