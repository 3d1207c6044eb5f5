using System.Collections.Concurrent;
using CarbonFunctions.Core.Jobs;
using CarbonFunctions.Core.Lifecycle;
using CarbonFunctions.Core.Planning;
using CarbonFunctions.Core.Pools;
using CarbonFunctions.Handlers.Lifecycle;

namespace CarbonFunctions.Integration.Tests;

/// <summary>A pool provider behind the port that counts calls and starts instantly (the cloud is not under test here).</summary>
internal sealed class CountingPoolProvider : IPoolProvider
{
    private readonly ConcurrentDictionary<string, PoolStatus> _pools = new();
    private int _starts;

    public string Name => "counting";

    public int Starts => _starts;

    public ConcurrentQueue<string> Calls { get; } = new();

    /// <summary>Adds delay inside EnsureRunning so that competing hosts overlap.</summary>
    public TimeSpan StartLatency { get; init; }

    public async Task<PoolStatus> EnsureRunningAsync(PoolSpec spec, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _starts);
        Calls.Enqueue($"start {spec.PoolId} {spec.Nodes}");
        await Task.Delay(StartLatency, cancellationToken);
        return _pools[spec.PoolId] = new PoolStatus { PoolId = spec.PoolId, State = PoolState.Running, RunningNodes = spec.Nodes, RequestedNodes = spec.Nodes, Region = spec.Region };
    }

    public Task<PoolStatus> PauseAsync(string poolId, CancellationToken cancellationToken)
    {
        Calls.Enqueue($"pause {poolId}");
        return Task.FromResult(_pools[poolId] = new PoolStatus { PoolId = poolId, State = PoolState.Paused, RunningNodes = 0 });
    }

    public Task<PoolStatus> StopAsync(string poolId, CancellationToken cancellationToken)
    {
        Calls.Enqueue($"stop {poolId}");
        return Task.FromResult(_pools[poolId] = new PoolStatus { PoolId = poolId, State = PoolState.Stopped, RunningNodes = 0 });
    }

    public Task<PoolStatus> GetStatusAsync(string poolId, CancellationToken cancellationToken) =>
        Task.FromResult(_pools.TryGetValue(poolId, out var status) ? status : PoolStatus.NotFound(poolId));

    public Task<IReadOnlyList<PoolStatus>> ListActiveAsync(CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<PoolStatus>>([.. _pools.Values.Where(p => p.RunningNodes > 0)]);

    /// <summary>Makes a pool appear running without any job asking for it (an orphan left by a crash or by hand).</summary>
    public void AddOrphan(string poolId, int nodes) =>
        _pools[poolId] = new PoolStatus { PoolId = poolId, State = PoolState.Running, RunningNodes = nodes };
}

/// <summary>Plans every job as fixed slots relative to now (the planner itself is tested in Core.Tests).</summary>
internal sealed class FixedPlanSource(params (TimeSpan Offset, TimeSpan Length, int Nodes)[] slots) : IJobPlanSource
{
    public Task<JobPlan> PlanAsync(TrainingJob job, JobState? state, DateTimeOffset now, CancellationToken cancellationToken) =>
        Task.FromResult(new JobPlan
        {
            JobId = job.Id,
            Policy = "fixed",
            Region = job.Regions[0],
            PlannedAt = now,
            Slots = [.. slots.Select(s => new PlannedSlot(now + s.Offset, now + s.Offset + s.Length, s.Nodes, job.Regions[0], 1000))],
            ExpectedGramsCo2e = 1000 * slots.Length,
            RunNowGramsCo2e = 1500 * slots.Length,
            MeetsDeadline = true,
        });
}
