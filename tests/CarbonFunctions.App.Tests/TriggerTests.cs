using System.Text;
using Azure.Storage.Queues.Models;
using CarbonFunctions.App.Functions;
using CarbonFunctions.Core.Lifecycle;
using CarbonFunctions.Storage.Jobs;
using CarbonFunctions.Storage.Queues;
using CarbonFunctions.Testing;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;

namespace CarbonFunctions.App.Tests;

/// <summary>Each function of the app called as its trigger calls it, over the real composition on Azurite.</summary>
public sealed class TriggerTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>
{
    private static long _messages;

    private static QueueMessage Message(string body, long dequeueCount = 1) => QueuesModelFactory.QueueMessage(
        $"msg-{Interlocked.Increment(ref _messages)}", "pop", new BinaryData(Encoding.UTF8.GetBytes(body)), dequeueCount, DateTimeOffset.UtcNow);

    private static string JobJson(string id, double startInHours = 0) => $$$"""
        {"schemaVersion":1,"id":"{{{id}}}","name":"trigger test","owner":"team-ml@example.org",
         "pool":{"kind":"gpu","provider":"azure","nodeSize":"Standard_NC24ads_A100_v4","minNodes":2},
         "regions":["spaincentral"],"estimatedDurationMinutes":60,"policy":"run-now",
         "deadline":"{{{DateTimeOffset.UtcNow.AddHours(24 + startInHours).UtcDateTime:yyyy-MM-dd'T'HH:mm:ss'Z'}}}","interruptible":true,"workload":{"image":"example.azurecr.io/train:1"}}
        """;

