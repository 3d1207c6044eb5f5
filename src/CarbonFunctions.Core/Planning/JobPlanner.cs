using System.Globalization;
using CarbonFunctions.Core.Forecasts;
using CarbonFunctions.Core.Jobs;

namespace CarbonFunctions.Core.Planning;

/// <summary>
/// Plans when, where and on how many nodes a job runs so that it meets its deadline with the least
/// expected emissions under the newest forecasts. Pure: the same inputs give the same plan.
/// </summary>
/// <remarks>
/// Work is measured as run time at min nodes (<see cref="TrainingJob.EstimatedDuration"/>); n nodes do
/// throughput(n)/throughput(min) of it per unit of time. Energy is nodes × node power × time and emissions
/// are kWh × the forecast intensity, piece by piece. Every candidate region whose forecast is fresh and
/// covers now is planned; the plan that meets the deadline with the least emissions wins (the first listed
/// on ties). Without a usable forecast the job runs now rather than waiting. Time past the forecast
/// horizon (or in a gap) is planned into only when the deadline needs it, valued at the series'
/// time-weighted mean.
/// </remarks>
public static class JobPlanner
{
    /// <summary>How far (relative) a region's lower bound must lie above a plan found elsewhere for the region to be skipped.</summary>
    internal const double RegionTolerance = 1e-7;

    public static JobPlan Plan(TrainingJob job, PlanningInput input, PlannerOptions options)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(options);

        var warnings = new List<string>();
        var policy = ChoosePolicy(job, input.PolicyOverride ?? job.Policy ?? options.DefaultPolicy, warnings);
        var progress = input.Progress;
        var done = progress?.WorkDone(job.EstimatedDuration) ?? TimeSpan.Zero;
        var runTime = Math.Max(0, job.EstimatedDuration.Ticks - done.Ticks);
        IReadOnlyList<string> regions = progress?.Region is { } bound ? [bound] : job.Regions;
        var now = input.Now.UtcTicks;
        var context = ContextFor(job, input, options);

