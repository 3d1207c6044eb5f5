using System.Collections.Concurrent;
using CarbonFunctions.Core.Pools;

namespace CarbonFunctions.App.Tests.Scenarios;

/// <summary>How the scripted cloud behaves in a scenario.</summary>
internal sealed record PoolBehaviour
{
    /// <summary>Starts that throw (quota) before one succeeds; int.MaxValue: never.</summary>
    public int StartFailures { get; init; }

    /// <summary>When true, a start is accepted but the pool never reports Running.</summary>
    public bool NeverRunning { get; init; }

    public int PauseFailures { get; init; }
    public int StopFailures { get; init; }
}

/// <summary>A pool provider behind the port that follows a <see cref="PoolBehaviour"/> and records every call.</summary>
internal sealed class ScenarioPool(PoolBehaviour behaviour) : IPoolProvider
{
    private int _startFailures = behaviour.StartFailures;
    private int _pauseFailures = behaviour.PauseFailures;
    private int _stopFailures = behaviour.StopFailures;

    public ConcurrentQueue<(string Command, DateTimeOffset At)> Calls { get; } = new();

    public string Name => "scenario";

    /// <summary>The commands in order, repeats in a row collapsed (polls and retries depend on timing; their order does not).</summary>
    public IReadOnlyList<string> Commands
    {
        get
        {
            var commands = new List<string>();
            foreach (var (command, _) in Calls)
            {
                if (commands.Count == 0 || commands[^1] != command)
                {
                    commands.Add(command);
                }
            }

            return commands;
        }
    }

    public Task<PoolStatus> EnsureRunningAsync(PoolSpec spec, CancellationToken cancellationToken)
    {
        Calls.Enqueue(($"start {spec.Nodes}", DateTimeOffset.UtcNow));
        if (Interlocked.Decrement(ref _startFailures) >= 0)
        {
            throw new InvalidOperationException("QuotaExceeded: no capacity for " + spec.NodeSize);
        }

        return Task.FromResult(behaviour.NeverRunning
            ? new PoolStatus { PoolId = spec.PoolId, State = PoolState.Starting, RunningNodes = 0, RequestedNodes = spec.Nodes, Region = spec.Region }
            : new PoolStatus { PoolId = spec.PoolId, State = PoolState.Running, RunningNodes = spec.Nodes, RequestedNodes = spec.Nodes, Region = spec.Region });
    }

    public Task<PoolStatus> PauseAsync(string poolId, CancellationToken cancellationToken)
    {
        Calls.Enqueue(("pause", DateTimeOffset.UtcNow));
        return Interlocked.Decrement(ref _pauseFailures) >= 0
            ? throw new TimeoutException("deallocate timed out")
            : Task.FromResult(new PoolStatus { PoolId = poolId, State = PoolState.Paused, RunningNodes = 0 });
    }

    public Task<PoolStatus> StopAsync(string poolId, CancellationToken cancellationToken)
    {
        Calls.Enqueue(("stop", DateTimeOffset.UtcNow));
        return Interlocked.Decrement(ref _stopFailures) >= 0
            ? throw new TimeoutException("delete timed out")
            : Task.FromResult(PoolStatus.NotFound(poolId));
    }

    public Task<PoolStatus> GetStatusAsync(string poolId, CancellationToken cancellationToken) => Task.FromResult(PoolStatus.NotFound(poolId));

    public Task<IReadOnlyList<PoolStatus>> ListActiveAsync(CancellationToken cancellationToken) => Task.FromResult<IReadOnlyList<PoolStatus>>([]);
}
