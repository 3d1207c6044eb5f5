using CarbonFunctions.Core.Planning;
using static CarbonFunctions.Core.Tests.Planning.PlanningFixtures;

namespace CarbonFunctions.Core.Tests.Planning;

public sealed class FallbackAndRegionTests
{
    [Fact]
    public void Missing_forecast_runs_now_with_unknown_emissions()
    {
        var job = Job(TimeSpan.FromMinutes(30), Min(300), "best-window", interruptible: false);

        var plan = JobPlanner.Plan(job, Input(T0), Options);

        var slot = Assert.Single(plan.Slots);
        Assert.Equal((T0, Min(30), 1), (slot.Start, slot.End, slot.Nodes));
        Assert.False(plan.EmissionsKnown);
        Assert.Null(plan.ForecastGeneratedAt);
        Assert.Contains("no forecast for eastus", plan.Warning, StringComparison.Ordinal);
        Assert.True(plan.MeetsDeadline);
    }

    [Fact]
    public void Stale_forecast_runs_now_and_says_why()
    {
        var vintage = T0.AddHours(-7);
        var series = Series(T0, TimeSpan.FromMinutes(5), [90, 10, 10, 10], generatedAt: vintage);
        var job = Job(TimeSpan.FromMinutes(5), Min(20), "best-window", interruptible: false);

        var plan = JobPlanner.Plan(job, Input(T0, series), Options);

        Assert.Equal(T0, plan.Start);
        Assert.Contains("stale", plan.Warning, StringComparison.Ordinal);
        Assert.Equal(vintage, plan.ForecastGeneratedAt);
        Assert.Equal(Grams((5, 90)), plan.ExpectedGramsCo2e!.Value, 9);
    }

    [Fact]
    public void Forecast_that_does_not_cover_now_is_not_waited_for()
    {
        var series = Series(Min(60), TimeSpan.FromMinutes(5), [10, 10, 10]);
        var job = Job(TimeSpan.FromMinutes(5), Min(120), "best-window", interruptible: false);

        var plan = JobPlanner.Plan(job, Input(T0, series), Options);

        Assert.Equal(T0, plan.Start);
        Assert.False(plan.EmissionsKnown);
        Assert.Contains("does not cover now", plan.Warning, StringComparison.Ordinal);
    }

    [Fact]
    public void Infeasible_deadline_is_reported_and_the_job_runs_now()
    {
        var series = FiveMinute(10, 10, 10, 10, 10, 10);
        var job = Job(TimeSpan.FromMinutes(60), Min(30), "suspend-resume");

        var plan = JobPlanner.Plan(job, Input(T0, series), Options);

        Assert.False(plan.MeetsDeadline);
        Assert.Contains("cannot meet the deadline", plan.Warning, StringComparison.Ordinal);
        var slot = Assert.Single(plan.Slots);
        Assert.Equal((T0, Min(60)), (slot.Start, slot.End));
    }

    [Fact]
    public void Picks_the_region_with_the_least_emissions()
    {
        var east = Series(T0, TimeSpan.FromMinutes(5), [50, 40, 60], "eastus");
        var west = Series(T0, TimeSpan.FromMinutes(5), [30, 70, 20], "westeurope");
        var job = Job(TimeSpan.FromMinutes(5), Min(15), "best-window", interruptible: false, regions: ["eastus", "westeurope"]);

        var plan = JobPlanner.Plan(job, Input(T0, east, west), Options);

        Assert.Equal("westeurope", plan.Region);
        Assert.Equal(Min(10), plan.Start);
        Assert.All(plan.Slots, s => Assert.Equal("westeurope", s.Region));
        Assert.Equal(Grams((5, 20)), plan.ExpectedGramsCo2e!.Value, 9);
        Assert.Equal(Grams((5, 50)), plan.RunNowGramsCo2e!.Value, 9);
    }

    [Fact]
    public void Ties_go_to_the_first_listed_region_and_stale_regions_are_skipped()
    {
        var east = Series(T0, TimeSpan.FromMinutes(5), [50, 40], "eastus");
        var west = Series(T0, TimeSpan.FromMinutes(5), [40, 50], "westeurope");
        var north = Series(T0, TimeSpan.FromMinutes(5), [1, 1], "northeurope", generatedAt: T0.AddDays(-1));
        var job = Job(TimeSpan.FromMinutes(5), Min(10), "best-window", interruptible: false, regions: ["northeurope", "westeurope", "eastus"]);

        var plan = JobPlanner.Plan(job, Input(T0, east, west, north), Options);

        Assert.Equal("westeurope", plan.Region);
        Assert.Contains("northeurope is stale", plan.Warning, StringComparison.Ordinal);
    }

    [Fact]
    public void Real_traces_choose_the_cleaner_grid()
    {
        var caiso = Trace("us-cal-ciso-2022-06-01_02_hourly.csv", "westus");
        var spain = Trace("es-2022-06-01_02_hourly.csv", "spaincentral");
        var caisoRows = Rows("us-cal-ciso-2022-06-01_02_hourly.csv", 4);
        var spainRows = Rows("es-2022-06-01_02_hourly.csv", 4);
        var now = caisoRows[0].Start;
        var job = Job(TimeSpan.FromHours(4), now.AddHours(24), "best-window", interruptible: false, regions: ["westus", "spaincentral"]);

        var plan = JobPlanner.Plan(job, Input(now, caiso, spain), Options);

        static double BestWindow(List<(DateTimeOffset Start, double Value)> rows) =>
            Enumerable.Range(0, 21).Min(h => rows.Skip(h).Take(4).Sum(r => r.Value));
        var expected = Math.Min(BestWindow(caisoRows), BestWindow(spainRows));
        Assert.Equal(BestWindow(caisoRows) <= BestWindow(spainRows) ? "westus" : "spaincentral", plan.Region);
        Assert.Equal(expected, plan.ExpectedGramsCo2e!.Value, 6);
    }

    [Fact]
    public void Policy_that_does_not_fit_the_job_falls_back_with_a_warning()
    {
        var series = FiveMinute(50, 10, 60);
        var job = Job(TimeSpan.FromMinutes(5), Min(15), "best-window", interruptible: false) with { Policy = "suspend-resume" };

        var plan = JobPlanner.Plan(job, Input(T0, series), Options);

        Assert.Equal("best-window", plan.Policy);
        Assert.Contains("not interruptible", plan.Warning, StringComparison.Ordinal);
        Assert.Equal(Min(5), plan.Start);
    }
}
