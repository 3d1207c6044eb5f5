using CarbonFunctions.Core.Agents;
using CarbonFunctions.Core.Jobs;
using CarbonFunctions.Core.Lifecycle;
using CarbonFunctions.Handlers.Hosting;
using CarbonFunctions.Storage.Agents;
using CarbonFunctions.Storage.Planning;
using Microsoft.Extensions.Logging;

namespace CarbonFunctions.Handlers.Lifecycle;

/// <summary>
/// Runs one lifecycle command — plan, re-plan, or a pool command against the job's provider — and turns the outcome,
/// failures included, into the event the lifecycle expects. The local host calls it directly, the orchestrator through
/// its one activity, so both behave the same.
/// </summary>
public sealed class JobCommandExecutor(PoolProviders providers, IJobPlanSource planner, AgentControlTable agents, StartupTimeStore startupTimes, TimeProvider clock, ILogger<JobCommandExecutor> logger)
{
    public async Task<JobEvent> ExecuteAsync(TrainingJob job, JobState state, JobCommand command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(command);

        // The provider's own HTTP spans (Azure SDK, AWS SDK) nest under this one, so a slow start shows where it waited.
        using var span = CarbonTelemetry.StartJobSpan("job.command " + command.GetType().Name, job.Id);
        span?.SetTag("carbon.job.status", state.Status.ToString());
        try
        {
            switch (command)
            {
                case PlanJob:
                    return new JobPlanned(clock.GetUtcNow(), await planner.PlanAsync(job, null, clock.GetUtcNow(), cancellationToken));
                case ReplanJob:
                    return new JobReplanned(clock.GetUtcNow(), await planner.PlanAsync(job, state, clock.GetUtcNow(), cancellationToken));
                case RequestCheckpoint checkpoint:
                    await agents.RequestAsync(job.Id, checkpoint.ThenStop ? ControlKinds.Stop : ControlKinds.Checkpoint, checkpoint.RequestId, clock.GetUtcNow(), cancellationToken);
                    return new CheckpointRequested(clock.GetUtcNow(), checkpoint.RequestId, null);
                case StartPool when state.Status == JobStatus.StartingPool && state.Nodes > 0:
                    // A (re)started pool's agents must not act on the request that paused the last run.
                    await agents.ClearAsync(job.Id, cancellationToken);
                    break;
            }

            var provider = providers.For(job.Pool.Provider);
            var status = command switch
            {
                StartPool start => await provider.EnsureRunningAsync(PoolProviders.SpecFor(job, start.Region, start.Nodes), cancellationToken),
                PausePool => await provider.PauseAsync(job.Id, cancellationToken),
                StopPool => await provider.StopAsync(job.Id, cancellationToken),
                _ => throw new ArgumentException($"unknown command {command.GetType().Name}", nameof(command)),
            };
            logger.LogInformation("Job {JobId}: {Command} -> pool {State} with {Nodes} node(s)", job.Id, command.GetType().Name, status.State, status.RunningNodes);
            await RecordStartupAsync(job, state, command, status, cancellationToken);
            return new PoolObserved(clock.GetUtcNow(), status);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex)
        {
            // The lifecycle decides what a failure means (retry planning or a start with back-off, retry a stop on its timer).
            logger.LogWarning(ex, "Job {JobId}: {Command} failed", job.Id, command.GetType().Name);
            span.Fail(ex.Message);
            return Failed(command, clock.GetUtcNow(), ex.Message);
        }
    }

    /// <summary>
    /// A pool that came up after the lifecycle asked for it: how long that took feeds the planner's start-up allowance.
    /// Best effort — losing a sample must not turn a started pool into a failed command.
    /// </summary>
    private async Task RecordStartupAsync(TrainingJob job, JobState state, JobCommand command, Core.Pools.PoolStatus status, CancellationToken cancellationToken)
    {
        if (command is not StartPool || state.Status != JobStatus.StartingPool || state.StartRequestedAt is not { } asked
            || status.State != Core.Pools.PoolState.Running || status.RunningNodes < state.Nodes)
        {
            return;
        }

        try
        {
            await startupTimes.RecordAsync(job.Pool.Provider, job.Pool.NodeSize, clock.GetUtcNow() - asked, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogWarning(ex, "Job {JobId}: the pool's start-up time was not recorded", job.Id);
        }
    }

    /// <summary>The event a command that could not run at all stands for (also used when a Durable activity crashed).</summary>
    public static JobEvent Failed(JobCommand command, DateTimeOffset at, string reason) => command switch
    {
        PlanJob or ReplanJob => new PlanningFailed(at, reason),
        RequestCheckpoint checkpoint => new CheckpointRequested(at, checkpoint.RequestId, reason),
        _ => new PoolCommandFailed(at, $"{command.GetType().Name}: {reason}"),
    };
}
