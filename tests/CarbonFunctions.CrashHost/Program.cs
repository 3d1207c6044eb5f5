using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using CarbonFunctions.Compute.Budget;
using CarbonFunctions.Compute.Simulated;
using CarbonFunctions.Core.Jobs;
using CarbonFunctions.Core.Pools;
using CarbonFunctions.Handlers.Lifecycle;
using CarbonFunctions.Local.Hosting;
using CarbonFunctions.Reliability.Tests.Faults;
using CarbonFunctions.Storage;
using CarbonFunctions.Storage.Jobs;
using CarbonFunctions.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

// The crash host: one life of the local host, in its own process. Usage:
//   CarbonFunctions.CrashHost <run folder> <point>[,<point>...]
// The run folder holds settings.json (the host's configuration, flat keys), jobs.txt (the job ids to run until they
// end), clock.txt (the virtual time to start at; written back on every exit, so that the next life goes on from it).
// It appends to fired.txt the point it died at, and to coldstarts.txt every cold start of a pool, before it can die.
// Exit 0: every job ended with this host alive. A kill at a point is a SIGKILL of this process (exit by signal 9).
if (args.Length != 2 || !Directory.Exists(args[0]))
{
    await Console.Error.WriteLineAsync("usage: CarbonFunctions.CrashHost <run folder> <point>[,<point>...]");
    return 2;
}

var folder = args[0];
var points = args[1].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
var settings = JsonSerializer.Deserialize<Dictionary<string, string?>>(File.ReadAllText(Path.Combine(folder, "settings.json")))!;
var ids = File.ReadAllLines(Path.Combine(folder, "jobs.txt")).Where(l => l.Length > 0).ToList();
var clockFile = Path.Combine(folder, "clock.txt");
var clock = new VirtualClock(DateTimeOffset.Parse(File.ReadAllText(clockFile).Trim(), CultureInfo.InvariantCulture));
var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
var storage = configuration.GetSection(StorageOptions.SectionName).Get<StorageOptions>()!;

void SaveClock() => File.WriteAllText(clockFile, clock.GetUtcNow().ToString("O", CultureInfo.InvariantCulture));

var crashes = new CrashPoints(points, kill: point =>
{
    SaveClock();
    File.AppendAllText(Path.Combine(folder, "fired.txt"), point + Environment.NewLine);

    // SIGKILL: no finally blocks, no disposal, no flush of anything the host had not written yet.
    Process.GetCurrentProcess().Kill();
});
crashes.NextHost();

void ColdStart(string pool) => File.AppendAllText(Path.Combine(folder, "coldstarts.txt"), pool + Environment.NewLine);

await using var local = await LocalComposition.CreateAsync(configuration, clock, NullLoggerFactory.Instance, services =>
{
    // The same decorators as the in-process crash test: on the storage pipeline (per retry) and around the pool port,
    // inside the node budget guard where a real cloud adapter sits.
    services.AddSingleton(new StorageClients(storage, options => options.AddPolicy(new CrashingStoragePolicy(crashes, storage.JobsTable, storage.JobsQueue), HttpPipelinePosition.PerRetry)));
    services.AddSingleton(sp =>
    {
        var simulated = configuration.GetSection(SimulatedPoolOptions.SectionName).Get<SimulatedPoolOptions>() ?? new SimulatedPoolOptions();
        var cloud = new FaultyPools(
            new SimulatedPoolProvider(sp.GetRequiredService<TableServiceClient>(), sp.GetRequiredService<BlobServiceClient>(), simulated, clock),
            crashes: crashes,
            onColdStart: ColdStart);
        var guarded = new NodeBudgetGuard(cloud, sp.GetRequiredService<INodeLedger>());
        return new PoolProviders(new Dictionary<CloudProvider, IPoolProvider> { [CloudProvider.Azure] = guarded, [CloudProvider.Aws] = guarded });
    });
});

var jobs = new JobStore(new StorageClients(storage));

// No node agents here: a job whose planned work is over is reported done, as a user would with jobs complete.
var runs = new TrainingRunStandIn(jobs, local.Services.GetRequiredService<StoredJobLifecycle>(), clock);
async Task<bool> AllEndedAsync()
{
    foreach (var id in ids)
    {
        if ((await jobs.GetAsync(id))?.State.IsTerminal != true)
        {
            return false;
        }
    }

    return true;
}

// As the in-process scenario runs a host: on the virtual clock the loop returns when nothing is due; a message hidden
// by a killed host's receive is not "due", so wait a moment of real time for it to become visible again.
var giveUpAt = clock.GetUtcNow().AddDays(7);
while (!await AllEndedAsync())
{
    if (clock.GetUtcNow() > giveUpAt)
    {
        await Console.Error.WriteLineAsync($"virtual time ran a week past the start without the jobs ending ({clock.GetUtcNow():u})");
        SaveClock();
        return 1;
    }

    await local.Host.RunAsync(async () =>
    {
        await runs.FinishPlannedWorkAsync();
        return clock.GetUtcNow() > giveUpAt || await AllEndedAsync();
    });
    await Task.Delay(100);
}

SaveClock();
return 0;
