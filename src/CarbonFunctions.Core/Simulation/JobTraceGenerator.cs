using CarbonFunctions.Core.Jobs;

namespace CarbonFunctions.Core.Simulation;

/// <summary>Knobs of the job-trace generator; the defaults are the mix the issue asks for.</summary>
public sealed record JobMix
{
    public int Count { get; init; } = 2000;

    /// <summary>Run times are drawn log-uniformly between these (short jobs are common, long ones rare).</summary>
    public double MinHours { get; init; } = 1;

    public double MaxHours { get; init; } = 96;

    /// <summary>Slack (deadline − submission − run time) drawn uniformly in [MinSlackHours, MaxSlackHours].</summary>
    public double MinSlackHours { get; init; }

    public double MaxSlackHours { get; init; } = 7 * 24;

    public double InterruptibleShare { get; init; } = 0.5;

    public double GaudiShare { get; init; } = 0.25;

    /// <summary>Share of the jobs whose pool may grow to 4× its nodes (linear scaling: no throughput curve).</summary>
    public double ElasticShare { get; init; } = 0.15;
}

/// <summary>
/// Generates a seeded, realistic job mix over a trace: submissions uniform over the trace (leaving room for each deadline),
/// 1–96 h run times, 0–7 days of slack, interruptible or not, GPU (2.4–3.2 kW nodes) and Gaudi (2.8 kW) pools.
/// </summary>
public static class JobTraceGenerator
{
    public static IReadOnlyList<TrainingJob> Generate(JobMix mix, DateTimeOffset traceStart, DateTimeOffset traceEnd, string region, int seed)
    {
        ArgumentNullException.ThrowIfNull(mix);
        if (mix.Count < 1 || mix.MinHours <= 0 || mix.MaxHours < mix.MinHours || mix.MinSlackHours < 0 || mix.MaxSlackHours < mix.MinSlackHours)
        {
            throw new ArgumentException("the job mix needs a positive count, 0 < min hours ≤ max hours and 0 ≤ min slack ≤ max slack", nameof(mix));
        }

        var latestEnd = TimeSpan.FromHours(mix.MaxHours + mix.MaxSlackHours);
        var span = traceEnd - traceStart - latestEnd;
        if (span <= TimeSpan.Zero)
        {
            throw new ArgumentException($"the trace ({(traceEnd - traceStart).TotalDays:0.#} days) is shorter than the longest job with its slack ({latestEnd.TotalDays:0.#} days)");
        }

        var random = new Random(seed);
        var jobs = new List<TrainingJob>(mix.Count);
        var width = Math.Max(4, mix.Count.ToString(System.Globalization.CultureInfo.InvariantCulture).Length);
        for (var i = 0; i < mix.Count; i++)
        {
            // Whole minutes keep the CSV round trip exact.
            var submitted = traceStart + TimeSpan.FromMinutes(Math.Floor(random.NextDouble() * span.TotalMinutes));
            var hours = Math.Exp(Math.Log(mix.MinHours) + (random.NextDouble() * (Math.Log(mix.MaxHours) - Math.Log(mix.MinHours))));
            var duration = TimeSpan.FromMinutes(Math.Max(1, Math.Round(hours * 60)));
            var slack = TimeSpan.FromMinutes(Math.Round((mix.MinSlackHours + (random.NextDouble() * (mix.MaxSlackHours - mix.MinSlackHours))) * 60));
            var interruptible = random.NextDouble() < mix.InterruptibleShare;
            var gaudi = random.NextDouble() < mix.GaudiShare;
            var elastic = random.NextDouble() < mix.ElasticShare;
            var nodes = 1 + random.Next(4);
            var watts = gaudi ? 2800 : 2400 + (100 * random.Next(9));
            jobs.Add(JobTrace.Job(
                "sim-" + i.ToString(System.Globalization.CultureInfo.InvariantCulture).PadLeft(width, '0'),
                submitted, duration, slack, interruptible, gaudi ? PoolKind.Gaudi : PoolKind.Gpu, nodes, elastic ? nodes * 4 : nodes, watts,
                interruptible ? TimeSpan.FromMinutes(5 + random.Next(11)) : TimeSpan.Zero, null, region));
        }

        return [.. jobs.OrderBy(j => j.SubmittedAt).ThenBy(j => j.Id, StringComparer.Ordinal)];
    }
}