    private static string NewId(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 13)];

    private static async Task<JobState> WaitForAsync(JobStore store, string jobId, Func<JobState, bool> until)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        JobState? last = null;
        while (DateTime.UtcNow < deadline)
        {
            last = (await store.GetAsync(jobId))?.State ?? last;
            if (last is not null && until(last))
            {
                return last;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"job {jobId}: last status {last?.Status}");
    }

    [Fact]
    public async Task Intake_of_a_valid_job_starts_one_orchestration_whose_instance_id_is_the_job_id()
    {
        await using var app = await AppComposition.StartAsync(azurite);
        var id = NewId("intake");

        await app.Function<QueueFunctions>().IntakeAsync(Message(JobJson(id)), app.Client, CancellationToken.None);

        var instance = await app.Client.GetInstanceAsync(id, getInputsAndOutputs: false);
        Assert.NotNull(instance);
        Assert.Equal(OrchestrationNames(), instance.Name);
        var running = await WaitForAsync(app.Get<JobStore>(), id, s => s.Status == JobStatus.Running);
        Assert.Equal("spaincentral", running.Region);
        Assert.Empty(await app.Get<DeadLetterQueue>().PeekAsync());

        static string OrchestrationNames() => Orchestration.OrchestrationNames.JobOrchestrator;
    }

    [Fact]
    public async Task Intake_of_the_same_job_twice_starts_nothing_new()
    {
        await using var app = await AppComposition.StartAsync(azurite);
        var id = NewId("dup");
        var functions = app.Function<QueueFunctions>();

        await functions.IntakeAsync(Message(JobJson(id, startInHours: 1)), app.Client, CancellationToken.None);
        var first = await app.Client.GetInstanceAsync(id, getInputsAndOutputs: false);
        await functions.IntakeAsync(Message(JobJson(id, startInHours: 1)), app.Client, CancellationToken.None);
        var second = await app.Client.GetInstanceAsync(id, getInputsAndOutputs: false);

        Assert.NotNull(first);
        Assert.NotNull(second);
        var instances = new List<OrchestrationMetadata>();
        await foreach (var instance in app.Client.GetAllInstancesAsync(new OrchestrationQuery { InstanceIdPrefix = id }))
        {
            instances.Add(instance);
        }

        Assert.Single(instances);
        Assert.Empty(await app.Get<DeadLetterQueue>().PeekAsync());
    }

    [Theory]
    [InlineData("""{"schemaVersion":1,"id":"bad-kind","pool":{"kind":"tpu"}}""", "invalid job: ")]
    [InlineData("{ not json", "invalid job: ")]
    [InlineData("""{"schemaVersion":1,"id":"huge","name":"x","owner":"y","pool":{"kind":"gpu","provider":"azure","nodeSize":"Standard_NC24ads_A100_v4","minNodes":1},"regions":["spaincentral"],"estimatedDurationMinutes":1e308,"deadline":"2030-01-01T00:00:00Z","interruptible":true,"workload":{"image":"i"}}""", "invalid job: ")]
    public async Task Intake_of_an_invalid_job_writes_one_dead_letter_with_the_reason_and_the_body_as_it_came(string body, string reasonStart)
    {
        await using var app = await AppComposition.StartAsync(azurite);

        await app.Function<QueueFunctions>().IntakeAsync(Message(body), app.Client, CancellationToken.None);

        var poison = Assert.Single(await app.Get<DeadLetterQueue>().PeekAsync());
        Assert.Equal(DeadLetterSource.Jobs, poison.Source);
        Assert.True(poison.Recorded);
        Assert.StartsWith(reasonStart, poison.Reason, StringComparison.Ordinal);
        Assert.Equal(body, poison.Body);
    }

    [Fact]
    public async Task A_dead_letter_too_large_for_a_queue_message_keeps_its_body_in_a_blob()
    {
        await using var app = await AppComposition.StartAsync(azurite);

        // 40 KB of '<' would grow sixfold under default JSON escaping; kept verbatim it still passes the record limit.
        var body = new string('<', 40_000);
        await app.Function<QueueFunctions>().IntakeAsync(Message(body), app.Client, CancellationToken.None);
        var hostile = "{\"x\":\"" + new string('\u0001', 20_000) + "\"}";
        await app.Function<QueueFunctions>().IntakeAsync(Message(hostile), app.Client, CancellationToken.None);

        var poison = await app.Get<DeadLetterQueue>().PeekAsync();
        Assert.Equal(2, poison.Count);
        Assert.Equal(body, poison[0].Body);
        Assert.Null(poison[1].Body);
        Assert.NotNull(poison[1].BodyBlob);
        var blob = app.Storage.Blobs.GetBlobContainerClient(app.Storage.Options.PoisonContainer).GetBlobClient(poison[1].BodyBlob);
        Assert.Equal(hostile, (await blob.DownloadContentAsync()).Value.Content.ToString());
    }

    [Fact]
    public async Task A_job_event_reaches_the_orchestration_and_a_late_one_changes_nothing()
    {
        await using var app = await AppComposition.StartAsync(azurite);
        var id = NewId("events");
        var functions = app.Function<QueueFunctions>();
        await functions.IntakeAsync(Message(JobJson(id)), app.Client, CancellationToken.None);
        await WaitForAsync(app.Get<JobStore>(), id, s => s.Status == JobStatus.Running);

        await functions.EventsAsync(Message($$"""{"jobId":"{{id}}","kind":"cancel","reason":"budget freeze"}"""), app.Client, CancellationToken.None);
        var cancelled = await WaitForAsync(app.Get<JobStore>(), id, s => s.IsTerminal);
        await app.Client.WaitForInstanceCompletionAsync(id);
        await functions.EventsAsync(Message($$"""{"jobId":"{{id}}","kind":"complete"}"""), app.Client, CancellationToken.None);

        Assert.Equal(JobStatus.Cancelled, cancelled.Status);
        Assert.Equal("cancelled: budget freeze", cancelled.Reason);
        Assert.Empty(await app.Get<DeadLetterQueue>().PeekAsync());
    }

    [Theory]
    [InlineData("""{"jobId":"x","kind":"explode"}""", "unreadable job event")]
    [InlineData("""{"jobId":"bad/id#?","kind":"cancel"}""", "jobId is not a valid job id")]
    [InlineData("""{"jobId":"no-such-job","kind":"complete"}""", "no job 'no-such-job'")]
    [InlineData("[]", "unreadable job event")]
    public async Task A_job_event_that_cannot_be_delivered_is_dead_lettered_in_the_events_poison_queue(string body, string reasonStart)
    {
        await using var app = await AppComposition.StartAsync(azurite);

        await app.Function<QueueFunctions>().EventsAsync(Message(body), app.Client, CancellationToken.None);

        var poison = Assert.Single(await app.Get<DeadLetterQueue>().PeekAsync());
        Assert.Equal(DeadLetterSource.Events, poison.Source);
        Assert.StartsWith(reasonStart, poison.Reason, StringComparison.Ordinal);
        Assert.Equal(body, poison.Body);
    }

    [Fact]
    public async Task Raw_bodies_the_runtime_moves_to_a_poison_queue_are_listed_as_such()
    {
        await using var app = await AppComposition.StartAsync(azurite);
        var queue = app.Storage.Queues.GetQueueClient(app.Storage.Options.JobsPoisonQueue);
        await queue.SendMessageAsync("""{"id":"whatever the runtime moved"}""");

        var poison = Assert.Single(await app.Get<DeadLetterQueue>().PeekAsync());
        Assert.False(poison.Recorded);
        Assert.Equal("""{"id":"whatever the runtime moved"}""", poison.Body);
        Assert.StartsWith("moved by the Functions runtime", poison.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_forecast_timer_stores_forecasts_and_asks_waiting_jobs_to_replan()
    {
        await using var app = await AppComposition.StartAsync(azurite, new Dictionary<string, string?> { ["Carbon:Forecasts:Regions:0"] = "spaincentral" });
        var id = NewId("replan");
        var waiting = JobJson(id, startInHours: 48).Replace("\"policy\":\"run-now\"", "\"policy\":\"best-window\"", StringComparison.Ordinal);

        await app.Function<TimerFunctions>().IngestForecastsAsync(new TimerInfo(), app.Client, CancellationToken.None);
        await app.Function<QueueFunctions>().IntakeAsync(Message(waiting), app.Client, CancellationToken.None);
        var planned = await WaitForAsync(app.Get<JobStore>(), id, s => s.Status == JobStatus.Planned);
        await app.Function<TimerFunctions>().IngestForecastsAsync(new TimerInfo(), app.Client, CancellationToken.None);

        // The stored forecast gave the job a real plan; the second run's re-plan found the same slots and changed nothing.
        Assert.True(planned.Plan!.EmissionsKnown);
        var forecast = await app.Get<Core.Forecasts.IForecastStore>().GetLatestForecastAsync("spaincentral", DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddHours(24), CancellationToken.None);
        Assert.NotNull(forecast);
        await Task.Delay(1000);
        var after = (await app.Get<JobStore>().GetAsync(id))!.State;
        Assert.Equal(JobStatus.Planned, after.Status);
        Assert.Equal(planned.Plan.Slots, after.Plan!.Slots);
    }

    [Fact]
    public async Task The_reconciler_timer_stops_a_pool_that_no_job_wants()
    {
        await using var app = await AppComposition.StartAsync(azurite);
        var providers = app.Get<Handlers.Lifecycle.PoolProviders>();
        var pool = providers.For(Core.Jobs.CloudProvider.Azure);
        await pool.EnsureRunningAsync(new Core.Pools.PoolSpec { PoolId = "left-by-hand", Kind = Core.Jobs.PoolKind.Gpu, Provider = Core.Jobs.CloudProvider.Azure, Region = "spaincentral", NodeSize = "Standard_NC24ads_A100_v4", Nodes = 2 }, CancellationToken.None);
        Assert.Contains(await pool.ListActiveAsync(CancellationToken.None), p => p.PoolId == "left-by-hand" && p.RunningNodes > 0);

        await app.Function<TimerFunctions>().ReconcileAsync(new TimerInfo(), CancellationToken.None);

        Assert.DoesNotContain(await pool.ListActiveAsync(CancellationToken.None), p => p.PoolId == "left-by-hand" && p.RunningNodes > 0);
    }

    [Fact]
    public async Task The_telemetry_trigger_turns_an_uploaded_blob_into_the_jobs_stored_report_and_counts_a_redelivery_once()
    {
        await using var app = await AppComposition.StartAsync(azurite);
        var id = NewId("telemetry");
        var container = app.Storage.Blobs.GetBlobContainerClient(app.Storage.Options.TelemetryContainer);
        var blob = container.GetBlobClient($"{id}/0/20261201T100000Z-0001.jsonl");
        var lines = string.Join('\n',
            """{"timestamp":"2026-12-01T10:00:00Z","device":"gpu0","powerWatts":250}""",
            """{"timestamp":"2026-12-01T10:01:00Z","device":"gpu0","powerWatts":250}""",
            """{"timestamp":"2026-12-01T10:02:00Z","device":"gpu0","powerWatts":250}""");
        await blob.UploadAsync(BinaryData.FromString(lines));
        await blob.SetMetadataAsync(new Dictionary<string, string> { ["region"] = "spaincentral" });
        var trigger = app.Function<TelemetryFunctions>();

        await trigger.IngestTelemetryAsync(blob, CancellationToken.None);
        await trigger.IngestTelemetryAsync(blob, CancellationToken.None);

        var report = await app.Get<Core.Emissions.IEmissionsReportStore>().GetAsync(id, CancellationToken.None);
        Assert.NotNull(report);
        Assert.Equal(250.0 * 120 / 3600 / 1000, report.EnergyKwh, 9);
    }
}
