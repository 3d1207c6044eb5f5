using CarbonFunctions.Core.Jobs;
using CarbonFunctions.Core.Lifecycle;
using Microsoft.Extensions.Logging;

namespace CarbonFunctions.Handlers.Lifecycle;

/// <summary>
/// Runs one lifecycle command against the job's pool provider and turns the outcome into the event the
/// lifecycle expects. Shared by the local host and the Durable activities, so both behave the same.
/// </summary>
public sealed class PoolCommandExecutor(PoolProviders providers, TimeProvider clock, ILogger<PoolCommandExecutor> logger)
{
    public async Task<JobEvent> ExecuteAsync(TrainingJob job, JobState state, JobCommand command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(state);
        var provider = providers.For(job.Pool.Provider);
        try
        {
            var status = command switch
            {
                StartPool start => await provider.EnsureRunningAsync(PoolProviders.SpecFor(job, start.Region, start.Nodes), cancellationToken),
                PausePool => await provider.PauseAsync(job.Id, cancellationToken),
                StopPool => await provider.StopAsync(job.Id, cancellationToken),
                _ => throw new ArgumentException($"unknown command {command.GetType().Name}", nameof(command)),
            };
            logger.LogInformation("Job {JobId}: {Command} -> pool {State} with {Nodes} node(s)", job.Id, command.GetType().Name, status.State, status.RunningNodes);
            return new PoolObserved(clock.GetUtcNow(), status);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex)
        {
            // The lifecycle decides what a failure means (retry a start, retry a stop on its timer).
            logger.LogWarning(ex, "Job {JobId}: {Command} failed", job.Id, command.GetType().Name);
            return new PoolCommandFailed(clock.GetUtcNow(), $"{command.GetType().Name}: {ex.Message}");
        }
    }
}
