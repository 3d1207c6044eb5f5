using System.Diagnostics;
using System.Globalization;
using CarbonFunctions.Bench.Planning.Legacy;
using CarbonFunctions.Core.Jobs;
using CarbonFunctions.Core.Planning;

namespace CarbonFunctions.Bench.Planning;

/// <summary>
/// <c>quality [jobs] [elasticJobs] [overheadMinutes]</c>: the exact suspend-resume against the legacy heuristic on the
/// benchmark's interruptible jobs, each over its 10 regions. Quality is the share of the optimum's saving
/// against running now that the heuristic keeps, (run now − heuristic) / (run now − optimum), over the jobs
/// where the optimum saves something; printed as min / p10 / median / mean. Also times both policies and
/// the full planner (one pass each after a warm-up job, Stopwatch, this thread); with elasticJobs, the same for the
/// exact elastic programme against the legacy elastic greedy (CarbonScaler's) on the first elastic jobs.
/// </summary>
internal static class PlannerQuality
{
    public static int Run(string[] args)
    {
        var jobs = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 1000;
        var elasticJobs = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 0;
        var overhead = TimeSpan.FromMinutes(args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 5);
        var w = new PlannerWorkload();
        var set = w.InterruptibleJobs.Take(jobs).Select(j => j with { ResumeOverhead = overhead }).ToList();
        Console.WriteLine($"workload: {set.Count} interruptible jobs ({overhead.TotalMinutes:0} min resume overhead) x {PlannerWorkload.Regions} regions, trace {(w.TraceIsReal ? "WattTime CAISO_NORTH 2023-06" : "synthetic")}, {Environment.ProcessorCount} cores, load {Load()}, Vector512 {System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated}, Vector256 {System.Runtime.Intrinsics.Vector256.IsHardwareAccelerated}");

        Compare("suspend-resume", set, w, SuspendResumePolicy.Plan, LegacySuspendResumePolicy.Plan, "the minimum pause");

        // How often the planner's region bound lets it skip a region's programme: regions in order of their
        // bound, each skipped when its bound exceeds the cheapest plan found so far.
        var skipped = 0;
        var considered = 0;
        foreach (var job in set)
        {
            var c = JobPlanner.ContextFor(job, w.Input(), w.Options);
            var bar = double.PositiveInfinity;
            foreach (var (t, bound) in w.Timelines(job).Select(t => (t, RegionBound.SuspendResume(c, t))).OrderBy(p => p.Item2))
            {
                considered++;
                if (double.IsFinite(bar) && bound > bar + (1e-7 * Math.Max(1, Math.Abs(bar))))
                {
                    skipped++;
                    continue;
                }

                if (SuspendResumePolicy.Plan(c, t) is { } runs)
                {
                    bar = Math.Min(bar, PolicyRuns.Cost(t, runs));
                }
            }
        }

        Console.WriteLine($"regions whose programme the lower bound skips: {skipped} of {considered} ({100.0 * skipped / considered:0.0} %)");

        if (elasticJobs > 0)
        {
            var elastic = w.ElasticJobs.Take(elasticJobs).Select(j => j with { ResumeOverhead = overhead }).ToList();
            Console.WriteLine($"elastic: {elastic.Count} jobs, 1-4 nodes (throughput 1, 1.9, 2.7, 3.4), {overhead.TotalMinutes:0} min resume overhead");
            Compare("elastic", elastic, w, (c, t) => ElasticPolicy.Plan(c, t, interruptible: true), LegacyElasticPolicy.Plan, "the minimum run and pause");
        }

        return 0;
    }

