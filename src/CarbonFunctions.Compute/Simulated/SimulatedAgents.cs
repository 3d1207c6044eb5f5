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
public sealed class SimulatedAgents(SimulatedPoolOptions options, TimeProvider? clock = null) : IDisposable
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
                    started[node] = Start(CommandFor(template, poolId, node), poolId, node);
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

    private Process Start(IReadOnlyList<string> command, string poolId, int node)
    {
        var info = new ProcessStartInfo(command[0])
        {
            UseShellExecute = false,
            WorkingDirectory = options.AgentWorkingDirectory ?? Environment.CurrentDirectory,

            // The host's stdout is its result (carbonctl demo --json): an agent's output goes to its log or to stderr.
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in command.Skip(1))
        {
            info.ArgumentList.Add(argument);
        }

        if (clock is Core.Simulation.ScaledClock scaled)
        {
            // The agent runs on the host's scaled clock (the demo): same anchor, same scale, so both agree on the time.
            info.Environment["CARBON_AGENT_Agent__Clock"] = scaled.ToString();
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException($"{command[0]} did not start");
        var log = OpenLog(poolId, node);
        process.OutputDataReceived += (_, line) => Write(log, line.Data);
        process.ErrorDataReceived += (_, line) => Write(log, line.Data);
        process.Exited += (_, _) => CloseLog(log);
        process.EnableRaisingEvents = true;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private TextWriter OpenLog(string poolId, int node)
    {
        if (options.AgentLogDirectory is not { } directory)
        {
            // Console.Error is synchronised already, and is never closed here (CloseLog skips it).
            return Console.Error;
        }

        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, $"{poolId}-node{node.ToString(CultureInfo.InvariantCulture)}.log");
        return TextWriter.Synchronized(new StreamWriter(path, append: true) { AutoFlush = true });
    }

    private static void Write(TextWriter log, string? line)
    {
        if (line is null)
        {
            return;
        }

        try
        {
            log.WriteLine(line);
        }
        catch (ObjectDisposedException)
        {
            // The agent exited and its log was closed while a last line was in flight: that line is dropped.
        }
    }

    private static void CloseLog(TextWriter log)
    {
        if (!ReferenceEquals(log, Console.Error))
        {
            // Late output lines may still arrive after Exited; a synchronised writer over a closed stream drops them.
            _ = Task.Delay(TimeSpan.FromSeconds(1)).ContinueWith(_ => log.Dispose(), TaskScheduler.Default);
        }
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
