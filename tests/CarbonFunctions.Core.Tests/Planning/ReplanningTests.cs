using CarbonFunctions.Core.Planning;
using static CarbonFunctions.Core.Tests.Planning.PlanningFixtures;

namespace CarbonFunctions.Core.Tests.Planning;

public sealed class ReplanningTests
{
    [Fact]
    public void Running_job_continues_from_now_with_the_remaining_work()
    {
        var series = FiveMinute(90, 90, 90, 10, 10, 10, 10, 10);
        var job = Job(TimeSpan.FromMinutes(20), Min(40), "best-window", interruptible: false);
        var input = Input(Min(2), series) with { Progress = new JobProgress { CompletedFraction = 0.5, IsRunning = true } };

        var plan = JobPlanner.Plan(job, input, Options);

        var slot = Assert.Single(plan.Slots);
        Assert.Equal((Min(2), Min(12)), (slot.Start, slot.End));
        // Waiting for 00:15 would be cleaner, but the running stretch is not moved.
        Assert.Equal(Grams((10, 90)), plan.ExpectedGramsCo2e!.Value, 9);
    }

    [Fact]
    public void Paused_job_plans_the_rest_plus_one_resume()
    {
        var series = FiveMinute(90, 90, 90, 10, 10, 10, 10, 90);
        var job = Job(TimeSpan.FromMinutes(20), Min(40), "best-window", interruptible: true, overhead: TimeSpan.FromMinutes(5));
        var input = Input(T0, series) with { Progress = new JobProgress { CompletedRunTime = TimeSpan.FromMinutes(10) } };

        var plan = JobPlanner.Plan(job, input, Options);

        var slot = Assert.Single(plan.Slots);
        Assert.Equal((Min(15), Min(30)), (slot.Start, slot.End));
    }

    [Fact]
    public void Running_interruptible_job_keeps_its_current_stretch_then_moves_to_cheap_time()
    {
        var series = FiveMinute(90, 90, 10, 90, 10, 90);
        var job = Job(TimeSpan.FromMinutes(20), Min(30), "suspend-resume");
        var input = Input(T0, series) with { Progress = new JobProgress { CompletedFraction = 0.25, IsRunning = true } };

        var plan = JobPlanner.Plan(job, input, Options);

        // 15 min left: the stretch running now (00:00-00:05) stays, then the two 10 g points.
        Assert.Equal([(Min(0), Min(5)), (Min(10), Min(15)), (Min(20), Min(25))], plan.Slots.Select(s => (s.Start, s.End)));
    }

    [Fact]
    public void Started_job_stays_in_its_region()
    {
        var east = Series(T0, TimeSpan.FromMinutes(5), [50, 50], "eastus");
        var west = Series(T0, TimeSpan.FromMinutes(5), [5, 5], "westeurope");
        var job = Job(TimeSpan.FromMinutes(10), Min(10), "best-window", interruptible: false, regions: ["westeurope", "eastus"]);
        var input = Input(T0, east, west) with { Progress = new JobProgress { CompletedFraction = 0.5, Region = "eastus", IsRunning = true } };

        var plan = JobPlanner.Plan(job, input, Options);

        Assert.Equal("eastus", plan.Region);
        Assert.Equal((T0, Min(5)), (plan.Start, plan.End));
    }
}
