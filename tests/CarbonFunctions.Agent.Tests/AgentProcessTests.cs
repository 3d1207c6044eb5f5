using System.Diagnostics;
using CarbonFunctions.Agent.Workloads;
using CarbonFunctions.Core.Agents;
using CarbonFunctions.Testing;
using Xunit.Abstractions;

namespace CarbonFunctions.Agent.Tests;

/// <summary>The agent as it is deployed: its own process, configured by its command line.</summary>
public sealed class AgentProcessTests(AzuriteFixture azurite, ITestOutputHelper output) : IClassFixture<AzuriteFixture>
{
    /// <summary>
    /// The agent from its own build output: the copy beside the tests lacks its Microsoft.Extensions assemblies
    /// (the test host gets them from the ASP.NET Core framework, which the agent does not use).
    /// </summary>
    private static readonly string AgentDll = Path.Combine(
        RepoPaths.Root, "src", "CarbonFunctions.Agent", "bin",
        new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name,
        new DirectoryInfo(AppContext.BaseDirectory).Name,
        "CarbonFunctions.Agent.dll");

    [Fact]
    public async Task Sigterm_to_the_agent_checkpoints_the_workload_before_the_agent_exits()
    {
        using var harness = new AgentHarness(azurite, output);
        await harness.InitializeAsync();
        var job = TestJobs.Trainer("proc-" + Guid.NewGuid().ToString("N")[..8], "--steps", "1000", "--step-ms", "100", "--checkpoint-every", "50");
        await TestJobs.AddAsync(harness.Jobs, job);
        var info = new ProcessStartInfo("dotnet")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = RepoPaths.Root,
        };
        foreach (var argument in new[]
        {
            AgentDll,
            "--job", job.Id, "--node", "0", "--storage", harness.Storage.ConnectionString!,
            "--runner", "process", "--power", "simulated", "--workdir", harness.WorkDir,
            $"--Carbon:Storage:EventsQueue={harness.Storage.EventsQueue}",
            $"--Carbon:Storage:JobsTable={harness.Storage.JobsTable}",
            $"--Carbon:Storage:TelemetryContainer={harness.Storage.TelemetryContainer}",
            "--Agent:HeartbeatInterval=00:00:00.5", "--Agent:ControlPollInterval=00:00:00.2", "--Agent:SampleInterval=00:00:00.2",
        })
        {
            info.ArgumentList.Add(argument);
        }

        using var agent = Process.Start(info)!;
        agent.OutputDataReceived += (_, e) => Write(e.Data);
        agent.ErrorDataReceived += (_, e) => Write(e.Data);
        agent.BeginOutputReadLine();
        agent.BeginErrorReadLine();
        try
        {
            await harness.WaitForAsync(e => e.Kind == AgentEventKinds.Started);
            await harness.WaitForStepAsync(job.Id, 3);

            Assert.True(Signals.Send(agent.Id, 15));
            await agent.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));

            Assert.Equal(0, agent.ExitCode);
            var checkpointed = await harness.WaitForAsync(e => e.Kind == AgentEventKinds.Checkpointed);
            // The host's event reader refuses a checkpointed without a request id (it would be dead-lettered).
            Assert.Equal(NodeAgent.ShutdownRequest, checkpointed.RequestId);
            var saved = AgentHarness.ReadJson(Path.Combine(harness.CheckpointDir(job.Id), "checkpoint.json")).GetProperty("step").GetInt32();
            Assert.Equal(saved, checkpointed.Workload!.StepsDone);
            Assert.True(saved >= 3);
            await harness.DrainAsync();
            Assert.DoesNotContain(harness.Events, e => e.Kind == AgentEventKinds.Finished);
        }
        finally
        {
            if (!agent.HasExited)
            {
                agent.Kill(entireProcessTree: true);
            }
        }
    }

    [Fact]
    public async Task Bad_settings_are_refused_before_anything_runs()
    {
        var info = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in new[] { AgentDll, "--runner", "podman", "--identity", "args" })
        {
            info.ArgumentList.Add(argument);
        }

        using var agent = Process.Start(info)!;
        var errors = await agent.StandardError.ReadToEndAsync();
        await agent.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(NodeAgent.ExitNoIdentity, agent.ExitCode);
        Assert.Contains("Agent:Runner must be one of auto, process, docker, was 'podman'.", errors, StringComparison.Ordinal);
        Assert.Contains("identity 'args' needs --job and --node", errors, StringComparison.Ordinal);
    }

    private void Write(string? line)
    {
        if (line is null)
        {
            return;
        }

        try
        {
            output.WriteLine("agent: " + line);
        }
        catch (InvalidOperationException)
        {
            // The test has ended.
        }
    }
}
