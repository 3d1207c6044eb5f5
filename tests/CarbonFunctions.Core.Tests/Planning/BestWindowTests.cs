using CarbonFunctions.Core.Planning;
using static CarbonFunctions.Core.Tests.Planning.PlanningFixtures;

namespace CarbonFunctions.Core.Tests.Planning;

public sealed class BestWindowTests
{
    [Fact]
    public void Reproduces_the_Carbon_Aware_SDK_rolling_averages()
    {
        var series = FiveMinute(10, 20, 30, 40, 5);

        var windows = WindowSearch.CandidateWindows(series, T0, Min(25), TimeSpan.FromMinutes(10));

        Assert.Equal([15, 25, 35, 22.5], windows.Select(w => Math.Round(w.MeanGramsPerKwh, 9)));
        Assert.Equal([Min(0), Min(5), Min(10), Min(15)], windows.Select(w => w.Start));
    }

    [Fact]
    public void Partial_overlaps_are_time_weighted_and_now_is_a_candidate_start()
    {
        var series = FiveMinute(10, 20, 30, 40, 5);

        var windows = WindowSearch.CandidateWindows(series, Min(2.5), Min(60), TimeSpan.FromMinutes(10));

        // From 00:02:30: 2.5 min at 10, 5 at 20, 2.5 at 30 = 200 / 10 min. The window from 00:20 runs past the forecast.
        Assert.Equal([20, 25, 35, 22.5], windows.Select(w => Math.Round(w.MeanGramsPerKwh, 9)));
        Assert.Equal(Min(2.5), windows[0].Start);
    }

    [Fact]
    public void Picks_the_cheapest_window_for_a_job_that_ends_between_points()
    {
        var series = FiveMinute(50, 40, 10, 30, 60, 5);
        var job = Job(TimeSpan.FromMinutes(7.5), Min(30), "best-window", interruptible: false);

        var plan = JobPlanner.Plan(job, Input(T0, series), Options);

        // Candidates (g·min/kWh): 0→350, 5→225, 10→125, 15→300, 20→312.5; 25 would end after the deadline.
        var slot = Assert.Single(plan.Slots);
        Assert.Equal(Min(10), slot.Start);
        Assert.Equal(Min(17.5), slot.End);
        Assert.Equal(Grams((5, 10), (2.5, 30)), plan.ExpectedGramsCo2e!.Value, 9);
        Assert.Equal(Grams((5, 50), (2.5, 40)), plan.RunNowGramsCo2e!.Value, 9);
        Assert.True(plan.MeetsDeadline);
        Assert.Null(plan.Warning);
        Assert.Equal("eastus", plan.Region);
    }

    [Fact]
    public void Equals_a_brute_force_minimum_on_a_CAISO_day()
    {
        const string file = "us-cal-ciso-2022-06-01_02_hourly.csv";
        var rows = Rows(file, valueColumn: 4);
        var series = Trace(file);
        var now = rows[0].Start;
        var job = Job(TimeSpan.FromHours(3), now.AddHours(30), "best-window", interruptible: false);

        var plan = JobPlanner.Plan(job, Input(now, series), Options);

        var bestStart = -1;
        var bestSum = double.MaxValue;
        for (var h = 0; h + 3 <= 30; h++)
        {
            var sum = rows[h].Value + rows[h + 1].Value + rows[h + 2].Value;
            if (sum < bestSum)
            {
                (bestStart, bestSum) = (h, sum);
            }
        }

        var slot = Assert.Single(plan.Slots);
        Assert.Equal(rows[bestStart].Start, slot.Start);
        Assert.Equal(TimeSpan.FromHours(3), slot.Duration);
        Assert.Equal(bestSum, plan.ExpectedGramsCo2e!.Value, 6);
        Assert.Equal(rows[0].Value + rows[1].Value + rows[2].Value, plan.RunNowGramsCo2e!.Value, 6);
    }

    [Fact]
    public void Run_now_starts_now_on_min_nodes()
    {
        var series = FiveMinute(100, 10, 10, 10);
        var job = Job(TimeSpan.FromMinutes(10), Min(20), "run-now", interruptible: false, minNodes: 2, maxNodes: 2);

        var plan = JobPlanner.Plan(job, Input(T0, series), Options);

        var slot = Assert.Single(plan.Slots);
        Assert.Equal((T0, Min(10), 2), (slot.Start, slot.End, slot.Nodes));
        Assert.Equal(2 * Grams((5, 100), (5, 10)), plan.ExpectedGramsCo2e!.Value, 9);
        Assert.Equal(plan.ExpectedGramsCo2e!.Value, plan.RunNowGramsCo2e!.Value, 9);
    }

    [Fact]
    public void Does_not_wait_for_time_past_the_forecast_horizon_unless_the_work_needs_it()
    {
        var series = FiveMinute(40, 20, 60, 80);
        var shortJob = Job(TimeSpan.FromMinutes(5), Min(120), "best-window", interruptible: false);
        var longJob = Job(TimeSpan.FromMinutes(30), Min(120), "best-window", interruptible: false);

        var shortPlan = JobPlanner.Plan(shortJob, Input(T0, series), Options);
        var longPlan = JobPlanner.Plan(longJob, Input(T0, series), Options);

        Assert.Equal(Min(5), shortPlan.Start);
        Assert.Null(shortPlan.Warning);

        // 30 min never fit in 20 min of forecast: run now; 10 minutes have no forecast, so the emissions are unknown (not 0, not the mean).
        Assert.Equal(T0, longPlan.Start);
        Assert.Null(longPlan.ExpectedGramsCo2e);
        Assert.False(longPlan.EmissionsKnown);
        Assert.Null(longPlan.Slots[0].ExpectedGramsCo2e);
        Assert.Contains("beyond the forecast horizon", longPlan.Warning, StringComparison.Ordinal);
        Assert.True(longPlan.MeetsDeadline);
    }
}
