using System.Diagnostics;
using CarbonFunctions.Core.Lifecycle;
using CarbonFunctions.Reliability.Tests.Faults;
using CarbonFunctions.Testing;

namespace CarbonFunctions.Reliability.Tests.Scenarios;

[Collection(ReliabilityCollection.Name)]
public sealed class CloudFaultTests(SharedAzurite azurite, ITestOutputHelper output)
{
    private const int NodeCap = 8;

    [Fact]
    public async Task Pool_calls_failing_at_thirty_percent_leave_every_job_ended_no_pool_running_and_the_cap_kept()
    {
        var stopwatch = Stopwatch.StartNew();
        var rig = new LocalRig(azurite, new Dictionary<string, string?>
        {
            ["Carbon:Pools:MaxTotalNodes"] = NodeCap.ToString(System.Globalization.CultureInfo.InvariantCulture),

            // The cloud's own quota is far above the cap: the budget guard, not the cloud, must keep the pools within it.
            ["Carbon:Pools:Simulated:QuotaNodes"] = "64",
        });
        var jobs = JobRuns.Jobs("cloud", 6);
        var neverUp = jobs[0].Id;
        FaultyPools? cloud = null;
        await using var local = await rig.BuildAsync(wrapPools: inner => cloud = new FaultyPools(inner, seed: 31, rate: 0.3, neverUpPool: neverUp));
        foreach (var (_, body) in jobs)
        {
            await local.Intake.SendAsync(body);
        }

        await JobRuns.RunUntilEndedAsync(local, rig, [.. jobs.Select(j => j.Id)], JobRuns.LoadedMachineLimit);

        var stored = await Accounting.JobsAsync(rig.Clean);
        Assert.All(stored, j => Assert.True(j.State.IsTerminal, $"{j.Job.Id} is {j.State.Status}"));
        Assert.Equal(jobs.Count, stored.Count);
        var running = (await rig.Cloud().ListActiveAsync(CancellationToken.None)).Sum(p => p.RunningNodes);
        var ledger = await rig.LedgerTotalAsync();
        var injected = cloud!.Injected;
        var failedCalls = injected.Where(f => f.Key != CloudFault.NeverUp).Sum(f => f.Value);
        var line = Summary.Print(output,
            $"cloud faults: {cloud.Calls} pool calls, {failedCalls} faulted (throttled {injected.GetValueOrDefault(CloudFault.Throttled)}, 5xx {injected.GetValueOrDefault(CloudFault.ServerError)}, " +
            $"timeout before {injected.GetValueOrDefault(CloudFault.TimeoutBeforeCall)}, timeout after {injected.GetValueOrDefault(CloudFault.TimeoutAfterCall)}, partial start {injected.GetValueOrDefault(CloudFault.PartialStart)}), " +
            $"1 pool never up; {stored.Count} jobs terminal ({JobRuns.Count(stored, JobStatus.Completed)} completed, {JobRuns.Count(stored, JobStatus.Failed)} failed, {JobRuns.Count(stored, JobStatus.DeadlineMissed)} deadline missed), " +
            $"{running} pools running, max {cloud.MaxHeld} of {NodeCap} nodes");
        output.WriteLine($"{stopwatch.Elapsed.TotalSeconds:0.0} s, virtual end {rig.Clock.GetUtcNow():u}; never-up job: {stored.Single(j => j.Job.Id == neverUp).State.Reason}");
        Assert.Equal(0, running);
        Assert.Equal(0, ledger);
        Assert.InRange(cloud.MaxHeld, 1, NodeCap);
        Assert.InRange(failedCalls / (double)cloud.Calls, 0.2, 0.4);
        Assert.NotEqual(JobStatus.Completed, stored.Single(j => j.Job.Id == neverUp).State.Status);
    }
}
