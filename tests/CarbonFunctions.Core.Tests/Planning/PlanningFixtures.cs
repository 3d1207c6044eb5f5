using CarbonFunctions.Core.Forecasts;
using CarbonFunctions.Core.Jobs;
using CarbonFunctions.Core.Planning;

namespace CarbonFunctions.Core.Tests.Planning;

/// <summary>Jobs, series and trace excerpts for planner tests. Node power is 1000 W so grams = g/kWh × node-hours.</summary>
internal static class PlanningFixtures
{
    public static readonly DateTimeOffset T0 = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public static readonly PlannerOptions Options = new() { MinimumRunLength = TimeSpan.Zero, StartupAllowance = TimeSpan.Zero, DeadlineMargin = TimeSpan.Zero };

    public static TrainingJob Job(
        TimeSpan duration,
        DateTimeOffset deadline,
        string policy,
        bool interruptible = true,
        int minNodes = 1,
        int maxNodes = 1,
        double[]? throughput = null,
        TimeSpan? overhead = null,
        double? threshold = null,
        IReadOnlyList<string>? regions = null) => new()
        {
            SchemaVersion = 1,
            Id = "job-1",
            Name = "test",
            Owner = "team",
            Pool = new PoolRequest
            {
                Kind = PoolKind.Gpu,
                Provider = CloudProvider.Azure,
                NodeSize = "Standard_NC24ads_A100_v4",
                MinNodes = minNodes,
                MaxNodes = maxNodes,
                PowerPerNodeWatts = 1000,
                RelativeThroughput = throughput,
            },
            Regions = regions ?? ["eastus"],
            EstimatedDuration = duration,
            Deadline = deadline,
            Interruptible = interruptible,
            ResumeOverhead = overhead ?? TimeSpan.Zero,
            Workload = new Workload { Image = "trainer:1" },
            CarbonThresholdGramsPerKwh = threshold,
            Policy = policy,
        };

    /// <summary>A forecast of equal-length points starting at <paramref name="start"/>.</summary>
    public static CarbonIntensitySeries Series(DateTimeOffset start, TimeSpan step, double[] values, string region = "eastus", DateTimeOffset? generatedAt = null) => new()
    {
        Region = region,
        Kind = SeriesKind.Forecast,
        Signal = SignalKind.Average,
        Source = "test",
        GeneratedAt = generatedAt ?? start,
        Points = values.Select((v, i) => new CarbonIntensityPoint(start + (step * i), step, v)).ToList(),
    };

    public static CarbonIntensitySeries FiveMinute(params double[] values) => Series(T0, TimeSpan.FromMinutes(5), values);

    public static PlanningInput Input(DateTimeOffset now, params CarbonIntensitySeries[] forecasts) => new()
    {
        Now = now,
        Forecasts = forecasts.ToDictionary(f => f.Region),
    };

    public static DateTimeOffset Min(double minutes) => T0.AddMinutes(minutes);

    /// <summary>Grams for one node of 1 kW over a list of (minutes, g/kWh).</summary>
    public static double Grams(params (double Minutes, double Intensity)[] parts) => parts.Sum(p => p.Minutes / 60 * p.Intensity);

    public static string FixturePath(string name)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "tests", "CarbonFunctions.Core.Tests", "Fixtures", "carbon", name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException("fixture not found above the test binaries", name);
    }

    public static CarbonIntensitySeries Trace(string name, string region = "eastus")
    {
        using var reader = new StreamReader(FixturePath(name));
        var series = TraceCsv.Read(reader, region, DateTimeOffset.MinValue);
        return series with { GeneratedAt = series.Points[0].Start };
    }

    /// <summary>The raw (start, value) rows of a fixture, parsed here without the reader under test.</summary>
    public static List<(DateTimeOffset Start, double Value)> Rows(string name, int valueColumn)
    {
        return File.ReadAllLines(FixturePath(name)).Skip(1).Where(l => l.Length > 0).Select(l =>
        {
            var cells = l.Split(',');
            var start = DateTimeOffset.Parse(cells[0] + "Z", System.Globalization.CultureInfo.InvariantCulture);
            return (start, double.Parse(cells[valueColumn], System.Globalization.CultureInfo.InvariantCulture));
        }).ToList();
    }
}
