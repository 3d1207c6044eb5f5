using System.Text;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Storage.Queues.Models;
using CarbonFunctions.Core.Lifecycle;
using CarbonFunctions.Handlers.Jobs;
using CarbonFunctions.Reliability.Tests.Faults;
using CarbonFunctions.Storage.Jobs;
using CarbonFunctions.Storage.Queues;
using CarbonFunctions.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace CarbonFunctions.Reliability.Tests.Scenarios;

/// <summary>Each defect of issue 17 item 1, on the local host over Azurite: the message that once stopped the host, and what it gets now.</summary>
[Collection(ReliabilityCollection.Name)]
public sealed class Issue17DefectTests(SharedAzurite azurite)
{
    private static string Gaudi(string id) => LocalRig.SampleJob("gaudi-vision.json", id);

    private static string Raw(string json, string field, string raw)
    {
        var node = System.Text.Json.Nodes.JsonNode.Parse(json)!.AsObject();
        var parts = field.Split('.');
        (parts.Length == 1 ? node : node[parts[0]]!.AsObject())[parts[^1]] = "__RAW__";
        return node.ToJsonString().Replace("\"__RAW__\"", raw, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("estimatedDurationMinutes", "1e308", "estimatedDurationMinutes: 1E+308 minutes exceeds the limit")]
    [InlineData("estimatedDurationMinutes", "16000000000", "estimatedDurationMinutes: 16000000000 minutes exceeds the limit")]
    [InlineData("resumeOverheadMinutes", "1e300", "resumeOverheadMinutes: must be at most 10080 minutes")]
    [InlineData("pool.relativeThroughput", "[1, 1e400, 3, 4]", "pool.relativeThroughput[1]: must be a finite number")]
    [InlineData("name", "\"\\ud800x\"", "name: is not valid text")]
    public async Task A_message_that_once_stopped_the_host_is_dead_lettered_with_its_field_error(string field, string raw, string reason)
    {
        var rig = new LocalRig(azurite);
        await using var local = await rig.BuildAsync();
        var body = Raw(Gaudi("once-fatal"), field, raw);
        await local.Intake.SendAsync(body);
        await local.Intake.SendAsync(Gaudi("after-the-fatal-one"));

        await local.Host.PumpOnceAsync();

        var poison = Assert.Single(await local.DeadLetters.PeekAsync());
        Assert.Equal(body, poison.Body);
        Assert.StartsWith("invalid job: " + reason, poison.Reason, StringComparison.Ordinal);
        Assert.Null(await local.Jobs.GetAsync("once-fatal"));
        Assert.NotNull(await local.Jobs.GetAsync("after-the-fatal-one"));
    }

    [Fact]
    public async Task A_body_that_grows_sixfold_when_escaped_is_dead_lettered_verbatim()
    {
        var rig = new LocalRig(azurite);
        await using var local = await rig.BuildAsync();
        var body = new string('<', 12_500);
        await local.Intake.SendAsync(body);

        await local.Host.PumpOnceAsync();

        var poison = Assert.Single(await local.DeadLetters.PeekAsync());
        Assert.Equal(body, poison.Body);
        Assert.Equal(0, await Accounting.VisibleAsync(rig.Clean.Queues.GetQueueClient(rig.Storage.JobsQueue)));
    }

    [Fact]
    public async Task A_job_event_whose_id_is_not_a_table_key_is_dead_lettered_and_the_host_goes_on()
    {
        var rig = new LocalRig(azurite);
        await using var local = await rig.BuildAsync();
        var events = rig.Clean.Queues.GetQueueClient(rig.Storage.EventsQueue);
        await events.SendMessageAsync("""{"jobId":"bad/id#?","kind":"cancel"}""");
        await events.SendMessageAsync("""{"jobId":"x'; DROP","kind":"complete"}""");
        await local.Intake.SendAsync(Gaudi("still-served"));

        await local.Host.PumpOnceAsync();

        var poison = await local.DeadLetters.PeekAsync();
        Assert.Equal(2, poison.Count);
        Assert.All(poison, p => Assert.Equal(DeadLetterSource.Events, p.Source));
        Assert.All(poison, p => Assert.StartsWith("jobId is not a valid job id", p.Reason, StringComparison.Ordinal));
        Assert.NotNull(await local.Jobs.GetAsync("still-served"));
    }

    [Fact]
    public async Task A_job_event_that_keeps_failing_is_dead_lettered_on_its_last_delivery()
    {
        var rig = new LocalRig(azurite);
        await using var local = await rig.BuildAsync();
        var intake = local.Services.GetRequiredService<JobIntake>();
        var body = """{"jobId":"some-job","kind":"complete"}""";

        await Assert.ThrowsAsync<TimeoutException>(() => intake.HandleEventAsync(new ReceivedMessage("e1", body, 1, LocalRig.Start), new BrokenLifecycle()));
        var last = await intake.HandleEventAsync(new ReceivedMessage("e1", body, rig.Storage.MaxDequeueCount, LocalRig.Start), new BrokenLifecycle());

        Assert.Equal(MessageOutcome.DeadLettered, last.Outcome);
        Assert.Equal(DeadLetterSource.Events, Assert.Single(await local.DeadLetters.PeekAsync()).Source);
    }

    [Fact]
    public async Task The_give_up_path_never_rereads_the_body_and_leaves_the_message_while_the_job_cannot_be_failed()
    {
        var rig = new LocalRig(azurite);
        await using var local = await rig.BuildAsync();
        var intake = local.Services.GetRequiredService<JobIntake>();
        var body = Gaudi("give-up");

        // The last delivery, with the table down too: the message is left for a later try (not lost, not half-handled).
        await Assert.ThrowsAsync<TimeoutException>(() => intake.HandleJobAsync(new ReceivedMessage("m1", body, rig.Storage.MaxDequeueCount, LocalRig.Start), new BrokenLifecycle()));
        Assert.Empty(await local.DeadLetters.PeekAsync());

        // The next delivery, the table back: dead-lettered with the reason, and the stored job failed rather than left queued.
        var lifecycle = local.Services.GetRequiredService<Handlers.Lifecycle.StoredJobLifecycle>();
        var result = await intake.HandleJobAsync(new ReceivedMessage("m1", body, rig.Storage.MaxDequeueCount + 1, LocalRig.Start), new BrokenLifecycle(lifecycle));

        Assert.Equal(MessageOutcome.DeadLettered, result.Outcome);
        var poison = Assert.Single(await local.DeadLetters.PeekAsync());
        Assert.Equal(body, poison.Body);
        Assert.Equal("failed on 6 deliveries; last error: TimeoutException: the lifecycle host did not answer", poison.Reason);
        Assert.Equal(JobStatus.Failed, (await local.Jobs.GetAsync("give-up"))!.State.Status);
    }

    [Fact]
    public async Task A_storage_outage_on_the_wake_up_query_does_not_end_the_host()
    {
        var rig = new LocalRig(azurite);
        var outage = new WakeQueryOutage(failures: 12);
        await using var local = await rig.BuildAsync(storagePolicy: outage);
        await local.Intake.SendAsync(LocalRig.SampleJob("bert-finetune.json", "through-the-outage"));

        // Every attempt of the first wake-up queries fails (the SDK's retries included); the host must ride it out.
        await JobRuns.RunUntilEndedAsync(local, rig, ["through-the-outage"], TimeSpan.FromSeconds(60));

        Assert.True(outage.Failed >= 12);
        Assert.Equal(JobStatus.Completed, (await local.Jobs.GetAsync("through-the-outage"))!.State.Status);
    }

    [Theory]
    [InlineData("[]")]
    [InlineData("{\"reason\":5}")]
    [InlineData("{\"source\":\"nowhere\",\"reason\":\"r\"}")]
    [InlineData("{\"source\":\"jobs\",\"reason\":\"r\",\"dequeueCount\":1e400}")]
    [InlineData("{\"reason\":\"r\"}")]
    [InlineData("\u00ff\u00fe binary-ish")]
    [InlineData("{\"a\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}")]
    public void A_raw_poison_message_of_any_shape_is_listed_not_thrown(string body)
    {
        var read = DeadLetterQueue.Read(DeadLetterSource.Jobs, QueuesModelFactory.PeekedMessage("m", new BinaryData(Encoding.UTF8.GetBytes(body)), 5, DateTimeOffset.UnixEpoch, DateTimeOffset.MaxValue));
        Assert.False(read.Recorded);
        Assert.Equal(body, read.Body);
        Assert.StartsWith("moved by the Functions runtime", read.Reason, StringComparison.Ordinal);
    }

    /// <summary>A lifecycle host whose every call times out (the orchestration service or the table is unreachable); abandoning may go to the real table lifecycle.</summary>
    private sealed class BrokenLifecycle(Handlers.Lifecycle.StoredJobLifecycle? abandonThrough = null) : IJobLifecycleHost
    {
        public Task StartAsync(JobRecord stored, CancellationToken cancellationToken) => throw new TimeoutException("the lifecycle host did not answer");

        public Task<SignalOutcome> SignalAsync(string jobId, JobSignal signal, CancellationToken cancellationToken) => throw new TimeoutException("the lifecycle host did not answer");

        public Task AbandonAsync(string jobId, string reason, CancellationToken cancellationToken) =>
            abandonThrough?.AbandonAsync(jobId, reason, cancellationToken) ?? throw new TimeoutException("the jobs table did not answer");
    }

    /// <summary>Fails the local host's wake-up query (active jobs' WakeAt) with 503 a number of times, retries included.</summary>
    private sealed class WakeQueryOutage(int failures) : HttpPipelinePolicy
    {
        private int _failed;

        public int Failed => _failed;

        public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline) => throw new NotSupportedException();

        public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
        {
            var query = Uri.UnescapeDataString(message.Request.Uri.Query);
            if (query.Contains("$select=WakeAt", StringComparison.Ordinal) && Interlocked.Increment(ref _failed) <= failures)
            {
                message.Response = new FakeResponse(503, "Injected: server busy");
                return;
            }

            await ProcessNextAsync(message, pipeline);
        }
    }
}
