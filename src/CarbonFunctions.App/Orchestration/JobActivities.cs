using CarbonFunctions.Core.Jobs;
using CarbonFunctions.Core.Lifecycle;
using CarbonFunctions.Handlers.Lifecycle;
using CarbonFunctions.Storage.Jobs;

namespace CarbonFunctions.App.Orchestration;

/// <summary>
/// What the orchestrator's two activities do, with no Functions types: the shared command executor, and the mirror of the
/// orchestration's state in the jobs table. The <c>[ActivityTrigger]</c> functions are one-line wrappers over these.
/// </summary>
public sealed class JobActivities(JobCommandExecutor executor, JobStore store)
{
    public async Task<JobCommandOutcome> ExecuteJobCommandAsync(JobCommandRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        return new JobCommandOutcome(await executor.ExecuteAsync(JobContract.ReadStored(request.Job), request.State, request.Command, cancellationToken));
    }

    /// <summary>
    /// Writes the orchestration's state to the jobs table, so that <c>carbonctl jobs show</c>, the status API and the
    /// reconciler see it. Activities run at least once: an older state arriving after a newer one never overwrites it.
    /// </summary>
    public async Task RecordJobStateAsync(JobStateRecord record, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(record);
        var state = record.State;
        JobState? Newer(JobRecord stored) => stored.State.UpdatedAt > state.UpdatedAt ? null : state;
        if (await store.UpdateAsync(state.JobId, Newer, cancellationToken) is null
            && !await store.TryAddAsync(JobContract.ReadStored(record.Job), state, cancellationToken))
        {
            // Added by a concurrent intake retry between the two calls: apply the same rule to what it wrote.
            await store.UpdateAsync(state.JobId, Newer, cancellationToken);
        }
    }
}
