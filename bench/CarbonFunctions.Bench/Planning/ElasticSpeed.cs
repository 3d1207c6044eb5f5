using System.Diagnostics;
using System.Globalization;
using CarbonFunctions.Core.Planning;

namespace CarbonFunctions.Bench.Planning;

/// <summary>
/// <c>elastic [jobs] [checked]</c>: the exact elastic planner on the benchmark's elastic jobs (1–4 nodes, throughput
/// 1, 1.9, 2.7, 3.4, 10 regions). Times the full planner (Stopwatch, this thread) twice: the first pass, while the JIT
/// tiers up, and the second, as a long-running planner runs; then, for the first <c>checked</c> jobs, solves every
/// region's grid programme both bound-pruned (what the planner runs) and with every state (the programme before pruning) and counts the regions whose plans differ (must be 0), and
/// plans those jobs in every region alone to check that the regions the planner skips change no choice (must be 0).
/// </summary>
internal static class ElasticSpeed
{
    public static int Run(string[] args)
    {
        var count = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 1000;
        var check = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 0;
        var w = new PlannerWorkload();
        var jobs = w.ElasticJobs.Take(count).ToList();
        Console.WriteLine($"workload: {jobs.Count} elastic jobs x {PlannerWorkload.Regions} regions, trace {(w.TraceIsReal ? "WattTime CAISO_NORTH 2023-06" : "synthetic")}, load {PlannerQuality.Load()}");

        // A long-running planner has its hot methods in the JIT's optimised tier; it promotes them in the background
        // during the first pass (after about 30 calls, with profiling in between), so that pass is timed on its own.
        void PlanAll()
        {
            foreach (var job in jobs)
            {
                _ = JobPlanner.Plan(job, w.Input(), w.Options);
            }
        }

        var (coldMs, _) = PlannerQuality.Measure(PlanAll);
        Console.WriteLine($"first pass (the JIT tiering up): {coldMs:0.0} ms");
        Thread.Sleep(500);
        var (ms, mb) = PlannerQuality.Measure(PlanAll);
        Console.WriteLine($"exact elastic (full planner), second pass: {ms:0.0} ms, {mb:0.0} MB allocated ({ms / jobs.Count:0.000} ms per job)");

        if (check > 0)
        {
            var differ = 0;
            var regions = 0;
            double prunedMs = 0, fullMs = 0;
            foreach (var job in jobs.Take(check))
            {
                var c = JobPlanner.ContextFor(job, w.Input(), w.Options);
                foreach (var t in w.Timelines(job))
                {
                    var clock = Stopwatch.StartNew();
                    var pruned = ElasticPolicy.GridOptimum(c, t, out _, out _);
                    prunedMs += clock.Elapsed.TotalMilliseconds;
                    clock.Restart();
                    var full = ElasticPolicy.GridOptimum(c, t, out _, out _, pruned: false);
                    fullMs += clock.Elapsed.TotalMilliseconds;
                    regions++;
                    if (!(pruned ?? []).SequenceEqual(full ?? []) || (pruned is null) != (full is null))
                    {
                        differ++;
                    }
                }
            }

            Console.WriteLine($"grid programme, every region of {check} jobs ({regions} programmes): bound-pruned {prunedMs:0.0} ms, every state {fullMs:0.0} ms ({fullMs / prunedMs:0.0}x); plans that differ: {differ}");

            // The planner skips regions by bounds; planning every region alone and taking the least (first listed on
            // ties) must give the very same plan.
            var choices = 0;
            foreach (var job in jobs.Take(check))
            {
                var plan = JobPlanner.Plan(job, w.Input(), w.Options);
                var singles = job.Regions.Select(r => JobPlanner.Plan(job with { Regions = [r] }, w.Input(), w.Options)).ToArray();
                var least = singles.Min(p => p.ExpectedGramsCo2e ?? double.PositiveInfinity);
                var winner = singles.First(p => (p.ExpectedGramsCo2e ?? double.PositiveInfinity) <= least + (1e-9 * Math.Max(1, least)));
                choices += winner.Region == plan.Region && winner.Slots.SequenceEqual(plan.Slots) ? 0 : 1;
            }

            Console.WriteLine($"planner against every region planned alone, {check} jobs: choices that differ: {choices}");
        }

        return 0;
    }
}
