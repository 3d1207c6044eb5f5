using CarbonFunctions.Core.Lifecycle;
using CarbonFunctions.Core.Pools;
using CarbonFunctions.Storage.Jobs;
using Microsoft.Extensions.Logging;

namespace CarbonFunctions.Handlers.Lifecycle;

/// <summary>A pool the reconciler stopped, or a job it found stuck.</summary>
public sealed record ReconcileReport(IReadOnlyList<PoolStatus> StoppedOrphans, IReadOnlyList<string> StuckJobs, IReadOnlyList<string> Errors);

/// <summary>
/// The safety net behind the lifecycle: any running pool that no job wants is stopped, and any job that has
/// stayed in one status longer than that status should take is surfaced. Runs on a timer in both hosts.
/// </summary>
public sealed class Reconciler(JobStore store, PoolProviders providers, LifecycleOptions options, TimeProvider clock, ILogger<Reconciler> logger)
{
    public async Task<ReconcileReport> RunAsync(CancellationToken cancellationToken = default)
    {
        var now = clock.GetUtcNow();
        var stopped = new List<PoolStatus>();
        var errors = new List<string>();
        foreach (var provider in providers.All)
        {
            IReadOnlyList<PoolStatus> active;
            try
            {
                active = await provider.ListActiveAsync(cancellationToken);
            }
            catch (Exception ex)
            {
                errors.Add($"{provider.Name}: cannot list pools: {ex.Message}");
                continue;
            }

            foreach (var pool in active.Where(p => p.RunningNodes > 0))
            {
                var record = await store.GetAsync(pool.PoolId, cancellationToken);
                if (record is not null && WantsPool(record.State.Status))
                {
                    continue;
                }

                var why = record is null ? "no such job" : $"job is {record.State.Status}";
                logger.LogWarning("Stopping orphaned pool {PoolId} on {Provider} ({Nodes} node(s) running): {Why}", pool.PoolId, provider.Name, pool.RunningNodes, why);
                try
                {
                    stopped.Add(await provider.StopAsync(pool.PoolId, cancellationToken));
                }
                catch (Exception ex)
                {
                    errors.Add($"{provider.Name}/{pool.PoolId}: stop failed: {ex.Message}");
                }
            }
        }

        var stuck = new List<string>();
        await foreach (var record in store.ListAsync(activeOnly: true, cancellationToken))
        {
            var bound = BoundFor(record.State.Status);
            var overdueWake = record.State.WakeAt is { } wake && now - wake > bound;
            if (overdueWake || (record.State.WakeAt is null && now - record.State.UpdatedAt > bound))
            {
                var message = $"{record.Job.Id} has been {record.State.Status} since {record.State.UpdatedAt:u} (bound {bound.TotalMinutes:0} min)";
                logger.LogWarning("Stuck job: {Message}", message);
                stuck.Add(message);
            }
        }

        logger.LogInformation("Reconciler: {Stopped} orphaned pool(s) stopped, {Stuck} stuck job(s), {Errors} error(s)", stopped.Count, stuck.Count, errors.Count);
        foreach (var error in errors)
        {
            logger.LogError("Reconciler: {Error}", error);
        }

        return new ReconcileReport(stopped, stuck, errors);
    }

    private static bool WantsPool(JobStatus status) =>
        status is JobStatus.StartingPool or JobStatus.Running or JobStatus.Checkpointing or JobStatus.Pausing or JobStatus.Stopping;

    /// <summary>How long past its own wake-up a job may sit before it counts as stuck.</summary>
    private TimeSpan BoundFor(JobStatus status) => status switch
    {
        JobStatus.Queued => TimeSpan.FromMinutes(15),
        JobStatus.StartingPool => options.PoolStartTimeout,
        JobStatus.Stopping or JobStatus.Pausing => options.RetryInterval * 5,
        JobStatus.Checkpointing => options.CheckpointTimeout,
        _ => TimeSpan.FromMinutes(30),
    };
}
