using CarbonFunctions.Core.Lifecycle;
using CarbonFunctions.Handlers.Lifecycle;
using CarbonFunctions.Local.Hosting;
using CarbonFunctions.Storage;
using CarbonFunctions.Storage.Jobs;
using CarbonFunctions.Testing;
using Microsoft.Extensions.DependencyInjection;

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

    /// <summary><paramref name="count"/> jobs, the three samples in turn under new ids, submitted <paramref name="later"/> than the samples were written for.</summary>
    public static IReadOnlyList<(string Id, string Body)> Jobs(string prefix, int count, TimeSpan later = default) =>
        [.. Enumerable.Range(0, count).Select(i => ($"{prefix}-{i}", LocalRig.SampleJob(Samples[i % Samples.Length], $"{prefix}-{i}", later)))];

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

    /// <summary>True when a job is not stored yet, or stored but not yet handed to its lifecycle (its intake is pending).</summary>
    private static async Task<bool> AnyAwaitingIntakeAsync(StorageClients clean, IEnumerable<string> ids)
    {
        var store = new JobStore(clean);
        foreach (var id in ids)
        {
            if ((await store.GetAsync(id))?.State is not { } state || state is { Status: JobStatus.Queued, WakeAt: null })
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Runs the host until the jobs have ended. On a virtual clock the host returns when nothing is due; a message hidden
    /// after a failed try is not "due", so the loop waits a moment of real time for it to become visible and goes on.
    /// </summary>
    public static async Task RunUntilEndedAsync(LocalComposition local, LocalRig rig, IReadOnlyCollection<string> ids, TimeSpan wallLimit)
    {
        var host = local.Host;
        using var limit = new CancellationTokenSource(wallLimit);
        var giveUpAt = LocalRig.Start.AddDays(7);

        // No node agents here: a job whose planned work is over is reported done, as a user would with jobs complete.
        var runs = new TrainingRunStandIn(new JobStore(rig.Clean), local.Services.GetRequiredService<StoredJobLifecycle>(), rig.Clock);
        try
        {
            while (!await AllEndedAsync(rig.Clean, ids))
            {
                if (rig.Clock.GetUtcNow() >= giveUpAt)
                {
                    Assert.Fail("virtual time ran a week past the start without the jobs ending: " + await DescribeAsync(rig, ids));
                }

                DateTimeOffset? awaitingSince = null;
                await host.RunAsync(
                    async () =>
                    {
                        await runs.FinishPlannedWorkAsync(limit.Token);

                        // A job message that a killed host had received stays hidden for the visibility timeout, in real
                        // time; a virtual clock must not run on for days meanwhile: at most an hour, then a real pause.
                        if (await AnyAwaitingIntakeAsync(rig.Clean, ids))
                        {
                            awaitingSince ??= rig.Clock.GetUtcNow();
                            if (rig.Clock.GetUtcNow() - awaitingSince > TimeSpan.FromHours(1))
                            {
                                return true;
                            }
                        }

                        return rig.Clock.GetUtcNow() > giveUpAt || await AllEndedAsync(rig.Clean, ids);
                    },
                    limit.Token);
                await Task.Delay(100, limit.Token);
            }
        }
        catch (OperationCanceledException) when (limit.IsCancellationRequested)
        {
            throw new TimeoutException($"the jobs had not ended after {wallLimit.TotalSeconds} s of real time (virtual {rig.Clock.GetUtcNow():u}): {await DescribeAsync(rig, ids)}");
        }
    }

    /// <summary>Each job's status and its last recorded steps, for a failure message.</summary>
    public static async Task<string> DescribeAsync(LocalRig rig, IEnumerable<string> ids)
    {
        var store = new JobStore(rig.Clean);
        var lines = new List<string>();
        foreach (var id in ids)
        {
            var state = (await store.GetAsync(id))?.State;
            lines.Add(state is null
                ? $"{id} not stored"
                : $"{id} {state.Status} wake {state.WakeAt:u} [{string.Join(" | ", state.History.TakeLast(4).Select(h => $"{h.At:MM-dd HH:mm} {h.From}->{h.To} {h.Reason}"))}]");
        }

        return string.Join("; ", lines);
    }

    public static string Count(IEnumerable<JobRecord> jobs, JobStatus status) => jobs.Count(j => j.State.Status == status).ToString(System.Globalization.CultureInfo.InvariantCulture);
}