        var usable = new List<(string Region, CarbonIntensitySeries Series, Timeline Timeline)>();
        (string Region, CarbonIntensitySeries Series, Timeline Timeline)? baseline = null;
        var skipped = new List<string>();
        foreach (var region in regions)
        {
            if (!input.Forecasts.TryGetValue(region, out var series) || series is null)
            {
                skipped.Add($"no forecast for {region}");
                continue;
            }

            var timeline = Timeline.For(series);
            if (!timeline.IsKnown(now, now + 1))
            {
                skipped.Add($"the forecast for {region} does not cover now ({Iso(series.Start)} to {Iso(series.End)})");
                continue;
            }

            baseline ??= (region, series, timeline);
            var age = input.Now - series.GeneratedAt;
            if (age > options.MaxForecastAge)
            {
                skipped.Add($"the forecast for {region} is stale (generated {Iso(series.GeneratedAt)}, {age.TotalHours.ToString("0.#", CultureInfo.InvariantCulture)} h before now; limit {options.MaxForecastAge.TotalHours.ToString("0.#", CultureInfo.InvariantCulture)} h)");
                continue;
            }

            usable.Add((region, series, timeline));
        }

        var runNow = new List<Run> { new(context.EarliestStart, context.EarliestStart + context.SingleRunTime, context.MinNodes) };
        var runNowGrams = baseline is { } b ? KnownGrams(context, b.Timeline, runNow) : null;

        if (runTime == 0)
        {
            return new JobPlan
            {
                JobId = job.Id,
                Policy = policy,
                Region = regions[0],
                PlannedAt = input.Now,
                Slots = [],
                ExpectedGramsCo2e = 0,
                RunNowGramsCo2e = 0,
                MeetsDeadline = input.Now <= job.Deadline,
                StartupAllowance = TimeSpan.FromTicks(context.Allowance),
                Warning = "no work left: nothing to plan",
            };
        }

        if (usable.Count == 0)
        {
            warnings.AddRange(skipped);
            warnings.Add("running now at min nodes instead of waiting on an unknown forecast");
            var region = baseline?.Region ?? regions[0];
            return Finish(job, input, policy, context, region, baseline?.Series, baseline?.Timeline, runNow, runNowGrams, warnings);
        }

        if (skipped.Count > 0)
        {
            warnings.Add("not considered: " + string.Join("; ", skipped));
        }

        var fastest = (policy == "elastic" ? ElasticPolicy.RunTimeAt(context, context.MaxNodes, runTime) : runTime)
            + (context.FirstSegmentFree ? 0 : context.Overhead);
        if (context.EarliestStart + fastest > context.LatestEnd)
        {
            var nodes = policy == "elastic" ? context.MaxNodes : context.MinNodes;
            var first = usable[0];
            var startup = context.Running ? string.Empty : $" after a {Minutes(context.Allowance)} min pool start-up";
            warnings.Add($"cannot meet the deadline {Iso(job.Deadline)} with its {Minutes(context.Margin)} min margin: the remaining work needs {Minutes(fastest)} min{startup} at {nodes} nodes, only {Minutes(Math.Max(0, context.Deadline - now))} min are left; running now");
            return Finish(job, input, policy, context, first.Region, first.Series, first.Timeline, [new Run(context.EarliestStart, context.EarliestStart + fastest, nodes)], runNowGrams, warnings);
        }

        // Regions compare on unknown time first (a forecast region beats a guess), then on emissions; among the
        // regions within the tie tolerance of the least emissions, the first listed wins. The rule does not depend
        // on the order regions are planned in, so the exact policies plan them cheapest bound first and skip every
        // region whose lower bound already exceeds a plan found (the bound holds only where a region's forecast is
        // known, and a skipped region could not have been within the tolerance of the least). Elastic goes further:
        // its programme first bounds the plan as run (after the give-back) and gives up on a region that cannot beat
        // knownBar.
        var exactPolicy = policy == "suspend-resume" || (policy == "elastic" && job.Interruptible);
        var order = new (int Index, double Bound)[usable.Count];
        for (var i = 0; i < usable.Count; i++)
        {
            order[i] = (i, exactPolicy && usable.Count > 1 ? RegionBound.For(policy, context, usable[i].Timeline) : double.NegativeInfinity);
        }

        if (exactPolicy && usable.Count > 1)
        {
            Array.Sort(order, (a, b) => a.Bound != b.Bound ? a.Bound.CompareTo(b.Bound) : a.Index.CompareTo(b.Index));
        }

        var planned = new (List<Run> Runs, long Unknown, double Grams)?[usable.Count];
        var knownBar = double.PositiveInfinity; // least emissions of a plan with no unknown time so far
        foreach (var (index, regionBound) in order)
        {
            if (regionBound > knownBar + (RegionTolerance * Math.Max(1, Math.Abs(knownBar))))
            {
                continue;
            }

            var candidate = usable[index];
            var runs = PlanRegion(policy, job, context, candidate.Timeline, knownBar);
            if (runs is null)
            {
                continue;
            }

            var grams = Grams(context, candidate.Timeline, runs);
            var unknownTicks = runs.Sum(r => UnknownTicks(candidate.Timeline, r));
            planned[index] = (runs, unknownTicks, grams);
            if (unknownTicks == 0)
            {
                knownBar = Math.Min(knownBar, grams);
            }
        }

        (string Region, CarbonIntensitySeries Series, Timeline Timeline, List<Run> Runs, long Unknown, double Grams)? best = null;
        var leastUnknown = long.MaxValue;
        var leastGrams = double.PositiveInfinity;
        foreach (var p in planned)
        {
            if (p is { } v && (v.Unknown < leastUnknown || (v.Unknown == leastUnknown && v.Grams < leastGrams)))
            {
                (leastUnknown, leastGrams) = (v.Unknown, v.Grams);
            }
        }

        for (var i = 0; i < usable.Count; i++)
        {
            if (planned[i] is { } p && p.Unknown == leastUnknown && p.Grams <= leastGrams + (1e-9 * Math.Max(1, Math.Abs(leastGrams))))
            {
                best = (usable[i].Region, usable[i].Series, usable[i].Timeline, p.Runs, p.Unknown, p.Grams);
                break;
            }
        }

        if (best is not { } chosen)
        {
            // Only reachable when a policy's own walk cannot fit the work although a run from now can.
            var first = usable[0];
            warnings.Add($"the {policy} policy found no plan that meets the deadline; running now");
            return Finish(job, input, policy, context, first.Region, first.Series, first.Timeline, runNow, runNowGrams, warnings);
        }

        var unknown = chosen.Runs.Sum(r => UnknownTicks(chosen.Timeline, r));
        if (unknown > 0)
        {
            warnings.Add($"{Minutes(unknown)} min of the plan lie beyond the forecast horizon or in a forecast gap: its emissions are unknown (planned there only because the deadline needs it)");
        }

        return Finish(job, input, policy, context, chosen.Region, chosen.Series, chosen.Timeline, chosen.Runs, runNowGrams, warnings);
    }

    /// <summary>The job reduced to what the policies need, at the input's time and progress (shared with the benchmarks).</summary>
    internal static PlanContext ContextFor(TrainingJob job, PlanningInput input, PlannerOptions options)
    {
        var progress = input.Progress;
        var done = progress?.WorkDone(job.EstimatedDuration) ?? TimeSpan.Zero;
        return new PlanContext(
            Now: input.Now.UtcTicks,
            Deadline: job.Deadline.UtcTicks,
            RunTime: Math.Max(0, job.EstimatedDuration.Ticks - done.Ticks),
            Overhead: job.ResumeOverhead.Ticks,
            FirstSegmentFree: progress is null || progress.IsRunning || done == TimeSpan.Zero,
            Running: progress?.IsRunning == true,
            MinNodes: job.Pool.MinNodes,
            MaxNodes: job.Pool.MaxNodes,
            WattsPerNode: job.Pool.PowerPerNodeWatts ?? (job.Pool.Kind == PoolKind.Gaudi ? options.DefaultGaudiNodeWatts : options.DefaultGpuNodeWatts),
            RelativeThroughput: job.Pool.RelativeThroughput,
            MinimumRunLength: options.MinimumRunLength.Ticks,
            Threshold: job.CarbonThresholdGramsPerKwh,
            Allowance: (input.StartupAllowance ?? options.AllowanceFor(job.Pool)).Ticks,
            Margin: options.DeadlineMargin.Ticks,
            SlotTicks: options.SlotLength.Ticks);
    }

