using CarbonFunctions.Core.Lifecycle;
using CarbonFunctions.Local.Hosting;
using CarbonFunctions.Storage;
using CarbonFunctions.Storage.Jobs;
using CarbonFunctions.Storage.Queues;
using CarbonFunctions.Testing;

namespace CarbonFunctions.Reliability.Tests.Scenarios;

/// <summary>Submitting the sample jobs and running a host until they end, bounded in wall-clock and virtual time.</summary>
internal static class JobRuns
{
    /// <summary>
    /// The wall-clock bound of a fault scenario: alone it runs in about ten seconds, but the storage SDK's retry delays
    /// are real time, and in the full test command every test assembly shares the two cores.
    /// </summary>
    public static readonly TimeSpan LoadedMachineLimit = TimeSpan.FromMinutes(5);

    public static readonly string[] Samples = ["bert-finetune.json", "gaudi-vision.json", "llama-pretrain.json"];

    /// <summary><paramref name="count"/> jobs, the three samples in turn under new ids.</summary>
    public static IReadOnlyList<(string Id, string Body)> Jobs(string prefix, int count) =>
        [.. Enumerable.Range(0, count).Select(i => ($"{prefix}-{i}", LocalRig.SampleJob(Samples[i % Samples.Length], $"{prefix}-{i}")))];

    /// <summary>True when every one of the jobs exists and has ended (read with fault-free clients).</summary>
    public static async Task<bool> AllEndedAsync(StorageClients clean, IEnumerable<string> ids)
    {
        var store = new JobStore(clean);
        foreach (var id in ids)
        {
            if ((await store.GetAsync(id))?.State.IsTerminal != true)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Runs the host until the jobs have ended. On a virtual clock the host returns when nothing is due; a message hidden
    /// after a failed try is not "due", so the loop waits a moment of real time for it to become visible and goes on.
    /// </summary>
    public static async Task RunUntilEndedAsync(LocalHost host, LocalRig rig, IReadOnlyCollection<string> ids, TimeSpan wallLimit)
    {
        using var limit = new CancellationTokenSource(wallLimit);
        var giveUpAt = LocalRig.Start.AddDays(7);

        // No node agents here: a job whose planned work is over is completed from outside, as a user would.
        var runs = new TrainingRunStandIn(new JobStore(rig.Clean), new JobEventQueue(rig.Clean), rig.Clock);
        try
        {
            while (!await AllEndedAsync(rig.Clean, ids))
            {
                Assert.True(rig.Clock.GetUtcNow() < giveUpAt, "virtual time ran a week past the start without the jobs ending");
                await host.RunAsync(
                    async () =>
                    {
                        await runs.FinishPlannedWorkAsync(limit.Token);
                        return rig.Clock.GetUtcNow() > giveUpAt || await AllEndedAsync(rig.Clean, ids);
                    },
                    limit.Token);
                await Task.Delay(100, limit.Token);
            }
        }
        catch (OperationCanceledException) when (limit.IsCancellationRequested)
        {
            var store = new JobStore(rig.Clean);
            var states = new List<string>();
            foreach (var id in ids)
            {
                states.Add($"{id} {(await store.GetAsync(id))?.State.Status.ToString() ?? "not stored"}");
            }

            throw new TimeoutException($"the jobs had not ended after {wallLimit.TotalSeconds} s of real time (virtual {rig.Clock.GetUtcNow():u}): {string.Join(", ", states)}");
        }
    }

    public static string Count(IEnumerable<JobRecord> jobs, JobStatus status) => jobs.Count(j => j.State.Status == status).ToString(System.Globalization.CultureInfo.InvariantCulture);
}
