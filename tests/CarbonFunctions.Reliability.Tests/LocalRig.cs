using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using CarbonFunctions.Compute.Budget;
using CarbonFunctions.Compute.Simulated;
using CarbonFunctions.Core.Jobs;
using CarbonFunctions.Core.Pools;
using CarbonFunctions.Handlers.Lifecycle;
using CarbonFunctions.Local.Cli;
using CarbonFunctions.Local.Hosting;
using CarbonFunctions.Storage;
using CarbonFunctions.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace CarbonFunctions.Reliability.Tests;

/// <summary>
/// One storage "account" for a scenario (unique queue, table and container names on the shared Azurite) and the local
/// host built over it exactly as <c>carbonctl local run</c> builds it (<see cref="LocalComposition"/>), on a virtual
/// clock, with simulated pools — optionally behind a failing storage pipeline or a failing pool wrapper.
/// </summary>
internal sealed class LocalRig
{
    /// <summary>The sample jobs' deadlines are written for this submission time (samples/jobs/README.md).</summary>
    public static readonly DateTimeOffset Start = DemoCommand.SamplesWrittenFor;

    private readonly Dictionary<string, string?> _settings;

    public LocalRig(SharedAzurite azurite, IDictionary<string, string?>? overrides = null)
        : this(azurite.ConnectionString, overrides)
    {
    }

    /// <summary>A rig on any Azurite (the crash process scenario's own, on disk); <paramref name="overrides"/> win over the unique names too.</summary>
    public LocalRig(string connectionString, IDictionary<string, string?>? overrides = null)
    {
        _settings = new Dictionary<string, string?>(LocalSettings.Demo(connectionString))
        {
            ["Carbon:Storage:JobsQueue"] = AzuriteFixture.UniqueName("jobs"),
            ["Carbon:Storage:EventsQueue"] = AzuriteFixture.UniqueName("events"),
            ["Carbon:Storage:JobsTable"] = AzuriteFixture.UniqueName("jobs"),
            ["Carbon:Storage:TelemetryContainer"] = AzuriteFixture.UniqueName("telemetry"),
            ["Carbon:Storage:ReportsContainer"] = AzuriteFixture.UniqueName("reports"),
            ["Carbon:Storage:PoisonContainer"] = AzuriteFixture.UniqueName("poison"),
            ["Carbon:Pools:LedgerTable"] = AzuriteFixture.UniqueName("ledger"),
            ["Carbon:Pools:Simulated:TableName"] = AzuriteFixture.UniqueName("pools"),
            ["Carbon:Forecasts:Store:TableName"] = AzuriteFixture.UniqueName("forecasts"),

            // A failed loop turn pauses this long (real time) before the next: short, so that faults cost little time.
            ["Carbon:LocalHost:PollInterval"] = "00:00:00.050",
        };
        _settings["Carbon:Pools:Simulated:TelemetryContainer"] = _settings["Carbon:Storage:TelemetryContainer"];
        foreach (var (key, value) in overrides ?? new Dictionary<string, string?>())
        {
            _settings[key] = value;
        }

        Configuration = new ConfigurationBuilder().AddInMemoryCollection(_settings).Build();
        Storage = new StorageOptions
        {
            ConnectionString = connectionString,
            JobsQueue = _settings["Carbon:Storage:JobsQueue"]!,
            EventsQueue = _settings["Carbon:Storage:EventsQueue"]!,
            JobsTable = _settings["Carbon:Storage:JobsTable"]!,
            TelemetryContainer = _settings["Carbon:Storage:TelemetryContainer"]!,
            ReportsContainer = _settings["Carbon:Storage:ReportsContainer"]!,
            PoisonContainer = _settings["Carbon:Storage:PoisonContainer"]!,
            MaxDequeueCount = int.Parse(_settings.GetValueOrDefault("Carbon:Storage:MaxDequeueCount") ?? "5", System.Globalization.CultureInfo.InvariantCulture),
        };
        Clock = new VirtualClock(Start);
    }