    /// <summary>
    /// The exact policy against the legacy one on the same jobs, each over every region (policy only), then the full
    /// planner: times, allocations, and the legacy share of the optimum's saving against running now.
    /// </summary>
    private static void Compare(string name, List<TrainingJob> set, PlannerWorkload w, Func<PlanContext, Timeline, List<Run>?> exactPolicy, Func<PlanContext, Timeline, List<Run>?> legacyPolicy, string ignores)
    {
        // Warm up (JIT, timeline preparation) on one job.
        _ = PolicyRuns.BestOverRegions(set[0], w, exactPolicy);
        _ = PolicyRuns.BestOverRegions(set[0], w, legacyPolicy);
        _ = JobPlanner.Plan(set[0], w.Input(), w.Options);

        var exact = new double[set.Count];
        var legacy = new double[set.Count];
        var (exactMs, exactMb) = Measure(() =>
        {
            for (var i = 0; i < set.Count; i++)
            {
                exact[i] = PolicyRuns.BestOverRegions(set[i], w, exactPolicy);
            }
        });
        var (legacyMs, legacyMb) = Measure(() =>
        {
            for (var i = 0; i < set.Count; i++)
            {
                legacy[i] = PolicyRuns.BestOverRegions(set[i], w, legacyPolicy);
            }
        });
        var (plannerMs, plannerMb) = Measure(() =>
        {
            foreach (var job in set)
            {
                _ = JobPlanner.Plan(job, w.Input(), w.Options);
            }
        });

        Console.WriteLine($"exact {name} (policy only, every region): {exactMs,9:0.0} ms {exactMb,8:0.0} MB allocated");
        Console.WriteLine($"legacy {name} 815431e (policy only, every region): {legacyMs,7:0.0} ms {legacyMb,8:0.0} MB allocated");
        Console.WriteLine($"exact {name} (full planner): {plannerMs,9:0.0} ms {plannerMb,8:0.0} MB allocated");

        var shares = new List<double>();
        var noSaving = 0;
        var infeasible = 0;
        var heuristicCheaper = 0;
        for (var i = 0; i < set.Count; i++)
        {
            var now = PolicyRuns.RunNow(set[i], w);
            if (!double.IsFinite(exact[i]))
            {
                infeasible++; // the deadline leaves no room after the start-up allowance and the margin
                continue;
            }

            var best = now - exact[i];
            if (legacy[i] < exact[i] - (1e-9 * Math.Max(1, exact[i])))
            {
                heuristicCheaper++; // only possible where the heuristic breaks a constraint the exact programme keeps
            }

            if (best <= 1e-9 * Math.Max(1, now))
            {
                noSaving++;
                continue;
            }

            shares.Add((now - legacy[i]) / best);
        }

        shares.Sort();
        string Pct(double v) => (100 * v).ToString("0.0", CultureInfo.InvariantCulture) + " %";
        Console.WriteLine($"legacy share of the optimum's saving vs run-now over {shares.Count} jobs ({noSaving} with no saving to share, {infeasible} that cannot meet the deadline): min {Pct(shares[0])}, p10 {Pct(Quantile(shares, 0.1))}, median {Pct(Quantile(shares, 0.5))}, mean {Pct(shares.Average())}, max {Pct(shares[^1])}");
        Console.WriteLine($"jobs where the legacy plan is below 90 % of the saving: {shares.Count(s => s < 0.9)}; where it is cheaper than the exact optimum (it ignores {ignores}): {heuristicCheaper}");
        Console.WriteLine($"total emissions over the jobs (g/kWh x node-h): run now {set.Where((_, i) => double.IsFinite(exact[i])).Sum(j => PolicyRuns.RunNow(j, w)):0}, legacy {legacy.Where(double.IsFinite).Sum():0}, exact {exact.Where(double.IsFinite).Sum():0} (jobs that can meet the deadline)");
    }

    /// <summary>Wall milliseconds and megabytes allocated on this thread by <paramref name="action"/>.</summary>
    internal static (double Ms, double Mb) Measure(Action action)
    {
        var before = GC.GetAllocatedBytesForCurrentThread();
        var clock = Stopwatch.StartNew();
        action();
        clock.Stop();
        return (clock.Elapsed.TotalMilliseconds, (GC.GetAllocatedBytesForCurrentThread() - before) / 1e6);
    }

    private static double Quantile(List<double> sorted, double q) => sorted[(int)Math.Floor(q * (sorted.Count - 1))];

    internal static string Load() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "n/a";
}
