using CarbonFunctions.Core.Forecasts;
using CarbonFunctions.Core.Jobs;
using CarbonFunctions.Core.Planning;
using CarbonFunctions.Core.Simulation;

namespace CarbonFunctions.Core.Tests.Simulation;

/// <summary>The oracle against exhaustive search on small hourly traces.</summary>
public sealed class OracleTests
{
    private static readonly DateTimeOffset T0 = new(2022, 6, 6, 0, 0, 0, TimeSpan.Zero);

    // 12 hours of real-looking California values (gCO2e/kWh), then a flat tail so the planner's window is covered.
    private static readonly double[] Hours = [260, 248, 231, 190, 142, 96, 88, 101, 150, 205, 240, 255];

    private static IntensityTrace Trace()
    {
        var values = Hours.Concat(Enumerable.Repeat(300.0, 48)).ToArray();
        var points = values.Select((g, i) => new CarbonIntensityPoint(T0.AddHours(i), TimeSpan.FromHours(1), g)).ToArray();
        return new IntensityTrace(new CarbonIntensitySeries { Region = "r", Kind = SeriesKind.Actual, Signal = SignalKind.Average, Source = "test", GeneratedAt = T0, Points = points });
    }

    private static TrainingJob Job(int hours, bool interruptible, int nodes = 1, int maxNodes = 1) =>
        JobTrace.Job("j1", T0, TimeSpan.FromHours(hours), TimeSpan.FromHours(Hours.Length - hours), interruptible, PoolKind.Gpu, nodes, maxNodes, 1000, TimeSpan.Zero, null, "r");

    [Fact]
    public void For_a_job_that_cannot_pause_the_oracle_finds_the_cheapest_whole_window()
    {
        var plan = Oracle.Plan(Job(3, interruptible: false), Trace(), new PlannerOptions());

        // Brute force: every hour-aligned start that ends by the deadline (the optimum of a whole-hour window on an hourly trace is aligned).
        var best = Enumerable.Range(0, Hours.Length - 3 + 1).Min(s => Hours.Skip(s).Take(3).Sum());
        Assert.Equal(88 + 96 + 101, best);
        Assert.Equal(best, PlanGrams.Expected(plan)!.Value, 6);
        Assert.Equal(T0.AddHours(5), plan.Start);
        Assert.True(plan.MeetsDeadline);
    }

    [Fact]
    public void For_an_interruptible_job_without_resume_overhead_the_oracle_takes_the_cheapest_hours_in_any_order()
    {
        var plan = Oracle.Plan(Job(4, interruptible: true), Trace(), new PlannerOptions());

        // Brute force over every set of 4 of the 12 hours.
        var best = double.MaxValue;
        for (var mask = 0; mask < 1 << Hours.Length; mask++)
        {
            if (int.PopCount(mask) == 4)
            {
                best = Math.Min(best, Enumerable.Range(0, Hours.Length).Where(i => (mask & (1 << i)) != 0).Sum(i => Hours[i]));
            }
        }

        Assert.Equal(88 + 96 + 101 + 142, best);
        Assert.Equal(best, PlanGrams.Expected(plan)!.Value, 6);
    }

    [Fact]
    public void An_elastic_job_with_linear_scaling_runs_its_work_in_the_cheapest_hours_at_max_nodes()
    {
        // 4 h of work at 1 node = 1 h at 4 nodes: the whole work fits in the cheapest hour, at 4 × the power.
        var plan = Oracle.Plan(Job(4, interruptible: true, nodes: 1, maxNodes: 4), Trace(), new PlannerOptions());

        Assert.Equal(4 * 88, PlanGrams.Expected(plan)!.Value, 6);
        Assert.Equal("oracle:elastic", plan.Policy);
    }

    [Fact]
    public void The_oracle_only_considers_the_policies_a_job_allows()
    {
        Assert.Equal(["run-now", "best-window"], Oracle.PoliciesFor(Job(2, interruptible: false)));
        Assert.Equal(["run-now", "best-window", "suspend-resume", "elastic"], Oracle.PoliciesFor(Job(2, interruptible: true, 1, 4)));
    }
}
