using CarbonFunctions.Core.Jobs;
using CarbonFunctions.Core.Lifecycle;
using CarbonFunctions.Handlers.Jobs;
using CarbonFunctions.Storage.Jobs;
using Microsoft.Extensions.Logging;

namespace CarbonFunctions.Handlers.Lifecycle;

/// <summary>
/// The lifecycle loop over the jobs table: the local host's interpreter (and, in the Functions app, only for a job whose
/// orchestration never started). Each decision is written with the row's ETag before its commands run, so two hosts on
/// one account never both act on the same step; a command lost to a crash is repeated by the job's own wake-up timer.
/// </summary>
public sealed class StoredJobLifecycle(JobStore store, JobCommandExecutor executor, LifecycleOptions options, TimeProvider clock, ILogger<StoredJobLifecycle> logger)
    : IJobLifecycleHost
{
    public async Task StartAsync(JobRecord stored, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stored);
        await ApplyAsync(stored.Job, new JobSubmitted(clock.GetUtcNow()), cancellationToken);
    }

    public async Task<SignalOutcome> SignalAsync(string jobId, JobSignal signal, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(signal);
        if (!Core.Jobs.JobContract.IsValidJobId(jobId) || await store.GetAsync(jobId, cancellationToken) is not { } record)
        {
            return SignalOutcome.UnknownJob;
        }

        if (record.State.IsTerminal)
        {
            return SignalOutcome.JobEnded;
        }

        await ApplyAsync(record.Job, signal.ToEvent(clock.GetUtcNow()), cancellationToken);
        return SignalOutcome.Delivered;
    }

    public async Task AbandonAsync(string jobId, string reason, CancellationToken cancellationToken) =>
        await ApplyAsync(jobId, new PlanningFailed(clock.GetUtcNow(), reason, Retryable: false), cancellationToken);

    /// <summary>Applies one event and the events its commands produce; the final state, or null for an unknown job.</summary>
    public async Task<JobState?> ApplyAsync(string jobId, JobEvent evt, CancellationToken cancellationToken = default)
    {
        var record = await store.GetAsync(jobId, cancellationToken);
        return record is null ? null : await ApplyAsync(record.Job, evt, cancellationToken);
    }

    /// <summary>For a job already read: the loop's ETag-guarded writes read the current state themselves.</summary>
    private Task<JobState?> ApplyAsync(TrainingJob job, JobEvent evt, CancellationToken cancellationToken) =>
        LifecycleLoop.ApplyAsync(job, evt, options, new TableEffects(store, executor, job, cancellationToken), logger);

    private sealed class TableEffects(JobStore store, JobCommandExecutor executor, TrainingJob job, CancellationToken cancellationToken) : ILifecycleEffects
    {
        public async Task<JobDecision?> DecideAndRecordAsync(Func<JobState, JobDecision> decide)
        {
            JobDecision? taken = null;
            var record = await store.UpdateAsync(
                job.Id,
                stored =>
                {
                    taken = decide(stored.State);
                    return taken.Ignored || ReferenceEquals(taken.State, stored.State) ? null : taken.State;
                },
                cancellationToken);
            return record is null ? null : taken;
        }

        public Task<JobEvent> ExecuteAsync(JobState state, JobCommand command) => executor.ExecuteAsync(job, state, command, cancellationToken);
    }
}
