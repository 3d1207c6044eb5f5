using CarbonFunctions.Core.Lifecycle;
using CarbonFunctions.Handlers.Jobs;
using CarbonFunctions.Storage.Jobs;
using Microsoft.Extensions.Logging;

namespace CarbonFunctions.Handlers.Planning;

/// <summary>
/// After new forecasts arrive, asks every job waiting for its slot to re-plan its remaining work. The lifecycle decides
/// (a <see cref="ForecastsUpdated"/> outside Planned/Paused is ignored, a plan that changes nothing is not taken); the
/// table is only read to avoid waking jobs that cannot move.
/// </summary>
public sealed class WaitingJobs(JobStore store, ILogger<WaitingJobs> logger)
{
    /// <summary>Returns how many jobs were asked.</summary>
    public async Task<int> RequestReplanAsync(IJobLifecycleHost host, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(host);
        var asked = 0;
        await foreach (var record in store.ListAsync(activeOnly: true, cancellationToken))
        {
            if (!record.State.IsWaitingForSlot)
            {
                continue;
            }

            try
            {
                if (await host.SignalAsync(record.Job.Id, new JobSignal(JobSignal.Replan, "new forecasts"), cancellationToken) == SignalOutcome.Delivered)
                {
                    asked++;
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // One job's re-plan failing keeps its current plan; the others still get theirs.
                logger.LogWarning(ex, "Re-planning {JobId} failed; it keeps its current plan", record.Job.Id);
            }
        }

        logger.LogInformation("Asked {Count} waiting job(s) to re-plan", asked);
        return asked;
    }
}
