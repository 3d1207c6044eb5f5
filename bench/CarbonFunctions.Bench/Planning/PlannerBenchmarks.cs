using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using CarbonFunctions.Bench.Planning.Legacy;
using CarbonFunctions.Core.Forecasts;
using CarbonFunctions.Core.Planning;

namespace CarbonFunctions.Bench.Planning;

/// <summary>
/// Planning throughput on <see cref="PlannerWorkload"/>: 10,000 best-window jobs and 1,000 interruptible and
/// elastic jobs, each with 10 candidate regions, against 7-day 5-minute forecasts; the exact suspend-resume
/// against the legacy heuristic (commit 815431e) on the same contexts, the exact elastic planner against the legacy
/// elastic greedy; the prefix-sum window search against a naive O(points × window) search on the same jobs. Categories: best-window, suspend-resume, elastic, window.
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class PlannerBenchmarks
{
    private PlannerWorkload w = null!;

    [GlobalSetup]
    public void Setup()
    {
        w = new PlannerWorkload();

        // Prepare each forecast once, as a long-running planner would after its first job.
        _ = JobPlanner.Plan(w.Jobs[0], w.Input(), w.Options);
    }

    [Benchmark(Description = "Plan 10,000 jobs x 10 regions, best-window")]
    [BenchmarkCategory("best-window")]
    public double PlanTenThousandJobs() => PlanAll(w.Jobs);

    [Benchmark(Description = "Plan 1,000 jobs x 10 regions, suspend-resume exact (full planner)")]
    [BenchmarkCategory("suspend-resume")]
    public double PlanThousandInterruptibleJobs() => PlanAll(w.InterruptibleJobs);

    [Benchmark(Description = "1,000 jobs x 10 regions, suspend-resume exact (policy only)")]
    [BenchmarkCategory("suspend-resume")]
    public double ExactSuspendResumePolicy() => PolicyAll(w.InterruptibleJobs, SuspendResumePolicy.Plan);

    [Benchmark(Description = "1,000 jobs x 10 regions, suspend-resume legacy heuristic 815431e (policy only)")]
    [BenchmarkCategory("suspend-resume")]
    public double LegacySuspendResumeHeuristic() => PolicyAll(w.InterruptibleJobs, LegacySuspendResumePolicy.Plan);

    [Benchmark(Description = "Plan 1,000 jobs x 10 regions, elastic 1-4 nodes exact")]
    [BenchmarkCategory("elastic")]
    public double PlanThousandElasticJobs() => PlanAll(w.ElasticJobs);

    [Benchmark(Description = "1,000 jobs x 10 regions, elastic legacy greedy 815431e (policy only)")]
    [BenchmarkCategory("elastic")]
    public double LegacyElasticGreedy() => PolicyAll(w.ElasticJobs, LegacyElasticPolicy.Plan);

    [Benchmark(Baseline = true, Description = "Naive best-window, 200 jobs x 1 region")]
    [BenchmarkCategory("window")]
    public double NaiveBestWindow()
    {
        var points = w.Forecasts["region-0"].Points;
        double total = 0;
        foreach (var job in w.OneRegionJobs)
        {
            total += NaiveWindowSearch.BestMean(points, w.Now, job.Deadline, job.EstimatedDuration);
        }

        return total;
    }

    [Benchmark(Description = "Prefix-sum best-window (full planner), 200 jobs x 1 region")]
    [BenchmarkCategory("window")]
    public double PrefixBestWindow() => PlanAll(w.OneRegionJobs);

    private double PlanAll(List<CarbonFunctions.Core.Jobs.TrainingJob> jobs)
    {
        double total = 0;
        var input = w.Input();
        foreach (var job in jobs)
        {
            total += JobPlanner.Plan(job, input, w.Options).ExpectedGramsCo2e ?? double.NaN;
        }

        return total;
    }

    private double PolicyAll(List<CarbonFunctions.Core.Jobs.TrainingJob> jobs, Func<PlanContext, Timeline, List<Run>?> policy)
    {
        double total = 0;
        foreach (var job in jobs)
        {
            total += PolicyRuns.BestOverRegions(job, w, policy);
        }

        return total;
    }
}

/// <summary>The textbook search: for every candidate start, sum the overlap of every point with the window.</summary>
internal static class NaiveWindowSearch
{
    public static double BestMean(IReadOnlyList<CarbonIntensityPoint> points, DateTimeOffset from, DateTimeOffset to, TimeSpan duration)
    {
        var best = double.MaxValue;
        for (var i = 0; i < points.Count; i++)
        {
            var start = points[i].Start;
            if (start < from)
            {
                continue;
            }

            var end = start + duration;
            if (end > to || end > points[^1].End)
            {
                break;
            }

            double weighted = 0;
            for (var k = i; k < points.Count && points[k].Start < end; k++)
            {
                var overlap = (points[k].End < end ? points[k].End : end) - points[k].Start;
                weighted += points[k].GramsPerKwh * overlap.TotalHours;
            }

            best = Math.Min(best, weighted / duration.TotalHours);
        }

        return best;
    }
}
