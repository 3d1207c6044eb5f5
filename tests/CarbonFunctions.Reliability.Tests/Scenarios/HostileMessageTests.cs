using System.Collections.Concurrent;
using System.Diagnostics;
using Azure;
using CarbonFunctions.Core.Jobs;
using CarbonFunctions.Handlers.Jobs;
using CarbonFunctions.Local.Hosting;
using CarbonFunctions.Storage.Azurite;
using CarbonFunctions.Storage.Queues;
using Microsoft.Extensions.DependencyInjection;

namespace CarbonFunctions.Reliability.Tests.Scenarios;

[Collection(ReliabilityCollection.Name)]
public sealed class HostileMessageTests(SharedAzurite azurite, ITestOutputHelper output)
{
    private const int Messages = 5_000;

    /// <summary>
    /// The flood is split over two storage accounts (two Azurite processes), each drained by its own two competing hosts,
    /// side by side: one Azurite is a single Node.js thread and the drain is bound by it (eight hosts on one account were
    /// no faster than two). Each half is a seeded flood of its own, so that every repeat lands where its original did.
    /// </summary>
    private const int Accounts = 2;

    private const int HostsPerAccount = 2;

    [Fact]
    public async Task Five_thousand_hostile_job_messages_are_each_stored_or_dead_lettered_and_the_host_lives_on()
    {
        var stopwatch = Stopwatch.StartNew();
        await using var second = await AzuriteProcess.StartAsync(timeout: TimeSpan.FromSeconds(120));
        var floods = await Task.WhenAll(
            FloodAsync(azurite.ConnectionString, seed: 17, Messages / Accounts),
            FloodAsync(second.ConnectionString, seed: 18, Messages - (Messages / Accounts)));

        var sent = floods.Sum(f => f.Sent);
        var accepted = floods.Sum(f => f.Accepted);
        var rejected = floods.Sum(f => f.Rejected);
        var duplicates = floods.Sum(f => f.Duplicates);
        var lost = floods.Sum(f => f.Lost);
        var alive = floods.All(f => f.HostsAlive == HostsPerAccount);
        var line = Summary.Print(output, $"hostile: {sent} in, {accepted} accepted, {rejected} rejected, {duplicates} duplicates, {lost} lost, {(alive ? "host alive" : "host dead")}");
        var classes = floods.SelectMany(f => f.PerClass).GroupBy(c => c.Key, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key} {g.Sum(c => c.Value)}");
        output.WriteLine($"classes (seeds 17 and 18): {string.Join(", ", classes)}; refused by the queue service: {floods.Sum(f => f.RefusedBySend)}; " +
            $"dead-lettered twice (a poison send repeated after a lost answer): {floods.Sum(f => f.RedundantDeadLetters)}; {Accounts} accounts x {HostsPerAccount} competing hosts; " +
            $"{stopwatch.Elapsed.TotalSeconds:0.0} s ({string.Join(", ", floods.Select(f => f.Timing))})");
        Assert.True(sent >= 4_900, $"only {sent} messages reached the queue");
        Assert.Matches(@"^hostile: \d+ in, \d+ accepted, \d+ rejected, \d+ duplicates, 0 lost, host alive$", line);
    }

    private sealed record Flood(int Sent, int Accepted, int Rejected, int Duplicates, int Lost, int HostsAlive, int RefusedBySend, int RedundantDeadLetters, IReadOnlyDictionary<string, int> PerClass, string Timing);

    /// <summary>One account's flood: <paramref name="count"/> seeded hostile bodies, drained by competing hosts, accounted message by message.</summary>
    private static async Task<Flood> FloodAsync(string connectionString, int seed, int count)
    {
        var stopwatch = Stopwatch.StartNew();
        // Budget limits as a deployment sets them: unknown regions and sizes are refused at intake.
        var rig = new LocalRig(connectionString, new Dictionary<string, string?>
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
        await using var hosts = new HostSet();
        for (var i = 0; i < HostsPerAccount; i++)
        {
            hosts.Add(await rig.BuildAsync());
        }

        var queue = rig.Clean.Queues.GetQueueClient(rig.Storage.JobsQueue);

        // Seeded: the same bodies on every run.
        var generator = new HostileMessages(seed, LocalRig.Start);
        var bodies = new List<string>();
        while (bodies.Count < count)
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

        // The competing hosts drain the queue together, as that many `carbonctl local run` processes would.
        await Task.WhenAll(hosts.Select(h => DrainAsync(h.Host)));
        var drainedAt = stopwatch.Elapsed;

        var deadLetters = await Accounting.DeadLettersAsync(rig.Clean, DeadLetterSource.Jobs);
        var jobs = await Accounting.JobsAsync(rig.Clean);

        // At least once: a poison send whose answer was lost is sent again, so one message may have two equal records.
        var poisonedGroups = deadLetters.Where(d => d.Record.OriginalMessageId is not null).GroupBy(d => d.Record.OriginalMessageId!).ToList();
        var poisoned = poisonedGroups.ToDictionary(g => g.Key, g => g.ToList());
        var limits = hosts[0].Services.GetRequiredService<JobLimits>();
        var stored = jobs.Select(j => j.Job.Id).ToHashSet();
        var lost = new List<string>();
        var acceptedMessages = new List<string>();
        foreach (var (id, body) in sent)
        {
            if (poisoned.TryGetValue(id, out var records))
            {
                // The poison copy is the body as it came, whatever it held (inline, or in a blob when it would not fit).
                Assert.All(records, dead =>
                {
                    Assert.Equal(body, dead.Body);
                    Assert.True(dead.Record.Recorded);
                    Assert.False(string.IsNullOrWhiteSpace(dead.Record.Reason));
                });
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
        Assert.Equal(deadLetters.Count, poisonedGroups.Sum(g => g.Count()));
        Assert.Equal(sent.Count, poisoned.Count + acceptedMessages.Count);
        Assert.Equal(jobs.Count, accepted);
        Assert.Equal(0, await Accounting.VisibleAsync(queue));
        Assert.True(duplicates >= generator.PerClass["repeat"], "every exact repeat is a duplicate");
        Assert.True(sent.Count >= count - refusedBySend);

        // Alive: after the flood, each host still takes a new job and starts its lifecycle.
        var alive = 0;
        foreach (var (host, id) in hosts.Select((h, i) => (h, $"canary-after-flood-{i + 1}")))
        {
            await host.Intake.SendAsync(LocalRig.SampleJob("bert-finetune.json", id));
            await host.Host.PumpOnceAsync();
            var canary = await host.Jobs.GetAsync(id);
            Assert.NotNull(canary);
            Assert.NotEqual(Core.Lifecycle.JobStatus.Queued, canary.State.Status);
            alive++;
        }

        return new Flood(
            sent.Count, accepted, poisoned.Count, duplicates, lost.Count, alive, refusedBySend, deadLetters.Count - poisoned.Count, generator.PerClass,
            $"seed {seed}: sent by {sentAt.TotalSeconds:0.0} s, drained by {drainedAt.TotalSeconds:0.0} s, checked by {stopwatch.Elapsed.TotalSeconds:0.0} s");
    }

    /// <summary>The competing hosts, disposed together.</summary>
    private sealed class HostSet : List<LocalComposition>, IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            foreach (var host in this)
            {
                await host.DisposeAsync();
            }
        }
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
