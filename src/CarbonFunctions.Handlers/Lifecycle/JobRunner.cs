using CarbonFunctions.Core.Lifecycle;
using CarbonFunctions.Storage.Jobs;
using Microsoft.Extensions.Logging;

namespace CarbonFunctions.Handlers.Lifecycle;

/// <summary>
/// The local host's interpreter of <see cref="JobLifecycle"/>: state in the jobs Table, guarded by ETag.
/// A decision is persisted before its commands run, and only by the host that wins the ETag race, so two
/// hosts on one account never both act on the same step. A command lost to a crash is repeated by the
/// job's own wake-up timer (starting pools are polled, pauses and stops retried until confirmed).
/// </summary>
public sealed class JobRunner(JobStore store, PoolCommandExecutor executor, LifecycleOptions options, ILogger<JobRunner> logger)
{
    private const int MaxConflictRetries = 8;
    private const int MaxChainedEvents = 16;

    /// <summary>Applies one event to a job, then the events its commands produce. Returns the final state, or null for an unknown job.</summary>
    public async Task<JobState?> ApplyAsync(string jobId, JobEvent evt, CancellationToken cancellationToken = default)
    {
        JobState? last = null;
        var pending = new Queue<JobEvent>();
        pending.Enqueue(evt);
        for (var chained = 0; pending.Count > 0 && chained < MaxChainedEvents; chained++)
        {
            var current = pending.Dequeue();
            var outcome = await DecideAndPersistAsync(jobId, current, cancellationToken);
            if (outcome is null)
            {
                return last;
            }

            var (record, decision) = outcome.Value;
            last = decision.State;
            foreach (var command in decision.Commands)
            {
                pending.Enqueue(await executor.ExecuteAsync(record.Job, decision.State, command, cancellationToken));
            }
        }

        return last;
    }

    private async Task<(JobRecord Record, JobDecision Decision)?> DecideAndPersistAsync(string jobId, JobEvent evt, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < MaxConflictRetries; attempt++)
        {
            var record = await store.GetAsync(jobId, cancellationToken);
            if (record is null)
            {
                logger.LogWarning("Event {Event} for unknown job {JobId} ignored", evt.GetType().Name, jobId);
                return null;
            }

            var decision = JobLifecycle.Decide(record.Job, record.State, evt, options);
            if (decision.Ignored)
            {
                return (record, decision with { Commands = [] });
            }

            if (await store.TryUpdateAsync(record, decision.State, cancellationToken))
            {
                if (decision.State.Status != record.State.Status)
                {
                    logger.LogInformation("Job {JobId}: {From} -> {To}: {Reason}", jobId, record.State.Status, decision.State.Status, decision.State.History is [.., var latest] ? latest.Reason : null);
                }

                return (record, decision);
            }

            // Another host changed the job first: decide again on what it wrote.
        }

        throw new InvalidOperationException($"job {jobId}: gave up after {MaxConflictRetries} concurrent updates");
    }
}
