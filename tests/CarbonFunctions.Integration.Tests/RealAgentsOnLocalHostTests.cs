using System.Diagnostics;
using CarbonFunctions.Compute.Simulated;
using CarbonFunctions.Core.Jobs;
using CarbonFunctions.Core.Lifecycle;
using CarbonFunctions.Core.Simulation;
using CarbonFunctions.Local.Cli;
using CarbonFunctions.Local.Hosting;
using CarbonFunctions.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace CarbonFunctions.Integration.Tests;

/// <summary>
/// The local host as the demo runs it: simulated pools that start one real node agent process per node, running the
/// sample workload (samples/workloads/train.js), on Azurite, on a scaled clock shared with the agents. What happens
/// when a node dies (SIGKILL to the agent and its workload) or the workload crashes.
/// </summary>
public sealed class RealAgentsOnLocalHostTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>, IDisposable
{
    private static readonly DateTimeOffset Start = new(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);

    private static readonly string AgentDll = TestAgent.Assembly;

    private readonly string _workDir = Path.Combine(Path.GetTempPath(), "carbon-real-agents-" + Guid.NewGuid().ToString("N")[..8]);

    public void Dispose()
    {
        if (Directory.Exists(_workDir))
        {
            Directory.Delete(_workDir, recursive: true);
        }
    }

    [Fact]
    public async Task An_agent_killed_with_sigkill_falls_silent_the_job_fails_as_hung_and_the_pool_is_stopped()
    {
        await using var local = await ComposeAsync();
        await local.Intake.SendAsync(Job("killed-node", steps: 600), default);

        var provider = Simulated(local);
        var host = RunAsync(local, "killed-node");
        await WaitAsync(async () => (await local.Jobs.GetAsync("killed-node"))?.State.History.Any(h => h.Reason.StartsWith("workload started", StringComparison.Ordinal)) == true, "the workload to start");
        var agents = provider.Agents.Running("killed-node");
        Assert.Single(agents);

        // The node goes away at once: agent and workload killed, nothing sent, no checkpoint.
        using (var agent = Process.GetProcessById(agents[0]))
        {
            agent.Kill(entireProcessTree: true);
        }

        var state = await host;
        Assert.Equal(JobStatus.Failed, state.Status);
        Assert.Contains("no heartbeat", state.Reason, StringComparison.Ordinal);
        Assert.Contains(state.History, h => h.To == JobStatus.Stopping);
        Assert.Empty(await provider.ListActiveAsync(default));
    }

    [Fact]
    public async Task A_workload_that_crashes_fails_the_job_with_its_exit_code_and_the_pool_is_stopped()
    {
        await using var local = await ComposeAsync();
        await local.Intake.SendAsync(Job("crashing-workload", steps: 600, extra: ["--fail-at-step", "5"]), default);

        var state = await RunAsync(local, "crashing-workload");

        Assert.Equal(JobStatus.Failed, state.Status);
        Assert.Contains("exited with code 3", state.Reason, StringComparison.Ordinal);
        Assert.Equal(3, state.Workload?.ExitCode);
        Assert.Equal(4L, state.Workload?.StepsDone);
        Assert.Empty(await Simulated(local).ListActiveAsync(default));
    }

    [Fact]
    public async Task A_workload_that_runs_to_its_end_completes_the_job_with_every_step_done_once()
    {
        await using var local = await ComposeAsync();
        await local.Intake.SendAsync(Job("finishing-workload", steps: 60), default);

        var state = await RunAsync(local, "finishing-workload");

        Assert.Equal(JobStatus.Completed, state.Status);
        Assert.Equal(0, state.Workload?.ExitCode);
        Assert.Equal(60L, state.Workload?.StepsDone);
        Assert.Equal(0L, state.Workload?.LostSteps);
        Assert.Empty(await Simulated(local).ListActiveAsync(default));
    }

