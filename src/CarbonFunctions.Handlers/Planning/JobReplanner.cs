using CarbonFunctions.Core.Lifecycle;
using CarbonFunctions.Handlers.Lifecycle;
using CarbonFunctions.Storage.Jobs;
using Microsoft.Extensions.Logging;

namespace CarbonFunctions.Handlers.Planning;

/// <summary>
/// After new forecasts arrive, re-plans the remaining work of every job that is waiting or paused. Running
/// stretches are not moved (the lifecycle ignores a plan that would), and a plan equal to the current one is not sent.
/// </summary>
public sealed class JobReplanner(JobStore store, IJobPlanSource planner, JobRunner runner, TimeProvider clock, ILogger<JobReplanner> logger)
{
    /// <summary>Returns the ids of the jobs whose plan changed.</summary>
    public async Task<IReadOnlyList<string>> ReplanWaitingJobsAsync(CancellationToken cancellationToken = default)
    {
        var changed = new List<string>();
        var now = clock.GetUtcNow();
        await foreach (var record in store.ListAsync(activeOnly: true, cancellationToken))
        {
            if (record.State.Status is not (JobStatus.Planned or JobStatus.Paused))
            {
                continue;
            }

            try
            {
                var plan = await planner.PlanAsync(record.Job, record.State, now, cancellationToken);
                if (!record.State.WouldChangeRemainingPlan(plan))
                {
                    continue;
                }

                await runner.ApplyAsync(record.Job.Id, new JobReplanned(now, plan), cancellationToken);
                changed.Add(record.Job.Id);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // One job's re-plan failing keeps its current plan; the others still get theirs.
                logger.LogWarning(ex, "Re-planning {JobId} failed; it keeps its current plan", record.Job.Id);
            }
        }

        return changed;
    }
}
