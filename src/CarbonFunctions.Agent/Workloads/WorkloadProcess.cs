using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace CarbonFunctions.Agent.Workloads;

/// <summary>A started workload: its exit, the checkpoint signal, and a hard kill; its output goes to the agent's log.</summary>
public sealed class WorkloadProcess : IDisposable
{
    private readonly Process _process;
    private readonly TaskCompletionSource<int> _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private WorkloadProcess(Process process) => _process = process;

    public int Pid => _process.Id;

    /// <summary>Completes with the exit code (128 + n for a process killed by signal n).</summary>
    public Task<int> Exited => _exited.Task;

    public bool HasExited => _exited.Task.IsCompleted;

    public static WorkloadProcess Start(LaunchPlan plan, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(logger);
        var info = new ProcessStartInfo(plan.FileName)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = plan.WorkingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var argument in plan.Arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in plan.Environment)
        {
            info.Environment[name] = value;
        }

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var workload = new WorkloadProcess(process);
        process.OutputDataReceived += (_, e) => Log(logger, LogLevel.Information, e.Data);
        process.ErrorDataReceived += (_, e) => Log(logger, LogLevel.Warning, e.Data);
        process.Exited += (_, _) =>
        {
            // WaitForExit() drains the redirected output before the exit is reported.
            process.WaitForExit();
            workload._exited.TrySetResult(process.ExitCode);
        };
        if (!process.Start())
        {
            throw new InvalidOperationException($"{plan.FileName} did not start");
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return workload;
    }

    /// <summary>Sends a POSIX signal; false when the process has already exited.</summary>
    public bool Signal(int signal) => !HasExited && Signals.Send(_process.Id, signal);

    public void Kill()
    {
        if (!HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }
    }

    public void Dispose() => _process.Dispose();

    private static void Log(ILogger logger, LogLevel level, string? line)
    {
        if (line is not null)
        {
#pragma warning disable CA1848, CA2254 // workload output is free text, one line per entry
            logger.Log(level, "workload: {Line}", line);
#pragma warning restore CA1848, CA2254
        }
    }
}