    /// <summary>A run-now job of one node whose workload is the sample trainer: one step per virtual minute.</summary>
    private static string Job(string id, int steps, string[]? extra = null)
    {
        var command = string.Join(", ", new[] { "node", "samples/workloads/train.js", "--steps", steps.ToString(System.Globalization.CultureInfo.InvariantCulture), "--step-ms", "60000" }
            .Concat(extra ?? []).Select(a => $"\"{a}\""));
        return $$$"""
            {"schemaVersion":1,"id":"{{{id}}}","name":"real agents","owner":"team","policy":"run-now",
             "pool":{"kind":"gpu","provider":"azure","nodeSize":"Standard_NC24ads_A100_v4","minNodes":1},
             "regions":["westus"],"estimatedDurationMinutes":{{{steps}}},"deadline":"2026-12-02T12:00:00Z","interruptible":false,
             "workload":{"command":[{{{command}}}]}}
            """;
    }

    private async Task<LocalComposition> ComposeAsync()
    {
        Assert.True(File.Exists(AgentDll), $"the agent is not built at {AgentDll}");
        var agents = new LocalAgents(AgentDll, RepoPaths.Root, _workDir);
        var settings = LocalSettings.Demo(azurite.ConnectionString);
        foreach (var (key, value) in agents.Settings(azurite.ConnectionString, AgentTiming.ScaledDemo))
        {
            settings[key] = value;
        }

        // Unique names on the shared Azurite; the agents read the same ones (they get them through their environment).
        var names = new Dictionary<string, string>
        {
            ["Carbon:Storage:JobsQueue"] = AzuriteFixture.UniqueName("jobs"),
            ["Carbon:Storage:EventsQueue"] = AzuriteFixture.UniqueName("events"),
            ["Carbon:Storage:JobsTable"] = AzuriteFixture.UniqueName("jobs"),
            ["Carbon:Pools:Simulated:TableName"] = AzuriteFixture.UniqueName("pools"),
            ["Carbon:Pools:LedgerTable"] = AzuriteFixture.UniqueName("ledger"),
        };
        foreach (var (key, value) in names)
        {
            settings[key] = value;
        }

        var command = settings.Where(s => s.Key.StartsWith("Carbon:Pools:Simulated:AgentCommand:", StringComparison.Ordinal)).ToList();
        var next = command.Count;
        foreach (var key in new[] { "Carbon:Storage:JobsQueue", "Carbon:Storage:EventsQueue", "Carbon:Storage:JobsTable" })
        {
            settings[$"Carbon:Pools:Simulated:AgentCommand:{next++}"] = "--" + key;
            settings[$"Carbon:Pools:Simulated:AgentCommand:{next++}"] = names[key];
        }

        settings["Carbon:LocalHost:PollInterval"] = "00:00:00.050";
        var clock = new ScaledClock(Start, DemoCommand.DefaultTimeScale);
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        return await LocalComposition.CreateAsync(configuration, clock, NullLoggerFactory.Instance);
    }

    private static SimulatedPoolProvider Simulated(LocalComposition local) =>
        local.Services.GetRequiredService<SimulatedPoolProvider>();

    /// <summary>Runs the host until the job has ended (at most two minutes of wall time) and returns its final state.</summary>
    private static async Task<JobState> RunAsync(LocalComposition local, string id)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        JobState? state = null;
        await local.Host.RunAsync(async () => (state = (await local.Jobs.GetAsync(id))?.State)?.IsTerminal == true, timeout.Token);
        Assert.True(state?.IsTerminal, $"{id} did not end within two minutes: {state?.Status}");
        return state!;
    }

    private static async Task WaitAsync(Func<Task<bool>> condition, string what)
    {
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < TimeSpan.FromMinutes(1))
        {
            if (await condition())
            {
                return;
            }

            await Task.Delay(20);
        }

        throw new TimeoutException("gave up waiting for " + what);
    }
}
