using CarbonFunctions.Core.Jobs;
using CarbonFunctions.Core.Lifecycle;
using Microsoft.Extensions.Logging;

namespace CarbonFunctions.Handlers.Lifecycle;

/// <summary>
/// What the lifecycle loop needs from its host. The Durable orchestrator implements it with activities (state held in
/// the orchestration), the local host with direct calls and ETag-guarded writes to the jobs table.
/// </summary>
public interface ILifecycleEffects
{
    /// <summary>
    /// Runs <paramref name="decide"/> on the job's current state and records the new state unless the decision was
    /// ignored or changed nothing. A host whose write can lose a race decides again on the state that won. Null when
    /// the job does not exist.
    /// </summary>
    Task<JobDecision?> DecideAndRecordAsync(Func<JobState, JobDecision> decide);

    /// <summary>Runs one command; every outcome, failures included, comes back as the event the lifecycle expects.</summary>
    Task<JobEvent> ExecuteAsync(JobState state, JobCommand command);
}

/// <summary>
/// The one interpreter loop of <see cref="JobLifecycle.Decide"/>, shared by both hosts: decide, record the new state,
/// run its commands, and feed their outcomes back as events, up to <see cref="MaxChainedEvents"/>. It awaits nothing but
/// the effects, so that it stays deterministic under Durable replay (and so must not use ConfigureAwait(false)).
/// </summary>
public static class LifecycleLoop
{
    /// <summary>A decision chain this long means a provider answering nonsense; the job's own timer picks up from there.</summary>
    public const int MaxChainedEvents = 16;

    /// <summary>Applies an event and the events its commands produce; returns the last state, or null for an unknown job.</summary>
    public static async Task<JobState?> ApplyAsync(TrainingJob job, JobEvent first, LifecycleOptions options, ILifecycleEffects effects, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(effects);
        ArgumentNullException.ThrowIfNull(logger);
        JobState? last = null;
        var pending = new Queue<JobEvent>();
        pending.Enqueue(first);
        for (var chained = 0; pending.Count > 0; chained++)
        {
            if (chained == MaxChainedEvents)
            {
                logger.LogWarning("Job {JobId}: {Count} chained event(s) left undecided after {Max}; the job's timer takes over", job.Id, pending.Count, MaxChainedEvents);
                break;
            }

            var evt = pending.Dequeue();
            JobStatus? before = null;
            var decision = await effects.DecideAndRecordAsync(state =>
            {
                before = state.Status;
                return JobLifecycle.Decide(job, state, evt, options);
            });
            if (decision is null)
            {
                logger.LogWarning("Event {Event} for unknown job {JobId} ignored", evt.GetType().Name, job.Id);
                return last;
            }

            last = decision.State;
            if (decision.Ignored)
            {
                continue;
            }

            if (before != decision.State.Status)
            {
                logger.LogInformation("Job {JobId}: {From} -> {To}: {Reason}", job.Id, before, decision.State.Status, decision.State.History is [.., var latest] ? latest.Reason : null);
            }

            foreach (var command in decision.Commands)
            {
                pending.Enqueue(await effects.ExecuteAsync(decision.State, command));
            }
        }

        return last;
    }
}
