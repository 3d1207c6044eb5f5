using CarbonFunctions.Core.Lifecycle;
using CarbonFunctions.Storage.Jobs;
using CarbonFunctions.Storage.Queues;

namespace CarbonFunctions.Testing;

/// <summary>
/// For host tests that run without node agents: stands in for the training run the way a user would, by sending
/// <c>complete</c> on the job-events queue for every running job whose last planned slot is over (what
/// <c>carbonctl jobs complete</c> sends). Call it from the host's loop condition; it sends once per job.
/// </summary>
public sealed class TrainingRunStandIn(JobStore store, JobEventQueue events, TimeProvider clock)
{
    private readonly HashSet<string> _sent = new(StringComparer.Ordinal);

    /// <summary>Sends <c>complete</c> for the jobs whose planned work is over; returns how many it sent.</summary>
    public async Task<int> FinishPlannedWorkAsync(CancellationToken cancellationToken = default)
    {
        var now = clock.GetUtcNow();
        var sent = 0;
        await foreach (var record in store.ListAsync(activeOnly: true, cancellationToken))
        {
            var state = record.State;
            if (state is { Status: JobStatus.Running, Plan: { } plan } && state.SlotIndex >= plan.Slots.Count - 1 && now >= plan.Slots[^1].End
                && _sent.Add(record.Job.Id))
            {
                await events.SendAsync(new JobEventMessage(record.Job.Id, JobSignal.Complete, "the test's stand-in training run finished its planned work", now), cancellationToken);
                sent++;
            }
        }

        return sent;
    }
}