    public IConfiguration Configuration { get; }

    /// <summary>The host's settings, flat (what a crash host process is given).</summary>
    public IReadOnlyDictionary<string, string?> Settings => _settings;

    public StorageOptions Storage { get; }

    public VirtualClock Clock { get; }

    /// <summary>Clients on this account without any fault, for the test's own reads (the checks must not be faulted).</summary>
    public StorageClients Clean => _clean ??= new StorageClients(Storage);

    private StorageClients? _clean;

    /// <summary>
    /// Builds a host. <paramref name="storagePolicy"/> sits in every storage client's pipeline (per retry, so the SDK's
    /// own retries meet it too); <paramref name="wrapPools"/> wraps the simulated cloud inside the node budget guard, where a
    /// real cloud adapter sits.
    /// </summary>
    public async Task<LocalComposition> BuildAsync(HttpPipelinePolicy? storagePolicy = null, Func<IPoolProvider, IPoolProvider>? wrapPools = null, ILoggerFactory? loggers = null)
    {
        return await LocalComposition.CreateAsync(Configuration, Clock, loggers ?? NullLoggerFactory.Instance, services =>
        {
            if (storagePolicy is not null)
            {
                services.AddSingleton(new StorageClients(Storage, options =>
                {
                    options.AddPolicy(storagePolicy, HttpPipelinePosition.PerRetry);
                    options.Retry.Delay = TimeSpan.FromMilliseconds(5);
                    options.Retry.MaxDelay = TimeSpan.FromMilliseconds(40);
                    options.Retry.NetworkTimeout = TimeSpan.FromSeconds(20);
                }));
            }

            if (wrapPools is not null)
            {
                services.AddSingleton(sp =>
                {
                    var simulated = Configuration.GetSection(SimulatedPoolOptions.SectionName).Get<SimulatedPoolOptions>() ?? new SimulatedPoolOptions();
                    var cloud = wrapPools(new SimulatedPoolProvider(sp.GetRequiredService<TableServiceClient>(), sp.GetRequiredService<BlobServiceClient>(), simulated, Clock));
                    var guarded = new NodeBudgetGuard(cloud, sp.GetRequiredService<INodeLedger>());
                    return new PoolProviders(new Dictionary<CloudProvider, IPoolProvider> { [CloudProvider.Azure] = guarded, [CloudProvider.Aws] = guarded });
                });
            }
        });
    }

    /// <summary>The simulated cloud's own view of this account's pools (no faults, no budget guard): what really runs.</summary>
    public SimulatedPoolProvider Cloud()
    {
        var simulated = Configuration.GetSection(SimulatedPoolOptions.SectionName).Get<SimulatedPoolOptions>() ?? new SimulatedPoolOptions();
        return new SimulatedPoolProvider(Clean.Tables, Clean.Blobs, simulated, Clock);
    }

    /// <summary>The nodes the shared ledger holds now.</summary>
    public async Task<int> LedgerTotalAsync()
    {
        var pools = Configuration.GetSection(PoolsOptions.SectionName).Get<PoolsOptions>() ?? new PoolsOptions();
        return (await new TableNodeLedger(Clean.Tables, pools).ReadAsync(CancellationToken.None)).Total;
    }

    /// <summary>A sample job (samples/jobs) under a new id, its deadline unchanged (written for <see cref="Start"/>).</summary>
    public static string SampleJob(string file, string id, TimeSpan later = default)
    {
        var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(RepoPaths.Root, "samples", "jobs", file)))!.AsObject();
        json["id"] = id;
        if (later != TimeSpan.Zero)
        {
            // Submitted later than the samples were written for: the deadline moves with it.
            var deadline = DateTimeOffset.Parse(json["deadline"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture);
            json["deadline"] = (deadline + later).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);
        }

        return json.ToJsonString();
    }
}
