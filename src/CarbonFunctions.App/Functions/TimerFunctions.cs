using CarbonFunctions.App.Orchestration;
using CarbonFunctions.Core.Configuration;
using CarbonFunctions.Core.Lifecycle;
using CarbonFunctions.Handlers.Forecasts;
using CarbonFunctions.Handlers.Lifecycle;
using CarbonFunctions.Storage.Jobs;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;

namespace CarbonFunctions.App.Functions;

/// <summary>
/// The two timers: forecast ingestion (then a "replan" event to every job waiting for its slot, whose orchestration
/// re-plans with the new forecast) and the reconciler (stops orphaned pools, reports stuck jobs).
/// </summary>
public sealed class TimerFunctions(ForecastIngestion ingestion, Reconciler reconciler, JobStore store, ILogger<TimerFunctions> logger)
{
    /// <summary>Every ten minutes: an orphaned pool costs money by the minute, and one run lists every pool once.</summary>
    public const string ReconcileSchedule = "0 */10 * * * *";

    [Function("IngestForecasts")]
    public async Task IngestForecastsAsync(
        [TimerTrigger("%" + AppSettingNames.ForecastsSchedule + "%")] TimerInfo timer,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(timer);
        var results = await ingestion.RunAsync(cancellationToken);
        foreach (var failed in results.Where(r => r.Status == IngestionStatus.Failed))
        {
            logger.LogWarning("Forecasts for {Region} ({Provider}) not ingested: {Reason}", failed.Region, failed.Provider, failed.Reason);
        }

        var stored = results.Count(r => r.Status != IngestionStatus.Failed);
        logger.LogInformation("Forecast ingestion: {Stored} of {Total} region(s) stored{Late}", stored, results.Count, timer.IsPastDue ? " (run was late)" : string.Empty);
        if (stored == 0)
        {
            return;
        }

        var signalled = 0;
        await foreach (var record in store.ListAsync(activeOnly: true, cancellationToken))
        {
            // The table mirrors each orchestration's state; only a job waiting for a slot can move.
            if (record.State.Status is JobStatus.Planned or JobStatus.Paused
                && await JobOrchestrationClient.RaiseAsync(client, record.Job.Id, OrchestrationNames.ReplanEvent, new JobSignal("new forecasts"), cancellationToken))
            {
                signalled++;
            }
        }

        logger.LogInformation("Asked {Count} waiting job(s) to re-plan", signalled);
    }

    [Function("ReconcilePools")]
    public async Task ReconcileAsync([TimerTrigger(ReconcileSchedule)] TimerInfo timer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(timer);
        var report = await reconciler.RunAsync(cancellationToken);
        logger.LogInformation(
            "Reconciler: {Stopped} orphaned pool(s) stopped, {Stuck} stuck job(s), {Errors} error(s)",
            report.StoppedOrphans.Count,
            report.StuckJobs.Count,
            report.Errors.Count);
        foreach (var error in report.Errors)
        {
            logger.LogError("Reconciler: {Error}", error);
        }
    }
}
