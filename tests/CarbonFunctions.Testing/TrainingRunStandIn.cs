using CarbonFunctions.Core.Lifecycle;
using CarbonFunctions.Handlers.Lifecycle;
using CarbonFunctions.Storage.Jobs;

namespace CarbonFunctions.Testing;

/// <summary>
/// For host tests that run without node agents: stands in for the training run by reporting it done (what
/// <c>carbonctl jobs complete</c> reports) for every running job whose last planned slot is over. Call it from the
/// host's loop condition. It goes straight to the job's lifecycle rather than through the events queue, so that a test
/// that faults the queue or kills the host does not also delay the report past the job's deadline; a report that
/// fails (a storage fault, a crash) is tried again on the next call.
/// </summary>
public sealed class TrainingRunStandIn(JobStore store, StoredJobLifecycle lifecycle, TimeProvider clock)
{
    /// <summary>Reports done for the running jobs whose planned work is over; returns how many it reported.</summary>
    public async Task<int> FinishPlannedWorkAsync(CancellationToken cancellationToken = default)
    {
        var now = clock.GetUtcNow();
        var reported = 0;
        try
        {
            await foreach (var record in store.ListAsync(activeOnly: true, cancellationToken))
            {
                var state = record.State;
                if (state is { Status: JobStatus.Running, Plan: { } plan } && state.SlotIndex >= plan.Slots.Count - 1 && now >= plan.Slots[^1].End)
                {
                    await lifecycle.ApplyAsync(record.Job.Id, new WorkFinished(now, true, "the test's stand-in training run finished its planned work"), cancellationToken);
                    reported++;
                }
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // A faulted or crashing storage account: the job is still running, so the next call reports it again.
        }

        return reported;
    }
}
