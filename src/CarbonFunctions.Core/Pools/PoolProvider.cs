using CarbonFunctions.Core.Jobs;

namespace CarbonFunctions.Core.Pools;

/// <summary>What a pool is doing, as the cloud reports it.</summary>
public enum PoolState
{
    /// <summary>No node is running or allocated (deallocated VMs, stopped or terminated instances, or never created).</summary>
    Stopped,
    Starting,
    Running,

    /// <summary>Deallocated/stopped but kept for a resume (disks and reservations remain).</summary>
    Paused,
    Stopping,
    Failed,
}

/// <summary>The desired shape of a pool. <see cref="PoolId"/> is the job id, so a retried command finds the same pool.</summary>
public sealed record PoolSpec
{
    public required string PoolId { get; init; }
    public required PoolKind Kind { get; init; }
    public required CloudProvider Provider { get; init; }
    public required string Region { get; init; }
    public required string NodeSize { get; init; }
    public required int Nodes { get; init; }

    /// <summary>Tags written on every cloud resource (owner, job id) so that the reconciler can find orphans.</summary>
    public IReadOnlyDictionary<string, string> Tags { get; init; } = new Dictionary<string, string>();
}

/// <summary>A pool's observed state.</summary>
public sealed record PoolStatus
{
    public required string PoolId { get; init; }
    public required PoolState State { get; init; }

    /// <summary>Nodes that are running (billing for compute) right now.</summary>
    public required int RunningNodes { get; init; }

    public int RequestedNodes { get; init; }
    public string? Region { get; init; }
    public string? NodeSize { get; init; }

    /// <summary>Why a pool failed or is partially up (quota, capacity, throttling), in the provider's words.</summary>
    public string? Detail { get; init; }

    public static PoolStatus NotFound(string poolId) => new() { PoolId = poolId, State = PoolState.Stopped, RunningNodes = 0 };
}

/// <summary>
/// A cloud's accelerator pools. Every call is idempotent: ensuring a running pool runs is a no-op,
/// stopping a stopped one too; commands are retried at least once under at-least-once delivery.
/// </summary>
public interface IPoolProvider
{
    /// <summary>"azure", "aws" or "simulated".</summary>
    string Name { get; }

    /// <summary>Starts, resumes or resizes the pool so that <see cref="PoolSpec.Nodes"/> nodes run.</summary>
    Task<PoolStatus> EnsureRunningAsync(PoolSpec spec, CancellationToken cancellationToken);

    /// <summary>Deallocates/stops every node but keeps the pool for a resume.</summary>
    Task<PoolStatus> PauseAsync(string poolId, CancellationToken cancellationToken);

    /// <summary>Stops the pool for good (deallocate tagged VMs and set scale sets to 0, or terminate launched instances).</summary>
    Task<PoolStatus> StopAsync(string poolId, CancellationToken cancellationToken);

    Task<PoolStatus> GetStatusAsync(string poolId, CancellationToken cancellationToken);

    /// <summary>Every pool this provider manages that has any node running, for the reconciler.</summary>
    Task<IReadOnlyList<PoolStatus>> ListActiveAsync(CancellationToken cancellationToken);
}
