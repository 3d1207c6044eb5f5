using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using CarbonFunctions.Compute.Simulated;
using CarbonFunctions.Core.Jobs;
using CarbonFunctions.Core.Pools;
using CarbonFunctions.Testing;
using Microsoft.Extensions.Time.Testing;

namespace CarbonFunctions.Compute.Tests.Simulated;

/// <summary>
/// Simulated pools with AgentCommand: one real process per running node. A shell script stands in for the agent
/// (the agent itself is tested in CarbonFunctions.Agent.Tests): it records its node and whether SIGTERM reached it.
/// </summary>
public sealed class SimulatedAgentsTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>, IDisposable
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 3, 1, 8, 0, 0, TimeSpan.Zero));
    private readonly string _dir = Directory.CreateTempSubdirectory("carbon-simagents-").FullName;

    private SimulatedPoolOptions _options = new();

    private SimulatedPoolProvider Provider(string script, TimeSpan? stopTimeout = null)
    {
        _options = new SimulatedPoolOptions
        {
            TableName = AzuriteFixture.UniqueName("simpools"),
            TelemetryContainer = AzuriteFixture.UniqueName("telemetry"),
            StartDelay = TimeSpan.FromMinutes(3),
            AgentCommand = ["sh", "-c", script, "agent", "{jobId}", "{node}"],
            AgentWorkingDirectory = _dir,
            AgentStopTimeout = stopTimeout ?? TimeSpan.FromSeconds(10),
        };
        return new(new TableServiceClient(azurite.ConnectionString), new BlobServiceClient(azurite.ConnectionString), _options, _time);
    }

    private static PoolSpec Spec(string poolId, int nodes) => new()
    {
        PoolId = poolId,
        Kind = PoolKind.Gpu,
        Provider = CloudProvider.Azure,
        Region = "westeurope",
        NodeSize = "Standard_ND96asr_v4",
        Nodes = nodes,
    };

    // $1 = job, $2 = node; the file appears once the trap is set, so a test knows the agent can take SIGTERM.
    private const string PoliteAgent = """trap 'echo "$1 $2 term" >> log; exit 0' TERM; echo "$1 $2 up" >> log; while true; do sleep 0.05; done""";

    [Fact]
    public void Command_placeholders_name_the_job_and_the_node()
    {
        Assert.Equal(["agent", "--job", "j1", "--node", "3", "--pool", "j1"], SimulatedAgents.CommandFor(["agent", "--job", "{jobId}", "--node", "{node}", "--pool", "{poolId}"], "j1", 3));
    }

    [Fact]
    public async Task Agents_start_when_the_nodes_are_up_and_get_sigterm_before_the_pause()
    {
        using var pools = Provider(PoliteAgent);

        await pools.EnsureRunningAsync(Spec("job1", 2), CancellationToken.None);
        Assert.Empty(pools.Agents.Running("job1"));
        _time.Advance(TimeSpan.FromMinutes(3));
        var up = await pools.GetStatusAsync("job1", CancellationToken.None);
        await WaitForLinesAsync(2);

        Assert.Equal(PoolState.Running, up.State);
        Assert.Equal([0, 1], pools.Agents.Running("job1").Keys.Order());
        Assert.Equal(["job1 0 up", "job1 1 up"], Lines().Order());

        // A second look while running starts nothing new.
        await pools.GetStatusAsync("job1", CancellationToken.None);
        Assert.Equal(2, Lines().Count);

        var paused = await pools.PauseAsync("job1", CancellationToken.None);

        Assert.Equal(PoolState.Paused, paused.State);
        Assert.Empty(pools.Agents.Running("job1"));
        Assert.Equal(["job1 0 term", "job1 0 up", "job1 1 term", "job1 1 up"], Lines().Order());
    }

    [Fact]
    public async Task An_agent_that_does_not_exit_on_sigterm_is_killed_after_the_timeout()
    {
        using var pools = Provider("""trap '' TERM; echo "$1 $2 up" >> log; while true; do sleep 0.05; done""", TimeSpan.FromSeconds(1));
        await pools.EnsureRunningAsync(Spec("job2", 1), CancellationToken.None);
        _time.Advance(TimeSpan.FromMinutes(3));
        await pools.GetStatusAsync("job2", CancellationToken.None);
        await WaitForLinesAsync(1);
        var pid = pools.Agents.Running("job2")[0];

        var started = DateTime.UtcNow;
        await pools.StopAsync("job2", CancellationToken.None);

        Assert.True(DateTime.UtcNow - started >= TimeSpan.FromSeconds(0.9), "the stop waited for the agent first");
        Assert.Throws<ArgumentException>(() => System.Diagnostics.Process.GetProcessById(pid));
    }

    [Fact]
    public async Task Scale_in_stops_the_agents_of_the_removed_nodes()
    {
        using var pools = Provider(PoliteAgent);
        await pools.EnsureRunningAsync(Spec("job3", 3), CancellationToken.None);
        _time.Advance(TimeSpan.FromMinutes(3));
        await pools.GetStatusAsync("job3", CancellationToken.None);
        await WaitForLinesAsync(3);

        await pools.EnsureRunningAsync(Spec("job3", 1), CancellationToken.None);

        Assert.Equal([0], pools.Agents.Running("job3").Keys);
        Assert.Equal(["job3 1 term", "job3 2 term"], Lines().Where(l => l.EndsWith("term", StringComparison.Ordinal)).Order());
        _time.Advance(TimeSpan.FromMinutes(10));
        await pools.StopAsync("job3", CancellationToken.None);

        // The agents report the power; the pool adds no file of its own for the run.
        var container = new BlobServiceClient(azurite.ConnectionString).GetBlobContainerClient(_options.TelemetryContainer);
        Assert.False(await container.ExistsAsync() && await container.GetBlobsAsync(BlobTraits.None, BlobStates.None, "job3/", CancellationToken.None).AnyAsync());
    }

    private List<string> Lines() => File.Exists(Path.Combine(_dir, "log")) ? [.. File.ReadAllLines(Path.Combine(_dir, "log"))] : [];

    private async Task WaitForLinesAsync(int count)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (Lines().Count < count)
        {
            await Task.Delay(20, cts.Token);
        }
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
