using CarbonFunctions.Core.Planning;
using static CarbonFunctions.Core.Tests.Planning.PlanningFixtures;

namespace CarbonFunctions.Core.Tests.Planning;

public sealed class ThresholdAndElasticTests
{
    [Fact]
    public void Threshold_runs_below_the_threshold_and_pauses_above()
    {
        var series = FiveMinute(100, 30, 40, 200, 20, 300, 300, 300);
        var job = Job(TimeSpan.FromMinutes(15), Min(40), "threshold", threshold: 50);

        var plan = JobPlanner.Plan(job, Input(T0, series), Options);

        Assert.Equal([(Min(5), Min(15)), (Min(20), Min(25))], plan.Slots.Select(s => (s.Start, s.End)));
        Assert.Equal(Grams((5, 30), (5, 40), (5, 20)), plan.ExpectedGramsCo2e!.Value, 9);
    }

    [Fact]
    public void Threshold_runs_regardless_from_the_latest_start_that_meets_the_deadline()
    {
        var series = FiveMinute(100, 100, 100, 100, 20, 100);
        var job = Job(TimeSpan.FromMinutes(12), Min(30), "threshold", threshold: 50);

        var plan = JobPlanner.Plan(job, Input(T0, series), Options);

        // Waiting past 00:18 would miss the 00:30 deadline, so the job runs from 00:18 on.
        var slot = Assert.Single(plan.Slots);
        Assert.Equal((Min(18), Min(30)), (slot.Start, slot.End));
        Assert.Equal(Grams((2, 100), (5, 20), (5, 100)), plan.ExpectedGramsCo2e!.Value, 9);
        Assert.True(plan.MeetsDeadline);
    }

    [Fact]
    public void Threshold_keeps_the_minimum_run_and_pays_the_resume_overhead()
    {
        var values = new double[12];
        Array.Fill(values, 100);
        values[0] = 30;
        var series = FiveMinute(values);
        var job = Job(TimeSpan.FromMinutes(15), Min(60), "threshold", threshold: 50, overhead: TimeSpan.FromMinutes(5));
        var options = Options with { MinimumRunLength = TimeSpan.FromMinutes(10) };

        var plan = JobPlanner.Plan(job, Input(T0, series), options);

        // 10 min run (minimum) from 00:00, then 5 min of work + 5 min resume squeezed against the deadline.
        Assert.Equal([(Min(0), Min(10)), (Min(50), Min(60))], plan.Slots.Select(s => (s.Start, s.End)));
        Assert.Equal(Grams((5, 30), (5, 100), (10, 100)), plan.ExpectedGramsCo2e!.Value, 9);
        Assert.True(plan.MeetsDeadline);
    }

    [Fact]
    public void Elastic_runs_the_grid_optimum_and_gives_the_rounding_back_one_node_smaller()
    {
        var series = FiveMinute(100, 40, 200);
        var job = Job(TimeSpan.FromMinutes(10), Min(15), "elastic", minNodes: 1, maxNodes: 3, throughput: [1, 1.8, 2.4]);

        var plan = JobPlanner.Plan(job, Input(T0, series), Options);

        // On the grid, 3 nodes in the 40 g slot (2.4 × 5 = 12 node-minutes, 10 g) beat 1 node in two slots (11.7 g).
        // The 2 node-minutes over are given back at 0.6 per minute by the third node: 200 s at 2 nodes.
        Assert.Equal(
            [(Min(5), Min(5) + TimeSpan.FromSeconds(100), 3), (Min(5) + TimeSpan.FromSeconds(100), Min(10), 2)],
            plan.Slots.Select(s => (s.Start, s.End, s.Nodes)));
        var expected = ((3 * 100.0 / 3600) + (2 * 200.0 / 3600)) * 40;
        Assert.Equal(expected, plan.ExpectedGramsCo2e!.Value, 6);
        Assert.Equal(Grams((5, 100), (5, 40)), plan.RunNowGramsCo2e!.Value, 9);
    }

    [Fact]
    public void Elastic_greedy_agrees_with_a_brute_force_over_node_counts()
    {
        var values = new double[] { 80, 20, 60, 30, 90, 25 };
        var series = FiveMinute(values);
        double[] curve = [1, 1.5, 1.8];
        var job = Job(TimeSpan.FromMinutes(15), Min(30), "elastic", minNodes: 1, maxNodes: 3, throughput: curve);

        var plan = JobPlanner.Plan(job, Input(T0, series), Options);

        // All 4^6 node-count choices (0..3 per point) whose throughput covers exactly the 15 node-minutes.
        var best = double.MaxValue;
        for (var code = 0; code < 4096; code++)
        {
            double work = 0, grams = 0;
            var c = code;
            for (var k = 0; k < values.Length; k++, c /= 4)
            {
                var nodes = c % 4;
                work += nodes == 0 ? 0 : curve[nodes - 1] * 5;
                grams += Grams((5, nodes * values[k]));
            }

            if (Math.Abs(work - 15) < 1e-9)
            {
                best = Math.Min(best, grams);
            }
        }

        Assert.Equal(best, plan.ExpectedGramsCo2e!.Value, 6);
        var done = plan.Slots.Sum(s => curve[s.Nodes - 1] * s.Duration.TotalMinutes);
        Assert.Equal(15, done, 6);
    }

    [Fact]
    public void Elastic_without_interruption_keeps_one_contiguous_run_at_the_cheapest_size()
    {
        var series = FiveMinute(100, 50, 200);
        var job = Job(TimeSpan.FromMinutes(10), Min(15), "elastic", interruptible: false, minNodes: 1, maxNodes: 3, throughput: [1, 1.8, 2.4]);

        var plan = JobPlanner.Plan(job, Input(T0, series), Options);

        // node-g·min/kWh at the best start per size: 1 node 10 min from 00:00 = 750; 2 nodes 5.56 min
        // from 00:05 = 2 × 361.1; 3 nodes 4.17 min from 00:05 = 3 × 208.3 = 625, the least.
        var slot = Assert.Single(plan.Slots);
        Assert.Equal((Min(5), Min(5) + TimeSpan.FromSeconds(250), 3), (slot.Start, slot.End, slot.Nodes));
        Assert.Equal(3 * 250.0 / 3600 * 50, plan.ExpectedGramsCo2e!.Value, 9);
    }
}
