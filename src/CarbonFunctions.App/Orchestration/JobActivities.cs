using CarbonFunctions.Core.Jobs;
using CarbonFunctions.Core.Planning;
using CarbonFunctions.Handlers.Lifecycle;
using CarbonFunctions.Storage.Jobs;

namespace CarbonFunctions.App.Orchestration;

/// <summary>
/// What the orchestrator's activities do, with no Functions types: the shared handlers, called with the
/// orchestration's serializable inputs. The <c>[ActivityTrigger]</c> functions are one-line wrappers over these.
/// </summary>
public sealed class JobActivities(PoolCommandExecutor executor, IJobPlanSource planner, JobStore store)
{
    private const int MaxConflictRetries = 8;

    public async Task<PoolCommandOutcome> ExecutePoolCommandAsync(PoolCommandRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var job = JobContract.ReadStored(request.Job);
        var evt = await executor.ExecuteAsync(job, request.State, request.ToCommand(), cancellationToken);
        return PoolCommandOutcome.From(evt);
    }

    public async Task<JobPlan> PlanJobAsync(PlanRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        return await planner.PlanAsync(JobContract.ReadStored(request.Job), request.State, request.At, cancellationToken);
    }

    /// <summary>
    /// Writes the orchestration's state to the jobs table, so that <c>carbonctl jobs show</c>, the status API and the
    /// reconciler see it. The orchestration is the only writer after intake; the ETag loop covers a concurrent intake retry.
    /// </summary>
    public async Task RecordJobStateAsync(JobStateRecord record, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(record);
        for (var attempt = 0; attempt < MaxConflictRetries; attempt++)
        {
            var stored = await store.GetAsync(record.State.JobId, cancellationToken);
            if (stored is null)
            {
                if (await store.TryAddAsync(JobContract.ReadStored(record.Job), record.State, cancellationToken))
                {
                    return;
                }

                continue;
            }

            // Activities run at least once: an older state arriving after a newer one must not overwrite it.
            if (stored.State.UpdatedAt > record.State.UpdatedAt)
            {
                return;
            }

            if (await store.TryUpdateAsync(stored, record.State, cancellationToken))
            {
                return;
            }
        }

        throw new InvalidOperationException($"job {record.State.JobId}: gave up recording its state after {MaxConflictRetries} concurrent updates");
    }
}
