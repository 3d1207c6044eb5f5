using CarbonFunctions.Core.Forecasts;
using CarbonFunctions.Core.Jobs;
using CarbonFunctions.Core.Lifecycle;
using CarbonFunctions.Core.Planning;
using CarbonFunctions.Handlers.Lifecycle;
using CarbonFunctions.Storage.Planning;

namespace CarbonFunctions.Handlers.Planning;

/// <summary>
/// Plans jobs with <see cref="JobPlanner"/> against the newest stored forecast of each candidate region, with a start-up
/// allowance learnt from how long this provider and node size took to start (p95, never below the configured one).
/// </summary>
public sealed class ForecastJobPlanSource(IForecastStore forecasts, StartupTimeStore startupTimes, PlannerOptions options) : IJobPlanSource
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

        var observed = await startupTimes.GetAsync(job.Pool.Provider, job.Pool.NodeSize, cancellationToken);
        var allowance = StartupAllowanceEstimator.Estimate(observed, options.AllowanceFor(job.Pool));
        return JobPlanner.Plan(job, new PlanningInput { Now = now, Forecasts = series, Progress = ProgressOf(state, now), StartupAllowance = allowance }, options);
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
