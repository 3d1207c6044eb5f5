using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using CarbonFunctions.Core.Lifecycle;
using CarbonFunctions.Reliability.Tests.Faults;
using CarbonFunctions.Testing;

namespace CarbonFunctions.Reliability.Tests.Scenarios;

/// <summary>
/// Crashes for real: the local host runs in a process of its own (tests/CarbonFunctions.CrashHost, the same
/// composition as <c>carbonctl local run</c>) that SIGKILLs itself at the first armed point it reaches; after each kill
/// the storage emulator is restarted too, from its files on disk, and a new host process goes on where the dead one
/// stopped. What survives is only what storage acknowledged.
/// </summary>
/// <remarks>
/// In a collection of its own: it has its own Azurite (another Node.js process), so it runs beside the scenarios on
/// the shared one instead of after them.
/// </remarks>
[Collection(CrashProcessCollection.Name)]
public sealed class CrashProcessTests(ITestOutputHelper output)
{
    /// <summary>
    /// The moments where a lost write would hurt most: the job recorded but its pool not started, a pool started but its
    /// start not recorded, a pool paused but the pause not recorded (mid-pause), a pool stopped but the stop not recorded
    /// (mid-stop), and the handled message not yet deleted.
    /// </summary>
    private static readonly string[] Points =
    [
        CrashingStoragePolicy.AfterJobStored,
        CrashingStoragePolicy.BeforeMessageDeleted,
        FaultyPools.BeforePoolStart,
        FaultyPools.AfterPoolStart,
        FaultyPools.AfterPoolPause,
        FaultyPools.AfterPoolStop,
    ];

    private const int SigKillExit = 128 + 9;

    [Fact]
    public async Task A_host_process_killed_with_sigkill_at_each_point_and_restarted_on_disk_backed_azurite_loses_nothing()
    {
        var stopwatch = Stopwatch.StartNew();
        var root = Directory.CreateTempSubdirectory("carbon-crash-");
        var run = Directory.CreateDirectory(Path.Combine(root.FullName, "run")).FullName;
        await using var azurite = await DiskAzurite.StartAsync(Path.Combine(root.FullName, "azurite"));
        var settings = new Dictionary<string, string?>(new LocalRig(azurite.ConnectionString, new Dictionary<string, string?>
        {
            ["Carbon:LocalHost:VisibilityTimeout"] = "00:00:01",
        }).Settings);
        File.WriteAllText(Path.Combine(run, "clock.txt"), LocalRig.Start.ToString("O", CultureInfo.InvariantCulture));

        var remaining = new List<string>(Points);
        var ids = new List<string>();
        var processes = 0;
        var kills = 0;
        for (var batch = 0; batch < 3 && remaining.Count > 0; batch++)
        {
            var rig = new LocalRig(azurite.ConnectionString, settings);
            await rig.Clean.EnsureCreatedAsync();
            foreach (var (id, body) in JobRuns.Jobs($"proc{batch}", 3))
            {
                ids.Add(id);
                await rig.Clean.Queues.GetQueueClient(rig.Storage.JobsQueue).SendMessageAsync(body);
            }

            File.WriteAllLines(Path.Combine(run, "jobs.txt"), ids);
            while (true)
            {
                settings["Carbon:Storage:ConnectionString"] = azurite.ConnectionString;
                File.WriteAllText(Path.Combine(run, "settings.json"), JsonSerializer.Serialize(settings));
                processes++;
                var (exit, stderr) = await RunHostAsync(run, remaining.Count > 0 ? string.Join(',', remaining) : "none");
                if (exit == 0)
                {
                    break;
                }

                Assert.True(exit == SigKillExit, $"the host process exited with {exit}, not by its own SIGKILL: {stderr}");
                var fired = File.ReadAllLines(Path.Combine(run, "fired.txt")).Last();
                Assert.True(remaining.Remove(fired), $"{fired} fired twice");
                kills++;

                // The storage service restarts too, from what it wrote to disk.
                await azurite.StopAsync();
                await azurite.StartAgainAsync();
            }
        }

        settings["Carbon:Storage:ConnectionString"] = azurite.ConnectionString;
        var check = new LocalRig(azurite.ConnectionString, settings);
        var stored = await Accounting.JobsAsync(check.Clean);
        var lost = ids.Count(id => stored.All(j => j.Job.Id != id));
        Assert.All(stored, j => Assert.Equal(JobStatus.Completed, j.State.Status));

        // No pool started cold more often than its job entered StartingPool: a second start for one slot would be a second run.
        var coldStartsFile = Path.Combine(run, "coldstarts.txt");
        var coldStarts = (File.Exists(coldStartsFile) ? File.ReadAllLines(coldStartsFile) : []).Where(l => l.Length > 0).GroupBy(l => l).ToDictionary(g => g.Key, g => g.Count());
        var twice = stored.Count(j => coldStarts.GetValueOrDefault(j.Job.Id) > j.State.History.Count(h => h.To == JobStatus.StartingPool && h.From != JobStatus.StartingPool));
        var orphaned = (await check.Cloud().ListActiveAsync(CancellationToken.None)).Count(p => p.RunningNodes > 0);
        var ledger = await check.LedgerTotalAsync();
        var line = Summary.Print(output,
            $"crash processes: {kills} of {Points.Length} points killed a host process (SIGKILL), {processes} processes, storage restarted from disk {azurite.Starts - 1} times; {stored.Count} of {ids.Count} jobs completed, {lost} lost, {twice} run twice, {orphaned} pools orphaned, {ledger} nodes left in the ledger");
        output.WriteLine($"killed at, in order: {string.Join(", ", File.ReadAllLines(Path.Combine(run, "fired.txt")))}; {stopwatch.Elapsed.TotalSeconds:0.0} s");
        Assert.Equal(0, lost);
        Assert.Equal(ids.Count, stored.Count);
        Assert.Equal(0, twice);
        Assert.Equal(0, orphaned);
        Assert.Equal(0, ledger);
        Assert.Empty(remaining);
        Assert.True(coldStarts.Count > 0, "no pool was ever started: the scenario proved nothing");
        root.Delete(recursive: true);
    }

    /// <summary>Runs one life of the crash host; a host that hangs is killed and fails the test.</summary>
    private static async Task<(int Exit, string Stderr)> RunHostAsync(string run, string points)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { CrashHostPath(), run, points })
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(120));
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"the crash host did not finish in 120 s: {await stderr}");
        }

        await stdout;
        return (process.ExitCode, await stderr);
    }

    /// <summary>The crash host's build output, beside this project's (the same configuration; built first by the project reference).</summary>
    private static string CrashHostPath()
    {
        var mine = AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar);
        var path = Path.Combine(mine.Replace("CarbonFunctions.Reliability.Tests", "CarbonFunctions.CrashHost", StringComparison.Ordinal), "CarbonFunctions.CrashHost.dll");
        return File.Exists(path) ? path : throw new FileNotFoundException($"the crash host is not built at {path}");
    }
}

/// <summary>The crash process scenario alone: its own Azurite on disk, run in parallel with the shared-Azurite scenarios.</summary>
[CollectionDefinition(Name)]
public sealed class CrashProcessCollection
{
    public const string Name = "crash-process";
}
