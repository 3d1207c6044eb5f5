using System.Text.RegularExpressions;
using Azure.Storage.Blobs.Models;
using CarbonFunctions.Core.Agents;
using CarbonFunctions.Core.Telemetry;
using CarbonFunctions.Testing;
using Xunit.Abstractions;

namespace CarbonFunctions.Agent.Tests;

/// <summary>The agent in-process with the process runner and the real sample workload (node train.js) on Azurite.</summary>
public sealed partial class NodeAgentTests(AzuriteFixture azurite, ITestOutputHelper output) : IClassFixture<AzuriteFixture>
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(60);

    [GeneratedRegex(@"^(?<job>[a-z0-9-]+)/0/(?<segment>\d{8}T\d{9}Z)-(?<chunk>\d{4})\.csv$")]
    private static partial Regex ChunkName();

    [Fact]
    public async Task Workload_that_runs_to_the_end_is_started_heartbeats_finishes_0_and_its_power_parses()
    {
        using var harness = new AgentHarness(azurite, output);
        await harness.InitializeAsync();
        var job = TestJobs.Trainer("run-" + Guid.NewGuid().ToString("N")[..8], "--steps", "20", "--step-ms", "100", "--checkpoint-every", "5");
        await TestJobs.AddAsync(harness.Jobs, job);
        var before = DateTimeOffset.UtcNow;

        var exit = await harness.Agent(harness.Options(job.Id)).RunAsync(CancellationToken.None).WaitAsync(RunTimeout);

        Assert.Equal(NodeAgent.ExitOk, exit);
        var finished = await harness.WaitForAsync(e => e.Kind == AgentEventKinds.Finished);
        Assert.Equal(AgentEventKinds.Started, harness.Events[0].Kind);
        Assert.Contains(harness.Events, e => e.Kind == AgentEventKinds.Heartbeat);
        Assert.All(harness.Events, e => Assert.Equal((job.Id, "0"), (e.JobId, e.Node)));
        Assert.Equal(0, finished.ExitCode);
        Assert.Null(finished.Reason);
        Assert.Equal(new WorkloadReport(0, StepsDone: 20, Checkpoints: 4, Resumes: 0, LostSteps: 0), finished.Workload);
        Assert.Equal(20, AgentHarness.ReadJson(Path.Combine(harness.CheckpointDir(job.Id), "checkpoint.json")).GetProperty("step").GetInt32());

        // The run (about 2 s) is uploaded in 500 ms chunks, numbered from 0 in one segment; each parses alone.
        var blobs = new List<BlobItem>();
        await foreach (var blob in harness.Telemetry.GetBlobsAsync(BlobTraits.Metadata, BlobStates.None, job.Id + "/", CancellationToken.None))
        {
            blobs.Add(blob);
        }

        Assert.True(blobs.Count >= 2, $"expected several chunks, got {blobs.Count}");
        var names = blobs.Select(b => ChunkName().Match(b.Name)).ToList();
        Assert.All(names, m => Assert.True(m.Success));
        Assert.Single(names.Select(m => m.Groups["segment"].Value).Distinct());
        Assert.Equal(Enumerable.Range(0, blobs.Count), names.Select(m => int.Parse(m.Groups["chunk"].Value, System.Globalization.CultureInfo.InvariantCulture)).Order());
        long samples = 0;
        foreach (var blob in blobs)
        {
            Assert.Equal("UTC", blob.Metadata["timezone"]);
            Assert.Equal("nvidia-smi-csv", blob.Metadata["format"]);
            Assert.Equal("NVIDIA A100-SXM4-80GB", blob.Metadata["accelerator"]);
            var sink = new Collect();
            using var content = (await harness.Telemetry.GetBlobClient(blob.Name).DownloadStreamingAsync()).Value.Content;
            var read = TelemetryReader.Read(content, new TelemetryReadOptions(), sink);
            Assert.Equal(TelemetryFormat.NvidiaSmiCsv, read.Format);
            Assert.Equal(0, read.ProblemCount);
            Assert.Equal(read.Samples, sink.Readings.Count);
            samples += read.Samples;

            // Eight A100s per poll, devices 0..7 on node 0, drawing between idle and the 400 W board limit.
            Assert.Equal(Enumerable.Range(0, 8).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)), sink.Readings.Select(r => r.Device).Distinct().Order());
            Assert.All(sink.Readings, r => Assert.InRange(r.Watts, 54, 400));
            Assert.All(sink.Readings, r => Assert.InRange(new DateTimeOffset(r.Ticks, TimeSpan.Zero), before.AddSeconds(-1), DateTimeOffset.UtcNow));
        }

        Assert.Equal(0, samples % 8);
        Assert.True(samples / 8 >= 10, $"about one poll per 100 ms over ~2 s, got {samples / 8} polls");
    }

    [Fact]
    public async Task Checkpoint_request_signals_the_workload_acknowledges_and_the_resume_starts_from_the_checkpoint()
    {
        using var harness = new AgentHarness(azurite, output);
        await harness.InitializeAsync();
        var job = TestJobs.Trainer("ckpt-" + Guid.NewGuid().ToString("N")[..8], "--steps", "30", "--step-ms", "100", "--checkpoint-every", "10");
        await TestJobs.AddAsync(harness.Jobs, job);

        var first = harness.Agent(harness.Options(job.Id)).RunAsync(CancellationToken.None);
        await harness.WaitForStepAsync(job.Id, 4);
        await harness.Control.RequestAsync(job.Id, ControlKinds.Checkpoint, "pause-1");

        var checkpointed = await harness.WaitForAsync(e => e.Kind == AgentEventKinds.Checkpointed);
        Assert.Equal(("pause-1", 0), (checkpointed.RequestId, checkpointed.ExitCode));
        var savedAt = AgentHarness.ReadJson(Path.Combine(harness.CheckpointDir(job.Id), "checkpoint.json")).GetProperty("step").GetInt32();
        Assert.InRange(savedAt, 4, 29);

        // The SIGTERM checkpoint holds every completed step (a new file unless step 10 or 20 was just saved), so nothing is lost.
        Assert.Equal(new WorkloadReport(0, savedAt, Checkpoints: (savedAt / 10) + (savedAt % 10 == 0 ? 0 : 1), Resumes: 0, LostSteps: 0), checkpointed.Workload);
        Assert.False(first.IsCompleted, "a checkpoint leaves the agent up; only stop ends it");

        await harness.Control.RequestAsync(job.Id, ControlKinds.Stop, "stop-1");
        Assert.Equal(NodeAgent.ExitOk, await first.WaitAsync(RunTimeout));
        var stopAck = await harness.WaitForAsync(e => e.RequestId == "stop-1");
        Assert.Equal(AgentEventKinds.Checkpointed, stopAck.Kind);

        // The resumed agent sees it ran here before (CARBON_RESUMED=1), and the standing stop request is not for it.
        var second = await harness.Agent(harness.Options(job.Id)).RunAsync(CancellationToken.None).WaitAsync(RunTimeout);

        Assert.Equal(NodeAgent.ExitOk, second);
        var finished = await harness.WaitForAsync(e => e.Kind == AgentEventKinds.Finished);
        Assert.Equal(0, finished.ExitCode);
        Assert.Equal(30, finished.Workload!.StepsDone);
        Assert.Equal(1, finished.Workload.Resumes);
        Assert.Equal(0, finished.Workload.LostSteps);
        Assert.Equal(2, harness.Events.Count(e => e.Kind == AgentEventKinds.Started));

        // Two workload runs: two telemetry segments.
        var segments = new HashSet<string>();
        await foreach (var blob in harness.Telemetry.GetBlobsAsync(BlobTraits.None, BlobStates.None, job.Id + "/0/", CancellationToken.None))
        {
            segments.Add(ChunkName().Match(blob.Name).Groups["segment"].Value);
        }

        Assert.Equal(2, segments.Count);
    }

    [Fact]
    public async Task Workload_crash_is_finished_with_its_exit_code_and_the_steps_it_got_to()
    {
        using var harness = new AgentHarness(azurite, output);
        await harness.InitializeAsync();
        var job = TestJobs.Trainer("crash-" + Guid.NewGuid().ToString("N")[..8], "--steps", "20", "--step-ms", "50", "--fail-at-step", "4");
        await TestJobs.AddAsync(harness.Jobs, job);

        Assert.Equal(NodeAgent.ExitOk, await harness.Agent(harness.Options(job.Id)).RunAsync(CancellationToken.None).WaitAsync(RunTimeout));

        var finished = await harness.WaitForAsync(e => e.Kind == AgentEventKinds.Finished);
        Assert.Equal(3, finished.ExitCode);
        Assert.Equal("the workload exited with 3", finished.Reason);
        Assert.Equal(new WorkloadReport(3, StepsDone: 3, Checkpoints: 0, Resumes: 0, LostSteps: 0), finished.Workload);
    }

    [Fact]
    public async Task Workload_that_ignores_the_signal_is_killed_at_the_timeout_and_not_acknowledged()
    {
        using var harness = new AgentHarness(azurite, output);
        await harness.InitializeAsync();
        var job = TestJobs.Trainer("stuck-" + Guid.NewGuid().ToString("N")[..8], "--steps", "1000", "--step-ms", "50", "--ignore-sigterm");
        await TestJobs.AddAsync(harness.Jobs, job);
        var options = harness.Options(job.Id) with { CheckpointTimeout = TimeSpan.FromSeconds(1) };

        var run = harness.Agent(options).RunAsync(CancellationToken.None);
        await harness.WaitForStepAsync(job.Id, 2);
        await harness.Control.RequestAsync(job.Id, ControlKinds.Checkpoint, "pause-1");
        await Task.Delay(TimeSpan.FromSeconds(2.5));
        await harness.Control.RequestAsync(job.Id, ControlKinds.Stop, "stop-1");
        Assert.Equal(NodeAgent.ExitOk, await run.WaitAsync(RunTimeout));

        await harness.DrainAsync();
        Assert.DoesNotContain(harness.Events, e => e.Kind is AgentEventKinds.Checkpointed or AgentEventKinds.Finished);
        var status = AgentHarness.ReadJson(Path.Combine(harness.CheckpointDir(job.Id), "status.json"));
        Assert.Equal("running", status.GetProperty("state").GetString());
        var pid = status.GetProperty("pid").GetInt32();
        Assert.Throws<ArgumentException>(() => System.Diagnostics.Process.GetProcessById(pid));
    }

    [Fact]
    public async Task Unknown_job_is_a_failed_event_and_exit_2()
    {
        using var harness = new AgentHarness(azurite, output);
        await harness.InitializeAsync();

        Assert.Equal(NodeAgent.ExitCannotRun, await harness.Agent(harness.Options("no-such-job")).RunAsync(CancellationToken.None).WaitAsync(RunTimeout));

        var failed = await harness.WaitForAsync(e => e.Kind == AgentEventKinds.Failed);
        Assert.Equal("no-such-job", failed.JobId);
        Assert.Contains("not in table", failed.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Command_that_does_not_exist_is_a_failed_event()
    {
        using var harness = new AgentHarness(azurite, output);
        await harness.InitializeAsync();
        var job = TestJobs.Parse("nocmd-" + Guid.NewGuid().ToString("N")[..8], """{"command":["/nonexistent/trainer","--fast"]}""");
        await TestJobs.AddAsync(harness.Jobs, job);

        Assert.Equal(NodeAgent.ExitCannotRun, await harness.Agent(harness.Options(job.Id)).RunAsync(CancellationToken.None).WaitAsync(RunTimeout));

        var failed = await harness.WaitForAsync(e => e.Kind == AgentEventKinds.Failed);
        Assert.Contains("/nonexistent/trainer", failed.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain(harness.Events, e => e.Kind == AgentEventKinds.Started);
    }

    private sealed class Collect : ITelemetrySink
    {
        public List<(string Device, long Ticks, double Watts)> Readings { get; } = [];

        public void Power(string device, long utcTicks, double watts, long line) => Readings.Add((device, utcTicks, watts));

        public void EnergyCounter(string device, long utcTicks, double joules, long line) => throw new InvalidOperationException("nvidia-smi CSV has no energy counter");
    }
}
