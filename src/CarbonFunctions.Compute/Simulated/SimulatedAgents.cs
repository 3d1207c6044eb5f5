using System.Diagnostics;
using System.Globalization;

namespace CarbonFunctions.Compute.Simulated;

/// <summary>
/// The node agents of simulated pools as real child processes of the host, one per running node
/// (<see cref="SimulatedPoolOptions.AgentCommand"/>). A node's agent is started once per run of the node: an agent
/// that exited (its workload finished) is not started again until the pool is paused and resumed. Pausing or
/// stopping a pool sends SIGTERM to its agents, which checkpoint the workload (or, already checkpointed on the
/// lifecycle's request, just exit) and acknowledge before they exit; only an agent still up after
/// <see cref="SimulatedPoolOptions.AgentStopTimeout"/> is killed.
/// </summary>
public sealed class SimulatedAgents(SimulatedPoolOptions options) : IDisposable
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, SortedDictionary<int, Process>> _pools = new(StringComparer.Ordinal);

    /// <summary>The command for one node: <c>{jobId}</c>/<c>{poolId}</c> and <c>{node}</c> in any element are replaced.</summary>
    public static IReadOnlyList<string> CommandFor(IReadOnlyList<string> template, string poolId, int node)
    {
        ArgumentNullException.ThrowIfNull(template);
        var index = node.ToString(CultureInfo.InvariantCulture);
        return [.. template.Select(part => part.Replace("{jobId}", poolId, StringComparison.Ordinal).Replace("{poolId}", poolId, StringComparison.Ordinal).Replace("{node}", index, StringComparison.Ordinal))];
    }

    /// <summary>Process ids of a pool's agents that are still running, by node.</summary>
    public IReadOnlyDictionary<int, int> Running(string poolId)
    {
        lock (_gate)
        {
            return _pools.TryGetValue(poolId, out var nodes)
                ? nodes.Where(n => !n.Value.HasExited).ToDictionary(n => n.Key, n => n.Value.Id)
                : new Dictionary<int, int>();
        }
    }

    /// <summary>Starts agents for nodes 0..<paramref name="nodes"/>-1 not started in this run; stops those above (a scale-in).</summary>
    public async Task ReconcileAsync(string poolId, int nodes)
    {
        if (options.AgentCommand is not { Count: > 0 } template)
        {
            return;
        }

        List<Process> removed;
        lock (_gate)
        {
            if (!_pools.TryGetValue(poolId, out var started))
            {
                started = [];
                _pools[poolId] = started;
            }

            for (var node = 0; node < nodes; node++)
            {
                if (!started.ContainsKey(node))
                {
                    started[node] = Start(CommandFor(template, poolId, node));
                }
            }

            removed = [.. started.Where(n => n.Key >= nodes).Select(n => n.Value)];
            foreach (var node in started.Keys.Where(k => k >= nodes).ToList())
            {
                started.Remove(node);
            }
        }

        await StopAsync(removed).ConfigureAwait(false);
    }

    /// <summary>Stops every agent of a pool (pause or stop of the pool); the next start is a new run.</summary>
    public async Task StopAllAsync(string poolId)
    {
        List<Process> agents;
        lock (_gate)
        {
            agents = _pools.Remove(poolId, out var nodes) ? [.. nodes.Values] : [];
        }

        await StopAsync(agents).ConfigureAwait(false);
    }

    public void Dispose()
    {
        List<Process> all;
        lock (_gate)
        {
            all = [.. _pools.Values.SelectMany(n => n.Values)];
            _pools.Clear();
        }

        foreach (var agent in all)
        {
            if (!agent.HasExited)
            {
                agent.Kill(entireProcessTree: true);
            }

            agent.Dispose();
        }
    }

    private Process Start(IReadOnlyList<string> command)
    {
        var info = new ProcessStartInfo(command[0])
        {
            UseShellExecute = false,
            WorkingDirectory = options.AgentWorkingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var argument in command.Skip(1))
        {
            info.ArgumentList.Add(argument);
        }

        return Process.Start(info) ?? throw new InvalidOperationException($"{command[0]} did not start");
    }

    private async Task StopAsync(List<Process> agents)
    {
        foreach (var agent in agents.Where(a => !a.HasExited))
        {
            // kill(1) rather than P/Invoke: this is the local simulation, and SIGTERM is what a VM shutdown sends.
            using var term = Process.Start(new ProcessStartInfo("kill", ["-TERM", agent.Id.ToString(CultureInfo.InvariantCulture)]) { UseShellExecute = false });
            if (term is not null)
            {
                await term.WaitForExitAsync().ConfigureAwait(false);
            }
        }

        foreach (var agent in agents)
        {
            using var timeout = new CancellationTokenSource(options.AgentStopTimeout);
            try
            {
                await agent.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                agent.Kill(entireProcessTree: true);
                await agent.WaitForExitAsync().ConfigureAwait(false);
            }

            agent.Dispose();
        }
    }
}
