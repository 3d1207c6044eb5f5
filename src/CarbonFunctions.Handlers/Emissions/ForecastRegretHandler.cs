using CarbonFunctions.Core.Emissions;
using CarbonFunctions.Core.Forecasts;
using CarbonFunctions.Core.Jobs;
using CarbonFunctions.Core.Lifecycle;
using CarbonFunctions.Core.Planning;
using CarbonFunctions.Storage.Jobs;

namespace CarbonFunctions.Handlers.Emissions;

/// <summary>
/// Attaches the forecast regret to an ended job's emissions report: reads the job and its state, the stored actuals from
/// submission to past the deadline, and lets <see cref="ForecastRegretCalculator"/> compare the run with its hindsight
/// plan. Regret is an addition to the report, never a reason to fail it: when the job has not completed, or actuals do
/// not cover the window yet, or a read fails, the report goes out without it (and the next rebuild tries again).
/// </summary>
public sealed class ForecastRegretHandler(
    Func<string, CancellationToken, Task<(TrainingJob Job, JobState State)?>> jobs,
    IForecastStore forecasts,
    PlannerOptions planner)
{
    /// <summary>The handler over the service's job table.</summary>
    public static ForecastRegretHandler For(JobStore store, IForecastStore forecasts, PlannerOptions planner)
    {
        ArgumentNullException.ThrowIfNull(store);
        return new ForecastRegretHandler(
            async (id, ct) => await store.GetAsync(id, ct) is { } record ? (record.Job, record.State) : null,
            forecasts,
            planner);
    }

    /// <summary>The report with its regret when it can be known; the report as it was otherwise.</summary>
    public static async Task<EmissionsReport> AttachAsync(JobStore? store, IForecastStore forecasts, PlannerOptions? planner, EmissionsReport report, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(report);
        if (store is null || planner is null)
        {
            return report;
        }

        var outcome = await For(store, forecasts, planner).ComputeAsync(report, cancellationToken);
        return report with { ForecastRegret = outcome.Regret };
    }

    public async Task<ForecastRegretOutcome> ComputeAsync(EmissionsReport report, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(report);
        try
        {
            if (await jobs(report.JobId, cancellationToken) is not { } found)
            {
                return new(null, $"no job '{report.JobId}' on record");
            }

            if (found.State.Status != JobStatus.Completed || found.State.Region is not { } region || ForecastRegretCalculator.ActualsWindow(found.Job, report) is not { } window)
            {
                return ForecastRegretCalculator.Compute(found.Job, found.State, report, null, planner);
            }

            var actuals = await forecasts.GetActualsAsync(region, window.From, window.To, cancellationToken);
            return ForecastRegretCalculator.Compute(found.Job, found.State, report, actuals, planner);
        }
        catch (Exception ex) when (ex is ArgumentException or Azure.RequestFailedException or InvalidOperationException)
        {
            // A window longer than the store allows, or a storage fault: the report is still worth saving.
            return new(null, $"regret not computed: {ex.Message}");
        }
    }
}
