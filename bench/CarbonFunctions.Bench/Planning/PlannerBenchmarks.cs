using System.Globalization;
using BenchmarkDotNet.Attributes;
using CarbonFunctions.Core.Forecasts;
using CarbonFunctions.Core.Jobs;
using CarbonFunctions.Core.Planning;

namespace CarbonFunctions.Bench.Planning;

/// <summary>
/// Planning throughput: 10,000 queued jobs, each with 10 candidate regions, against 7-day 5-minute
/// forecasts (2016 points per region), plus the prefix-sum window search against a naive
/// O(points × window) search on the same jobs. Forecasts are 7-day slices of the real WattTime
/// CAISO_NORTH June 2023 trace (one day apart per region) when ../shared/data is present, else a
/// deterministic synthetic daily curve.
/// </summary>
[MemoryDiagnoser]
public class PlannerBenchmarks
{
    private const int Regions = 10;
    private const int PointsPerRegion = 2016;
    private static readonly TimeSpan Step = TimeSpan.FromMinutes(5);

    private readonly Dictionary<string, CarbonIntensitySeries> forecasts = [];
    private readonly List<TrainingJob> jobs = [];
    private readonly List<TrainingJob> interruptibleJobs = [];
    private readonly List<TrainingJob> oneRegionJobs = [];
    private readonly List<TrainingJob> elasticJobs = [];
    private readonly PlannerOptions options = new();
    private DateTimeOffset now;

    [GlobalSetup]
    public void Setup()
    {
        var trace = LoadTrace();
        now = new DateTimeOffset(2023, 6, 1, 0, 0, 0, TimeSpan.Zero);
        var names = Enumerable.Range(0, Regions).Select(i => $"region-{i}").ToArray();
        for (var r = 0; r < Regions; r++)
        {
            var offset = r * 288 % Math.Max(1, trace.Length - PointsPerRegion);
            forecasts[names[r]] = new CarbonIntensitySeries
            {
                Region = names[r],
                Kind = SeriesKind.Forecast,
                Signal = SignalKind.Marginal,
                Source = "bench",
                GeneratedAt = now,
                Points = Enumerable.Range(0, PointsPerRegion).Select(i => new CarbonIntensityPoint(now + (Step * i), Step, trace[(offset + i) % trace.Length])).ToArray(),
            };
        }

        var random = new Random(42);
        for (var j = 0; j < 10_000; j++)
        {
            var duration = TimeSpan.FromMinutes(30 + random.Next(0, 12 * 60));
            var slack = TimeSpan.FromMinutes(random.Next(0, (int)(TimeSpan.FromDays(7) - duration).TotalMinutes));
            var job = Job(j, duration, now + duration + slack, names, "best-window", false);
            jobs.Add(job);
            if (j < 1_000)
            {
                interruptibleJobs.Add(job with { Interruptible = true, Policy = "suspend-resume", ResumeOverhead = TimeSpan.FromMinutes(5) });
                elasticJobs.Add(job with
                {
                    Interruptible = true,
                    Policy = "elastic",
                    ResumeOverhead = TimeSpan.FromMinutes(5),
                    Pool = job.Pool with { MinNodes = 1, MaxNodes = 4, RelativeThroughput = [1, 1.9, 2.7, 3.4] },
                });
            }

            if (j < 200)
            {
                oneRegionJobs.Add(job with { Regions = [names[0]] });
            }
        }

        // Prepare each forecast once, as a long-running planner would after its first job.
        _ = JobPlanner.Plan(jobs[0], Input(), options);
    }

    [Benchmark(Description = "Plan 10,000 jobs x 10 regions, best-window")]
    public double PlanTenThousandJobs()
    {
        double total = 0;
        var input = Input();
        foreach (var job in jobs)
        {
            total += JobPlanner.Plan(job, input, options).ExpectedGramsCo2e ?? double.NaN;
        }

        return total;
    }

    [Benchmark(Description = "Plan 1,000 jobs x 10 regions, suspend-resume")]
    public double PlanThousandInterruptibleJobs()
    {
        double total = 0;
        var input = Input();
        foreach (var job in interruptibleJobs)
        {
            total += JobPlanner.Plan(job, input, options).ExpectedGramsCo2e ?? double.NaN;
        }

        return total;
    }

    [Benchmark(Description = "Plan 1,000 jobs x 10 regions, elastic 1-4 nodes")]
    public double PlanThousandElasticJobs()
    {
        double total = 0;
        var input = Input();
        foreach (var job in elasticJobs)
        {
            total += JobPlanner.Plan(job, input, options).ExpectedGramsCo2e ?? double.NaN;
        }

        return total;
    }

    [Benchmark(Baseline = true, Description = "Naive best-window, 200 jobs x 1 region")]
    public double NaiveBestWindow()
    {
        var points = forecasts["region-0"].Points;
        double total = 0;
        foreach (var job in oneRegionJobs)
        {
            total += NaiveWindowSearch.BestMean(points, now, job.Deadline, job.EstimatedDuration);
        }

        return total;
    }

    [Benchmark(Description = "Prefix-sum best-window (full planner), 200 jobs x 1 region")]
    public double PrefixBestWindow()
    {
        double total = 0;
        var input = Input();
        foreach (var job in oneRegionJobs)
        {
            total += JobPlanner.Plan(job, input, options).ExpectedGramsCo2e ?? double.NaN;
        }

        return total;
    }

    private PlanningInput Input() => new() { Now = now, Forecasts = forecasts };

    private static TrainingJob Job(int index, TimeSpan duration, DateTimeOffset deadline, string[] regions, string policy, bool interruptible) => new()
    {
        SchemaVersion = 1,
        Id = $"job-{index}",
        Name = "bench",
        Owner = "bench",
        Pool = new PoolRequest { Kind = PoolKind.Gpu, Provider = CloudProvider.Azure, NodeSize = "Standard_NC24ads_A100_v4", MinNodes = 1, MaxNodes = 1 },
        Regions = regions,
        EstimatedDuration = duration,
        Deadline = deadline,
        Interruptible = interruptible,
        ResumeOverhead = TimeSpan.Zero,
        Workload = new Workload { Image = "trainer:1" },
        Policy = policy,
    };

    private static double[] LoadTrace()
    {
        var path = Path.Combine(FindUp("CarbonFunctions.sln") ?? ".", "..", "shared", "data", "carbon", "watttime-caiso-north-moer-2023-06_5min.csv");
        if (File.Exists(path))
        {
            return File.ReadLines(path).Skip(1).Where(l => l.Length > 0)
                .Select(l => double.Parse(l.Split(',')[1], CultureInfo.InvariantCulture)).ToArray();
        }

        return Enumerable.Range(0, 8928).Select(i => 250 + (150 * Math.Sin(i * 2 * Math.PI / 288))).ToArray();
    }

    private static string? FindUp(string marker)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, marker)))
            {
                return dir.FullName;
            }
        }

        return null;
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
