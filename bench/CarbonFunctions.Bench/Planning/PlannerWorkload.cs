using System.Globalization;
using CarbonFunctions.Core.Forecasts;
using CarbonFunctions.Core.Jobs;
using CarbonFunctions.Core.Planning;

namespace CarbonFunctions.Bench.Planning;

/// <summary>
/// The planning workload shared by the benchmarks and the quality run: 10 regions, each a 7-day forecast of
/// 5-minute points (2016 points), cut one day apart from the real WattTime CAISO_NORTH June 2023 trace when
/// ../shared/data is present, else a deterministic synthetic daily curve; 10,000 jobs of 30 min to 12.5 h with
/// deadlines up to 7 days ahead (seed 42), each listing all 10 regions. The first 1,000 are also planned as
/// interruptible (5 min resume overhead) and as elastic 1–4 nodes (throughput 1, 1.9, 2.7, 3.4).
/// </summary>
internal sealed class PlannerWorkload
{
    public const int Regions = 10;
    public const int PointsPerRegion = 2016;
    private static readonly TimeSpan Step = TimeSpan.FromMinutes(5);

    public PlannerWorkload()
    {
        var trace = LoadTrace(out var fromFile);
        TraceIsReal = fromFile;
        Now = new DateTimeOffset(2023, 6, 1, 0, 0, 0, TimeSpan.Zero);
        var names = Enumerable.Range(0, Regions).Select(i => $"region-{i}").ToArray();
        for (var r = 0; r < Regions; r++)
        {
            var offset = r * 288 % Math.Max(1, trace.Length - PointsPerRegion);
            Forecasts[names[r]] = new CarbonIntensitySeries
            {
                Region = names[r],
                Kind = SeriesKind.Forecast,
                Signal = SignalKind.Marginal,
                Source = "bench",
                GeneratedAt = Now,
                Points = Enumerable.Range(0, PointsPerRegion).Select(i => new CarbonIntensityPoint(Now + (Step * i), Step, trace[(offset + i) % trace.Length])).ToArray(),
            };
        }

        var random = new Random(42);
        for (var j = 0; j < 10_000; j++)
        {
            var duration = TimeSpan.FromMinutes(30 + random.Next(0, 12 * 60));
            var slack = TimeSpan.FromMinutes(random.Next(0, (int)(TimeSpan.FromDays(7) - duration).TotalMinutes));
            var job = Job(j, duration, Now + duration + slack, names);
            Jobs.Add(job);
            if (j < 1_000)
            {
                InterruptibleJobs.Add(job with { Interruptible = true, Policy = "suspend-resume", ResumeOverhead = TimeSpan.FromMinutes(5) });
                ElasticJobs.Add(job with
                {
                    Interruptible = true,
                    Policy = "elastic",
                    ResumeOverhead = TimeSpan.FromMinutes(5),
                    Pool = job.Pool with { MinNodes = 1, MaxNodes = 4, RelativeThroughput = [1, 1.9, 2.7, 3.4] },
                });
            }

            if (j < 200)
            {
                OneRegionJobs.Add(job with { Regions = [names[0]] });
            }
        }
    }

    public DateTimeOffset Now { get; }

    public bool TraceIsReal { get; }

    public Dictionary<string, CarbonIntensitySeries> Forecasts { get; } = [];

    public List<TrainingJob> Jobs { get; } = [];

    public List<TrainingJob> InterruptibleJobs { get; } = [];

    public List<TrainingJob> ElasticJobs { get; } = [];

    public List<TrainingJob> OneRegionJobs { get; } = [];

    public PlannerOptions Options { get; } = new();

    public PlanningInput Input() => new() { Now = Now, Forecasts = Forecasts };

    /// <summary>The prepared timelines of the job's regions, in the job's order.</summary>
    public Timeline[] Timelines(TrainingJob job) => [.. job.Regions.Select(r => Timeline.For(Forecasts[r]))];

    private static TrainingJob Job(int index, TimeSpan duration, DateTimeOffset deadline, string[] regions) => new()
    {
        SchemaVersion = 1,
        Id = $"job-{index}",
        Name = "bench",
        Owner = "bench",
        Pool = new PoolRequest { Kind = PoolKind.Gpu, Provider = CloudProvider.Azure, NodeSize = "Standard_NC24ads_A100_v4", MinNodes = 1, MaxNodes = 1 },
        Regions = regions,
        EstimatedDuration = duration,
        Deadline = deadline,
        Interruptible = false,
        ResumeOverhead = TimeSpan.Zero,
        Workload = new Workload { Image = "trainer:1" },
        Policy = "best-window",
    };

    private static double[] LoadTrace(out bool fromFile)
    {
        var path = Path.Combine(FindUp("CarbonFunctions.sln") ?? ".", "..", "shared", "data", "carbon", "watttime-caiso-north-moer-2023-06_5min.csv");
        fromFile = File.Exists(path);
        if (fromFile)
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
