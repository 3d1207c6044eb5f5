using System.Diagnostics;
using CarbonFunctions.Core.Lifecycle;
using CarbonFunctions.Local.Hosting;
using CarbonFunctions.Reliability.Tests.Faults;
using CarbonFunctions.Testing;

namespace CarbonFunctions.Reliability.Tests.Scenarios;

[Collection(ReliabilityCollection.Name)]
public sealed class CrashTests(SharedAzurite azurite, ITestOutputHelper output)
{
    /// <summary>Every step of a job's life, in the order a job meets them; the host is killed once at each.</summary>
    private static readonly string[] Points =
    [
        CrashingStoragePolicy.AfterJobStored,
        CrashingStoragePolicy.BeforeMessageDeleted,
        CrashingStoragePolicy.AfterStateWritten(nameof(JobStatus.Planned)),
        CrashingStoragePolicy.AfterStateWritten(nameof(JobStatus.StartingPool)),
        FaultyPools.BeforePoolStart,
        FaultyPools.AfterPoolStart,
        CrashingStoragePolicy.AfterStateWritten(nameof(JobStatus.Running)),
        CrashingStoragePolicy.AfterStateWritten(nameof(JobStatus.Pausing)),
        FaultyPools.AfterPoolPause,
        CrashingStoragePolicy.AfterStateWritten(nameof(JobStatus.Paused)),
        CrashingStoragePolicy.AfterStateWritten(nameof(JobStatus.Stopping)),
        FaultyPools.AfterPoolStop,
        CrashingStoragePolicy.AfterStateWritten(nameof(JobStatus.Completed)),
    ];

    [Fact]
    public async Task A_host_killed_at_every_step_of_a_jobs_life_loses_nothing_runs_nothing_twice_and_orphans_no_pool()
    {
        var stopwatch = Stopwatch.StartNew();
        var rig = new LocalRig(azurite, new Dictionary<string, string?> { ["Carbon:LocalHost:VisibilityTimeout"] = "00:00:01" });
        var crashes = new CrashPoints(Points);
        var coldStarts = new System.Collections.Concurrent.ConcurrentDictionary<string, int>();
        var ids = new List<string>();
        await rig.Clean.EnsureCreatedAsync();

        // The killed hosts are left where they stopped: never disposed, never resumed, as a killed process is.
        var killed = new List<LocalComposition>();
        var deadline = DateTime.UtcNow.AddSeconds(150);
        var hosts = 0;
        for (var batch = 0; batch < 4 && crashes.Remaining > 0; batch++)
        {
            // A batch of the three samples; while points are left that no job reached, another batch follows.
            // A later batch is submitted when the clock has moved on: its deadlines move with it (else it is refused).
            foreach (var (id, body) in JobRuns.Jobs($"crash{batch}", 3, rig.Clock.GetUtcNow() - LocalRig.Start))
            {
                ids.Add(id);
                await rig.Clean.Queues.GetQueueClient(rig.Storage.JobsQueue).SendMessageAsync(body);
            }

            while (true)
            {
                crashes.NextHost();
                hosts++;
                var local = await rig.BuildAsync(
                    storagePolicy: new CrashingStoragePolicy(crashes, rig.Storage.JobsTable, rig.Storage.JobsQueue),
                    wrapPools: inner => new FaultyPools(inner, crashes: crashes, coldStarts: coldStarts));
                var run = JobRuns.RunUntilEndedAsync(local, rig, ids, deadline - DateTime.UtcNow);
                if (await Task.WhenAny(run, crashes.Reached) == run)
                {
                    // Every job so far has ended with this host alive.
                    await run;
                    await local.DisposeAsync();
                    break;
                }

                killed.Add(local);
            }
        }

        var stored = await Accounting.JobsAsync(rig.Clean);
        var lost = ids.Count(id => stored.All(j => j.Job.Id != id));
        Assert.All(stored, j => Assert.Equal(JobStatus.Completed, j.State.Status));

        // A slot is entered once per StartingPool in a job's history; a cold start beyond that would be a second pool start for one slot.
        var twice = stored.Count(j => coldStarts.GetValueOrDefault(j.Job.Id) > j.State.History.Count(h => h.To == JobStatus.StartingPool && h.From != JobStatus.StartingPool));
        var orphaned = (await rig.Cloud().ListActiveAsync(CancellationToken.None)).Count(p => p.RunningNodes > 0);
        var ledger = await rig.LedgerTotalAsync();
        var line = Summary.Print(output,
            $"crashes: {crashes.Fired.Count} of {Points.Length} named points killed a host, {hosts} hosts; {stored.Count} of {ids.Count} jobs completed, {lost} lost, {twice} run twice, {orphaned} pools orphaned, {ledger} nodes left in the ledger");
        output.WriteLine($"killed at, in order: {string.Join(", ", crashes.Fired)}; {stopwatch.Elapsed.TotalSeconds:0.0} s");
        Assert.Equal(0, lost);
        Assert.Equal(0, twice);
        Assert.Equal(0, orphaned);
        Assert.Equal(0, ledger);
        Assert.Equal(Points.Order(StringComparer.Ordinal), crashes.Fired.Order(StringComparer.Ordinal));
        GC.KeepAlive(killed);
    }
}
