namespace CarbonFunctions.Core.Simulation;

/// <summary>A stretch the simulated pool ran: [Start, End) on Nodes nodes.</summary>
public sealed record RunWindow(DateTimeOffset Start, DateTimeOffset End, int Nodes);

/// <summary>
/// One job under one policy. Grams are operational (before PUE) on the actual trace. The one counterfactual is
/// <see cref="RunNowKg"/>: the same job run at once on submission, on min nodes, in the same region.
/// </summary>
public sealed record JobOutcome
{
    public required string JobId { get; init; }

    /// <summary>The policy asked for (the simulated one).</summary>
    public required string Policy { get; init; }

    /// <summary>The policy the planner applied (differs when the job's constraints rule the asked one out).</summary>
    public required string AppliedPolicy { get; init; }

    public required string Status { get; init; }
    public required DateTimeOffset SubmittedAt { get; init; }
    public required DateTimeOffset Deadline { get; init; }
    public DateTimeOffset? Started { get; init; }
    public DateTimeOffset? Ended { get; init; }
    public required bool DeadlineMet { get; init; }

    /// <summary>Deadline − end, in hours (negative: late).</summary>
    public double? SlackHours { get; init; }

    /// <summary>End − submission − the run time at min nodes: the wait the policy added, in hours.</summary>
    public double? AddedWaitHours { get; init; }

    public required double Kg { get; init; }
    public required double RunNowKg { get; init; }
    public required double OracleKg { get; init; }

    /// <summary>What the first plan expected, on the forecast it was made from; null when made without one.</summary>
    public double? FirstPlanKg { get; init; }

    /// <summary>The same policy planned in hindsight on actuals at submission; <see cref="RegretKg"/> = Kg − this.</summary>
    public required double HindsightKg { get; init; }

    /// <summary>Forecast regret: what planning on forecasts instead of actuals cost (negative: re-plans or luck beat the hindsight plan).</summary>
    public double RegretKg => Kg - HindsightKg;

    public required double PoolHours { get; init; }
    public required double NodeHours { get; init; }
    public required int PoolStarts { get; init; }
    public required int PoolStops { get; init; }
    public required int Replans { get; init; }
    public IReadOnlyList<RunWindow> Runs { get; init; } = [];
    public IReadOnlyList<RunWindow> FirstPlan { get; init; } = [];
}

/// <summary>One policy over the whole job trace.</summary>
public sealed record PolicySummary
{
    public required string Policy { get; init; }
    public required int Jobs { get; init; }
    public required double TotalKg { get; init; }

    /// <summary>(run-now − this) / run-now, in %.</summary>
    public required double SavingPercent { get; init; }

    /// <summary>This policy's saving as a share of the oracle's, in % (100: as good as perfect knowledge).</summary>
    public required double? OracleSharePercent { get; init; }

    public required int DeadlineMisses { get; init; }
    public required double AddedWaitHours { get; init; }
    public required double MeanAddedWaitHours { get; init; }
    public required double PoolHours { get; init; }
    public required double NodeHours { get; init; }
    public required int PoolStarts { get; init; }
    public required int PoolStops { get; init; }

    /// <summary>Sum of the jobs' forecast regret (kg).</summary>
    public required double RegretKg { get; init; }

    /// <summary>Jobs whose constraints ruled the policy out (planned with the nearest one that applies).</summary>
    public required int Fallbacks { get; init; }
    public required int Replans { get; init; }
}

/// <summary>The whole replay: inputs described, per-policy summaries, per-job rows.</summary>
public sealed record SimulationResult
{
    public required string Trace { get; init; }
    public required string Region { get; init; }
    public required DateTimeOffset TraceStart { get; init; }
    public required DateTimeOffset TraceEnd { get; init; }
    public required double TraceMeanGramsPerKwh { get; init; }
    public required string Forecast { get; init; }
    public required int Seed { get; init; }
    public required int JobCount { get; init; }
    public required double WallSeconds { get; init; }
    public required IReadOnlyList<PolicySummary> Policies { get; init; }
    public required IReadOnlyList<JobOutcome> Jobs { get; init; }

    /// <summary>Hourly (or coarser) means of the trace, for the report's intensity curve.</summary>
    public IReadOnlyList<IntensitySample> Intensity { get; init; } = [];
}

/// <summary>One point of a downsampled intensity curve.</summary>
public sealed record IntensitySample(DateTimeOffset Start, double GramsPerKwh);

/// <summary>Sums job rows into per-policy figures.</summary>
public static class SimulationSummary
{
    public static PolicySummary Summarise(string policy, IReadOnlyList<JobOutcome> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var total = rows.Sum(r => r.Kg);
        var runNow = rows.Sum(r => r.RunNowKg);
        var oracle = rows.Sum(r => r.OracleKg);
        var wait = rows.Sum(r => r.AddedWaitHours ?? 0);
        return new PolicySummary
        {
            Policy = policy,
            Jobs = rows.Count,
            TotalKg = total,
            SavingPercent = runNow > 0 ? 100 * (runNow - total) / runNow : 0,
            OracleSharePercent = runNow - oracle > 1e-9 ? 100 * (runNow - total) / (runNow - oracle) : null,
            DeadlineMisses = rows.Count(r => !r.DeadlineMet),
            AddedWaitHours = wait,
            MeanAddedWaitHours = rows.Count == 0 ? 0 : wait / rows.Count,
            PoolHours = rows.Sum(r => r.PoolHours),
            NodeHours = rows.Sum(r => r.NodeHours),
            PoolStarts = rows.Sum(r => r.PoolStarts),
            PoolStops = rows.Sum(r => r.PoolStops),
            RegretKg = rows.Sum(r => r.RegretKg),
            Fallbacks = rows.Count(r => r.AppliedPolicy != r.Policy && r.Policy != "oracle"),
            Replans = rows.Sum(r => r.Replans),
        };
    }

    /// <summary>Means of the trace over buckets of at least <paramref name="bucket"/>, for charts.</summary>
    public static IReadOnlyList<IntensitySample> Downsample(IntensityTrace trace, TimeSpan bucket)
    {
        ArgumentNullException.ThrowIfNull(trace);
        var samples = new List<IntensitySample>();
        for (var t = trace.Start; t < trace.End; t += bucket)
        {
            var end = t + bucket < trace.End ? t + bucket : trace.End;
            samples.Add(new IntensitySample(t, trace.Grams(t, end, 1, 1000) / (end - t).TotalHours));
        }

        return samples;
    }
}
