using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using Azure.Identity;
using Azure.Storage.Queues.Models;
using CarbonFunctions.App.Functions;
using CarbonFunctions.App.Hosting;
using CarbonFunctions.Core.Lifecycle;
using CarbonFunctions.Handlers.Hosting;
using CarbonFunctions.Storage.Jobs;
using CarbonFunctions.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Metrics;

namespace CarbonFunctions.App.Tests;

/// <summary>Traces carry the job id end to end, and the exporter authenticates with Entra (keys are off).</summary>
public sealed class TelemetryTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>
{
    [Fact]
    public void The_exporter_uses_the_managed_identity_the_authentication_string_names()
    {
        Assert.IsType<ManagedIdentityCredential>(AppTelemetry.CredentialFor("ClientId=00000000-0000-0000-0000-000000000001;Authorization=AAD"));
        Assert.IsType<ManagedIdentityCredential>(AppTelemetry.CredentialFor("Authorization=AAD"));
        Assert.Null(AppTelemetry.CredentialFor(null));
        var error = Assert.Throws<InvalidOperationException>(() => AppTelemetry.CredentialFor("Authorization=Key"));
        Assert.Contains("Authorization=AAD", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_pipelines_counters_are_exported_with_the_traces()
    {
        var services = new ServiceCollection();
        services.AddCarbonTelemetry(new ConfigurationBuilder().Build());
        var exported = new List<Metric>();
        services.AddOpenTelemetry().WithMetrics(metrics => metrics.AddInMemoryExporter(exported));
        using var provider = services.BuildServiceProvider();
        var meters = provider.GetRequiredService<MeterProvider>();

        CarbonTelemetry.RecordStorageFault("test", new Azure.RequestFailedException(503, "server busy"));
        meters.ForceFlush();

        Assert.Contains(exported, m => m.Name == CarbonTelemetry.StorageFaultsName);
    }

    [Fact]
    public async Task Every_span_of_a_jobs_life_carries_its_job_id_from_the_queue_message_to_the_pool_calls()
    {
        var spans = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == CarbonTelemetry.SourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);
        await using var app = await AppComposition.StartAsync(azurite);
        var id = $"traced-{Guid.NewGuid():N}"[..20];
        var job = $$$"""
            {"schemaVersion":1,"id":"{{{id}}}","name":"traced","owner":"team-ml@example.org",
             "pool":{"kind":"gpu","provider":"azure","nodeSize":"Standard_NC24ads_A100_v4","minNodes":2},
             "regions":["spaincentral"],"estimatedDurationMinutes":60,"policy":"run-now",
             "deadline":"{{{DateTimeOffset.UtcNow.AddDays(1).UtcDateTime:yyyy-MM-dd'T'HH:mm:ss'Z'}}}","interruptible":true,"workload":{"image":"i"}}
            """;
        var queue = app.Function<QueueFunctions>();

        var intake = Message(job);
        var complete = Message($$"""{"jobId":"{{id}}","kind":"complete"}""");
        await queue.IntakeAsync(intake, app.Client, CancellationToken.None);
        await WaitForAsync(app.Get<JobStore>(), id, s => s.Status == JobStatus.Running);
        await queue.EventsAsync(complete, app.Client, CancellationToken.None);
        await app.Client.WaitForInstanceCompletionAsync(id);

        var ours = spans.Where(s => (string?)s.GetTagItem(CarbonTelemetry.JobIdTag) == id).Select(s => s.DisplayName).ToList();
        Assert.Contains("job.intake", ours);
        Assert.Contains("job.event", ours);
        Assert.Contains("job.command PlanJob", ours);
        Assert.Contains("job.command StartPool", ours);
        Assert.Contains("job.command StopPool", ours);
        // Every command span names its job; so does the span of each of this test's messages. (Other tests in this
        // process dead-letter unreadable messages, whose spans cannot name a job: they are not looked at here.)
        Assert.DoesNotContain(spans, s => s.DisplayName.StartsWith("job.command", StringComparison.Ordinal) && s.GetTagItem(CarbonTelemetry.JobIdTag) is null);
        string[] mine = [intake.MessageId, complete.MessageId];
        var messageSpans = spans.Where(s => mine.Contains((string?)s.GetTagItem("messaging.message.id"))).ToList();
        Assert.Equal(2, messageSpans.Count);
        Assert.All(messageSpans, s => Assert.Equal(id, (string?)s.GetTagItem(CarbonTelemetry.JobIdTag)));
    }

    private static QueueMessage Message(string body) =>
        QueuesModelFactory.QueueMessage(Guid.NewGuid().ToString("N"), "pop", new BinaryData(Encoding.UTF8.GetBytes(body)), 1, DateTimeOffset.UtcNow);

    private static async Task WaitForAsync(JobStore store, string jobId, Func<JobState, bool> until)
    {
        for (var deadline = DateTime.UtcNow.AddSeconds(30); DateTime.UtcNow < deadline; await Task.Delay(100))
        {
            if ((await store.GetAsync(jobId))?.State is { } state && until(state))
            {
                return;
            }
        }

        throw new TimeoutException($"job {jobId} did not reach the expected state");
    }
}
