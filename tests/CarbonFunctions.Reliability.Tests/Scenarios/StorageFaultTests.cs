using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using CarbonFunctions.Handlers.Hosting;
using CarbonFunctions.Core.Lifecycle;
using CarbonFunctions.Reliability.Tests.Faults;
using CarbonFunctions.Storage.Queues;
using CarbonFunctions.Testing;

namespace CarbonFunctions.Reliability.Tests.Scenarios;

[Collection(ReliabilityCollection.Name)]
public sealed class StorageFaultTests(SharedAzurite azurite, ITestOutputHelper output)
{
    [Fact]
    public async Task Transient_storage_faults_corrupt_nothing_and_every_job_ends()
    {
        var stopwatch = Stopwatch.StartNew();
        var rig = new LocalRig(azurite, new Dictionary<string, string?> { ["Carbon:LocalHost:VisibilityTimeout"] = "00:00:01" });

        // 6 % of requests fail (500, 503, timeouts before and after the service applied them, 412 on conditional
        // writes); about one request in 250 starts a 503 outage long enough to exhaust the SDK's retries.
        var faults = new StorageFaults(seed: 23, rate: 0.06, outageRate: 0.004, outageLength: 6) { Enabled = false };
        await using var local = await rig.BuildAsync(storagePolicy: faults);
        var jobs = JobRuns.Jobs("storage", 3);
        foreach (var (_, body) in jobs)
        {
            await rig.Clean.Queues.GetQueueClient(rig.Storage.JobsQueue).SendMessageAsync(body);
        }

        // The host's storage fault counter, as an exporter would see it: by operation.
        var counted = new ConcurrentDictionary<string, long>();
        using var meter = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == CarbonTelemetry.SourceName && instrument.Name == CarbonTelemetry.StorageFaultsName)
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            },
        };
        meter.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            var operation = "?";
            foreach (var tag in tags)
            {
                if (tag.Key == CarbonTelemetry.OperationTag)
                {
                    operation = (string)tag.Value!;
                }
            }

            counted.AddOrUpdate(operation, value, (_, n) => n + value);
        });
        meter.Start();

        faults.Enabled = true;
        await JobRuns.RunUntilEndedAsync(local, rig, [.. jobs.Select(j => j.Id)], JobRuns.LoadedMachineLimit);
        faults.Enabled = false;
        meter.Dispose();

        // Every row still reads (the contract and the state), and every history is one unbroken chain.
        var stored = await Accounting.JobsAsync(rig.Clean);
        Assert.Equal(jobs.Select(j => j.Id).Order(StringComparer.Ordinal), stored.Select(j => j.Job.Id).Order(StringComparer.Ordinal));
        var corrupt = stored.Count(j => !Accounting.HistoryIsAChain(j.State));
        Assert.All(stored, j => Assert.True(j.State.IsTerminal, $"{j.Job.Id} is {j.State.Status}"));
        var running = (await rig.Cloud().ListActiveAsync(CancellationToken.None)).Sum(p => p.RunningNodes);
        var ledger = await rig.LedgerTotalAsync();
        var poisoned = (await Accounting.DeadLettersAsync(rig.Clean, DeadLetterSource.Jobs)).Count;

        var injected = faults.Injected;
        var line = Summary.Print(output,
            $"storage faults: {faults.Requests} requests, {injected.Values.Sum()} faults injected " +
            $"(500 {injected.GetValueOrDefault(StorageFault.ServerError)}, 503 {injected.GetValueOrDefault(StorageFault.ServerBusy)}, " +
            $"timeout before send {injected.GetValueOrDefault(StorageFault.TimeoutBeforeSend)}, timeout after apply {injected.GetValueOrDefault(StorageFault.TimeoutAfterSend)}, " +
            $"412 {injected.GetValueOrDefault(StorageFault.EtagConflict)}, outage {injected.GetValueOrDefault(StorageFault.Outage)}); " +
            $"{stored.Count} jobs terminal ({JobRuns.Count(stored, JobStatus.Completed)} completed, {JobRuns.Count(stored, JobStatus.Failed)} failed), " +
            $"{corrupt} corrupt, {poisoned} dead-lettered, {running} nodes running, {ledger} nodes in the ledger; " +
            $"{counted.Values.Sum()} outlived by the host ({CarbonTelemetry.StorageFaultsName})");
        output.WriteLine($"{CarbonTelemetry.StorageFaultsName} by operation: {string.Join(", ", counted.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => $"{c.Key} {c.Value}"))}");
        output.WriteLine($"{stopwatch.Elapsed.TotalSeconds:0.0} s, virtual end {rig.Clock.GetUtcNow():u}");
        Assert.Equal(0, corrupt);
        Assert.Equal(0, running);
        Assert.Equal(0, ledger);
        Assert.True(injected.GetValueOrDefault(StorageFault.Outage) > 0 && injected.GetValueOrDefault(StorageFault.TimeoutAfterSend) > 0 && injected.GetValueOrDefault(StorageFault.EtagConflict) > 0, line);
        Assert.Equal(jobs.Count, stored.Count(j => j.State.Status == JobStatus.Completed) + stored.Count(j => j.State.Status == JobStatus.Failed));

        // Outages outlast the SDK's retries: the host catches them, backs off, goes on, and counts each one.
        Assert.True(counted.Values.Sum() > 0, $"an outage reached the host but {CarbonTelemetry.StorageFaultsName} counted nothing");
    }
}