    private static List<Run>? PlanRegion(string policy, TrainingJob job, PlanContext c, Timeline t, double beat) => policy switch
    {
        "run-now" => [new Run(c.EarliestStart, c.EarliestStart + c.SingleRunTime, c.MinNodes)],
        "best-window" => BestWindowPolicy.Plan(c, t, c.MinNodes, c.SingleRunTime),
        "suspend-resume" => SuspendResumePolicy.Plan(c, t),
        "threshold" => ThresholdPolicy.Plan(c, t, c.Threshold!.Value),
        "elastic" => ElasticPolicy.Plan(c, t, job.Interruptible, beat),
        _ => throw new ArgumentException($"unknown policy '{policy}'"),
    };

    /// <summary>The policy to apply: the requested one, or the nearest one the job can use, with a warning.</summary>
    private static string ChoosePolicy(TrainingJob job, string requested, List<string> warnings)
    {
        if (!JobContract.KnownPolicies.Contains(requested))
        {
            throw new ArgumentException($"unknown policy '{requested}'; known: {string.Join(", ", JobContract.KnownPolicies)}", nameof(requested));
        }

        var fallback = job.Interruptible ? "suspend-resume" : "best-window";
        string? why = requested switch
        {
            "suspend-resume" or "threshold" when !job.Interruptible => "the job is not interruptible",
            "threshold" when job.CarbonThresholdGramsPerKwh is null => "the job has no carbon threshold",
            "elastic" when !job.IsElastic => "the pool is not elastic (min nodes = max nodes)",
            _ => null,
        };
        if (why is null)
        {
            return requested;
        }

        warnings.Add($"policy '{requested}' does not apply ({why}); planned with '{fallback}'");
        return fallback;
    }

    private static JobPlan Finish(
        TrainingJob job,
        PlanningInput input,
        string policy,
        PlanContext c,
        string region,
        CarbonIntensitySeries? series,
        Timeline? timeline,
        List<Run> runs,
        double? runNowGrams,
        List<string> warnings)
    {
        var slots = new List<PlannedSlot>();
        foreach (var run in runs.OrderBy(r => r.Start))
        {
            var grams = timeline is null ? null : KnownGrams(c, timeline, [run]);
            if (slots.Count > 0 && slots[^1].End.UtcTicks == run.Start && slots[^1].Nodes == run.Nodes)
            {
                var last = slots[^1];
                slots[^1] = last with { End = At(run.End), ExpectedGramsCo2e = last.ExpectedGramsCo2e + grams };
            }
            else
            {
                slots.Add(new PlannedSlot(At(run.Start), At(run.End), run.Nodes, region, grams));
            }
        }

        return new JobPlan
        {
            JobId = job.Id,
            Policy = policy,
            Region = region,
            PlannedAt = input.Now,
            Slots = slots,
            ExpectedGramsCo2e = slots.Count > 0 && slots.All(s => s.ExpectedGramsCo2e is not null) ? slots.Sum(s => s.ExpectedGramsCo2e!.Value) : null,
            RunNowGramsCo2e = runNowGrams,
            MeetsDeadline = slots.Count > 0 && slots[^1].End <= job.Deadline,
            ForecastGeneratedAt = series?.GeneratedAt,
            StartupAllowance = TimeSpan.FromTicks(c.Running ? 0 : c.Allowance),
            Warning = warnings.Count == 0 ? null : string.Join("; ", warnings),
        };
    }

    /// <summary>Emissions valued with unknown time at the forecast's mean: for comparing plans only, never reported.</summary>
    private static double Grams(PlanContext c, Timeline t, List<Run> runs) =>
        runs.Sum(r => r.Nodes * c.WattsPerNode / 1000 * t.Cost(r.Start, r.End));

    /// <summary>Emissions when every run lies inside the forecast, else null: unknown is not zero, and not the mean either.</summary>
    private static double? KnownGrams(PlanContext c, Timeline t, List<Run> runs) =>
        runs.All(r => t.IsKnown(r.Start, r.End)) ? Grams(c, t, runs) : null;

    private static long UnknownTicks(Timeline t, Run r) =>
        t.UnknownAt(r.End, t.PieceAt(r.End)) - t.UnknownAt(r.Start, t.PieceAt(r.Start));

    private static DateTimeOffset At(long ticks) => new(ticks, TimeSpan.Zero);

    private static string Minutes(long ticks) => TimeSpan.FromTicks(ticks).TotalMinutes.ToString("0.#", CultureInfo.InvariantCulture);

    private static string Iso(DateTimeOffset? t) => t is { } v ? JobContract.Iso(v) : "none";
}
