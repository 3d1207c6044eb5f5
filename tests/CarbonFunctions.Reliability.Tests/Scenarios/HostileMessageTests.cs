using System.Collections.Concurrent;
using System.Diagnostics;
using Azure;
using CarbonFunctions.Core.Jobs;
using CarbonFunctions.Handlers.Jobs;
using CarbonFunctions.Local.Hosting;
using CarbonFunctions.Storage.Queues;
using CarbonFunctions.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace CarbonFunctions.Reliability.Tests.Scenarios;

[Collection(ReliabilityCollection.Name)]
public sealed class HostileMessageTests(SharedAzurite azurite, ITestOutputHelper output)
{
    private const int Messages = 5_000;

    [Fact]
    public async Task Five_thousand_hostile_job_messages_are_each_stored_or_dead_lettered_and_the_host_lives_on()
    {
        var stopwatch = Stopwatch.StartNew();
        // Budget limits as a deployment sets them: unknown regions and sizes are refused at intake.
        var rig = new LocalRig(azurite, new Dictionary<string, string?>
        {
            ["Carbon:Pools:MaxTotalNodes"] = "1000",
            ["Carbon:Pools:Simulated:QuotaNodes"] = "1000",
            ["Carbon:Jobs:AllowedRegions:0"] = "germanywestcentral",
            ["Carbon:Jobs:AllowedRegions:1"] = "spaincentral",
            ["Carbon:Jobs:AllowedRegions:2"] = "westus",
            ["Carbon:Jobs:AllowedRegions:3"] = "eastus",
            ["Carbon:Jobs:AllowedRegions:4"] = "us-east-1",
            ["Carbon:Jobs:AllowedAzureSizes:0"] = "Standard_NC24ads_A100_v4",
            ["Carbon:Jobs:AllowedAzureSizes:1"] = "Standard_ND96asr_v4",
            ["Carbon:Jobs:AllowedAwsInstanceTypes:0"] = "dl1.24xlarge",
        });
        await using var first = await rig.BuildAsync();
        await using var second = await rig.BuildAsync();
        var queue = rig.Clean.Queues.GetQueueClient(rig.Storage.JobsQueue);

        // Seeded: the same 5,000 bodies on every run.
        var generator = new HostileMessages(seed: 17, LocalRig.Start);
        var bodies = new List<string>();
        while (bodies.Count < Messages)
        {
            var body = generator.Next();
            if (HostileMessages.IsXmlText(body))
            {
                bodies.Add(body);
            }
        }

        var sent = new ConcurrentDictionary<string, string>();
        var refusedBySend = 0;
        await Parallel.ForEachAsync(bodies, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (body, ct) =>
        {
            try
            {
                sent[(await queue.SendMessageAsync(body, ct)).Value.MessageId] = body;
            }
            catch (RequestFailedException)
            {
                // Too large for the queue once XML-escaped: the queue service refused it, so it never reached the pipeline.
                Interlocked.Increment(ref refusedBySend);
            }
        });

        var sentAt = stopwatch.Elapsed;

        // Two competing hosts drain the queue, as two `carbonctl local run` processes would.
        await Task.WhenAll(DrainAsync(first.Host), DrainAsync(second.Host));
        var drainedAt = stopwatch.Elapsed;

        var deadLetters = await Accounting.DeadLettersAsync(rig.Clean, DeadLetterSource.Jobs);
        var jobs = await Accounting.JobsAsync(rig.Clean);
        var poisoned = deadLetters.Where(d => d.Record.OriginalMessageId is not null).ToDictionary(d => d.Record.OriginalMessageId!, d => d);
        var limits = first.Services.GetRequiredService<JobLimits>();
        var stored = jobs.Select(j => j.Job.Id).ToHashSet();
        var lost = new List<string>();
        var acceptedMessages = new List<string>();
        foreach (var (id, body) in sent)
        {
            if (poisoned.TryGetValue(id, out var dead))
            {
                // The poison copy is the body as it came, whatever it held (inline, or in a blob when it would not fit).
                Assert.Equal(body, dead.Body);
                Assert.True(dead.Record.Recorded);
                Assert.False(string.IsNullOrWhiteSpace(dead.Record.Reason));
                continue;
            }

            var parsed = JobIntake.Read(body, limits, LocalRig.Start);
            if (parsed.Job is { } job && stored.Contains(job.Id))
            {
                acceptedMessages.Add(job.Id);
            }
            else
            {
                lost.Add(id);
            }
        }

        var accepted = acceptedMessages.Distinct().Count();
        var duplicates = acceptedMessages.Count - accepted;
        Assert.Empty(lost);
        Assert.Equal(deadLetters.Count, poisoned.Count);
        Assert.Equal(sent.Count, poisoned.Count + acceptedMessages.Count);
        Assert.Equal(jobs.Count, accepted);
        Assert.Equal(0, await Accounting.VisibleAsync(queue));
        Assert.True(duplicates >= generator.PerClass["repeat"], "every exact repeat is a duplicate");

        // Alive: after the flood, each host still takes a new job and starts its lifecycle.
        var alive = 0;
        foreach (var (host, id) in new[] { (first, "canary-after-flood-1"), (second, "canary-after-flood-2") })
        {
            await host.Intake.SendAsync(LocalRig.SampleJob("bert-finetune.json", id));
            await host.Host.PumpOnceAsync();
            var canary = await host.Jobs.GetAsync(id);
            Assert.NotNull(canary);
            Assert.NotEqual(Core.Lifecycle.JobStatus.Queued, canary.State.Status);
            alive++;
        }

        Assert.True(sent.Count >= Messages - refusedBySend);
        Assert.True(sent.Count >= 4_900, $"only {sent.Count} messages reached the queue");
        var line = Summary.Print(output, $"hostile: {sent.Count} in, {accepted} accepted, {deadLetters.Count} rejected, {duplicates} duplicates, {lost.Count} lost, {(alive == 2 ? "host alive" : "host dead")}");
        output.WriteLine($"classes: {string.Join(", ", generator.PerClass.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => $"{c.Key} {c.Value}"))}; refused by the queue service: {refusedBySend}; {stopwatch.Elapsed.TotalSeconds:0.0} s (sent by {sentAt.TotalSeconds:0.0} s, drained by {drainedAt.TotalSeconds:0.0} s)");
        Assert.Matches(@"^hostile: \d+ in, \d+ accepted, \d+ rejected, \d+ duplicates, 0 lost, host alive$", line);
    }

    private static async Task DrainAsync(LocalHost host)
    {
        // Every turn drains the queue until a receive comes back empty; a second turn picks up what became visible again.
        for (var turn = 0; turn < 3; turn++)
        {
            await host.PumpOnceAsync();
        }
    }
}
