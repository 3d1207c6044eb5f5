using CarbonFunctions.Core.Forecasts;
using CarbonFunctions.Core.Jobs;
using CarbonFunctions.Core.Lifecycle;
using CarbonFunctions.Core.Planning;
using CarbonFunctions.Handlers.Lifecycle;

namespace CarbonFunctions.Handlers.Planning;

/// <summary>Plans jobs with <see cref="JobPlanner"/> against the newest stored forecast of each candidate region.</summary>
public sealed class ForecastJobPlanSource(IForecastStore forecasts, PlannerOptions options) : IJobPlanSource
{
    public async Task<JobPlan> PlanAsync(TrainingJob job, JobState? state, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);

        // A started job stays in its region (its checkpoint and pool live there), so only that forecast matters.
        var regions = state is { PoolEverStarted: true, Region: { } bound } ? [bound] : job.Regions;
        var series = new Dictionary<string, CarbonIntensitySeries>(StringComparer.OrdinalIgnoreCase);
        foreach (var region in regions)
        {
            var forecast = await forecasts.GetLatestForecastAsync(region, now, job.Deadline, cancellationToken);
            if (forecast is not null)
            {
                series[region] = forecast;
            }
        }

        return JobPlanner.Plan(job, new PlanningInput { Now = now, Forecasts = series, Progress = ProgressOf(state, now) }, options);
    }

    private static JobProgress? ProgressOf(JobState? state, DateTimeOffset now)
    {
        if (state is null || !state.PoolEverStarted)
        {
            return null;
        }

        var running = state.Status == JobStatus.Running;
        var ranSoFar = state.RunTime + (running && state.RunningSince is { } since ? now - since : TimeSpan.Zero);
        return new JobProgress { CompletedRunTime = ranSoFar, Region = state.Region, IsRunning = running };
    }
}
