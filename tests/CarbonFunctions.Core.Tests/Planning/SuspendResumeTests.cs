using CarbonFunctions.Core.Planning;
using static CarbonFunctions.Core.Tests.Planning.PlanningFixtures;

namespace CarbonFunctions.Core.Tests.Planning;

public sealed class SuspendResumeTests
{
    [Fact]
    public void Without_overhead_runs_in_the_cheapest_points()
    {
        var series = FiveMinute(50, 10, 60, 20, 70, 15, 80, 90);
        var job = Job(TimeSpan.FromMinutes(15), Min(40), "suspend-resume");

        var plan = JobPlanner.Plan(job, Input(T0, series), Options);

        Assert.Equal(
            [(Min(5), Min(10)), (Min(15), Min(20)), (Min(25), Min(30))],
            plan.Slots.Select(s => (s.Start, s.End)));
        Assert.Equal(Grams((5, 10), (5, 20), (5, 15)), plan.ExpectedGramsCo2e!.Value, 9);
        Assert.True(plan.MeetsDeadline);
    }

    [Theory]
    [InlineData(15, 5, 0, new double[] { 50, 10, 60, 20, 70, 15, 80, 90 })]
    [InlineData(15, 0, 10, new double[] { 50, 10, 60, 20, 70, 15, 80, 90 })]
    [InlineData(20, 5, 10, new double[] { 30, 90, 10, 12, 95, 11, 9, 99, 40 })]
    [InlineData(10, 0, 0, new double[] { 30, 90, 10, 12, 95, 11, 9, 99, 40 })]
    [InlineData(25, 5, 5, new double[] { 8, 90, 10, 92, 95, 11, 9, 99, 7, 60 })]
    public void Matches_a_brute_force_optimum_over_whole_points(int minutes, int overheadMinutes, int minimumRunMinutes, double[] values)
    {
        var series = FiveMinute(values);
        var deadline = Min(5 * values.Length);
        var job = Job(TimeSpan.FromMinutes(minutes), deadline, "suspend-resume", overhead: TimeSpan.FromMinutes(overheadMinutes));
        var options = Options with { MinimumRunLength = TimeSpan.FromMinutes(minimumRunMinutes) };

        var plan = JobPlanner.Plan(job, Input(T0, series), options);

        // Every subset of 5-minute points: runs of adjacent points, each at least the minimum run
        // (or the whole job when that is shorter), covering the work plus overhead for each extra run.
        var best = double.MaxValue;
        for (var mask = 1; mask < 1 << values.Length; mask++)
        {
            var runs = new List<int>();
            for (var k = 0; k < values.Length; k++)
            {
                if ((mask & (1 << k)) == 0)
                {
                    continue;
                }

                if (k > 0 && (mask & (1 << (k - 1))) != 0)
                {
                    runs[^1] += 5;
                }
                else
                {
                    runs.Add(5);
                }
            }

            var needed = minutes + (overheadMinutes * (runs.Count - 1));
            if (runs.Sum() != needed || runs.Any(r => r < Math.Min(minimumRunMinutes, minutes)))
            {
                continue;
            }

            var cost = Enumerable.Range(0, values.Length).Where(k => (mask & (1 << k)) != 0).Sum(k => Grams((5, values[k])));
            best = Math.Min(best, cost);
        }

        Assert.Equal(best, plan.ExpectedGramsCo2e!.Value, 9);
        var ran = plan.Slots.Sum(s => s.Duration.TotalMinutes);
        Assert.Equal(minutes + (overheadMinutes * (plan.Slots.Count - 1)), ran, 9);
        Assert.All(plan.Slots, s => Assert.True(s.Duration >= TimeSpan.FromMinutes(Math.Min(minimumRunMinutes, minutes))));
        Assert.True(plan.MeetsDeadline);
    }

    [Fact]
    public void Without_constraints_equals_the_cheapest_points_of_a_real_5_minute_day()
    {
        const string file = "watttime-caiso-north-moer-2023-06-10_5min.csv";
        var rows = Rows(file, valueColumn: 1);
        var series = Trace(file);
        var now = rows[0].Start;
        var job = Job(TimeSpan.FromHours(2), now.AddHours(20), "suspend-resume");

        var plan = JobPlanner.Plan(job, Input(now, series), Options);

        var expected = rows.Take(20 * 12).Select(r => r.Value).Order().Take(24).Sum(v => Grams((5, v)));
        Assert.Equal(expected, plan.ExpectedGramsCo2e!.Value, 6);
        Assert.Equal(120, plan.Slots.Sum(s => s.Duration.TotalMinutes), 9);
        Assert.True(plan.MeetsDeadline);
    }

    [Fact]
    public void With_minimum_run_and_overhead_on_a_real_day_keeps_the_rules_and_beats_the_best_window()
    {
        const string file = "watttime-caiso-north-moer-2023-06-10_5min.csv";
        var rows = Rows(file, valueColumn: 1);
        var series = Trace(file);
        var now = rows[0].Start;
        var job = Job(TimeSpan.FromHours(2), now.AddHours(20), "suspend-resume", overhead: TimeSpan.FromMinutes(10));
        var options = Options with { MinimumRunLength = TimeSpan.FromMinutes(30) };

        var plan = JobPlanner.Plan(job, Input(now, series), options);

        var bestWindow = double.MaxValue;
        for (var k = 0; k + 24 <= 20 * 12; k++)
        {
            bestWindow = Math.Min(bestWindow, rows.Skip(k).Take(24).Sum(r => Grams((5, r.Value))));
        }

        Assert.All(plan.Slots, s => Assert.True(s.Duration >= TimeSpan.FromMinutes(30), $"{s.Start:t}-{s.End:t} is shorter than 30 min"));
        Assert.Equal(120 + (10 * (plan.Slots.Count - 1)), plan.Slots.Sum(s => s.Duration.TotalMinutes), 9);
        Assert.True(plan.End <= now.AddHours(20));
        Assert.True(plan.ExpectedGramsCo2e <= bestWindow + 1e-9, $"{plan.ExpectedGramsCo2e} > best window {bestWindow}");
        var slotSum = plan.Slots.Sum(s => rows.Where(r => r.Start >= s.Start && r.Start < s.End).Sum(r => Grams((5, r.Value))));
        Assert.Equal(slotSum, plan.ExpectedGramsCo2e!.Value, 6);
    }
}
