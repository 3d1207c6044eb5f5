using CarbonFunctions.Handlers.Emissions;
using CarbonFunctions.Handlers.Forecasts;
using CarbonFunctions.Handlers.Hosting;
using CarbonFunctions.Handlers.Jobs;
using CarbonFunctions.Handlers.Lifecycle;
using CarbonFunctions.Handlers.Planning;
using CarbonFunctions.Storage;
using CarbonFunctions.Storage.Jobs;
using CarbonFunctions.Storage.Queues;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CarbonFunctions.Local.Hosting;

/// <summary>Builds the local host from configuration: the shared pipeline, the clock, and its periodic tasks.</summary>
public sealed class LocalComposition : IAsyncDisposable
{
    private readonly ServiceProvider _services;

    private LocalComposition(ServiceProvider services, LocalHost host, TelemetryScan telemetry)
    {
        _services = services;
        Host = host;
        Telemetry = telemetry;
    }

    public LocalHost Host { get; }
    public TelemetryScan Telemetry { get; }
    public IServiceProvider Services => _services;
    public JobStore Jobs => _services.GetRequiredService<JobStore>();
    public TrainingJobQueue Intake => _services.GetRequiredService<TrainingJobQueue>();
    public DeadLetterQueue DeadLetters => _services.GetRequiredService<DeadLetterQueue>();
    public StorageClients Storage => _services.GetRequiredService<StorageClients>();

    public static Task<LocalComposition> CreateAsync(IConfiguration configuration, TimeProvider clock, ILoggerFactory loggers, CancellationToken cancellationToken = default) =>
        CreateAsync(configuration, clock, loggers, configureServices: null, cancellationToken);

    /// <summary>As above; <paramref name="configureServices"/> may replace registrations of the pipeline (the fault-injection tests swap in failing storage clients and pools).</summary>
    public static async Task<LocalComposition> CreateAsync(IConfiguration configuration, TimeProvider clock, ILoggerFactory loggers, Action<IServiceCollection>? configureServices, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var services = new ServiceCollection();
        services.AddSingleton(clock);
        services.AddSingleton(loggers);
        services.AddSingleton(typeof(ILogger<>), typeof(Logger<>));
        services.AddCarbonPipeline(configuration);
        configureServices?.Invoke(services);
        var hostOptions = configuration.GetSection(LocalHostOptions.SectionName).Get<LocalHostOptions>() ?? new LocalHostOptions();
        var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true });
        await provider.GetRequiredService<StorageClients>().EnsureCreatedAsync(cancellationToken);

        var lifecycle = provider.GetRequiredService<StoredJobLifecycle>();
        var forecasts = provider.GetRequiredService<ForecastRefresh>();
        var reconciler = provider.GetRequiredService<Reconciler>();
        var reconcileSchedule = provider.GetRequiredService<ReconcilerOptions>().Cron;

        // The Functions app reacts to telemetry through its blob trigger; the local host scans for new blobs instead.
        var telemetryEvery = configuration.GetValue("Carbon:LocalHost:TelemetryScanInterval", TimeSpan.FromMinutes(1));
        var storage = provider.GetRequiredService<StorageClients>();
        var telemetry = new TelemetryScan(
            storage.Blobs.GetBlobContainerClient(storage.Options.TelemetryContainer),
            provider.GetRequiredService<TelemetryIntake>(),
            loggers.CreateLogger<TelemetryScan>());
        var tasks = new List<PeriodicTask>
        {
            new("forecast-refresh", forecasts.NextRunAfter, async ct => await forecasts.RunAsync(lifecycle, ct)),
            new("reconciler", reconcileSchedule.NextRunAfter, async ct => await reconciler.RunAsync(ct)),
            new("telemetry-scan", now => now + telemetryEvery, async ct => await telemetry.RunAsync(ct)),
        };

        var host = new LocalHost(
            provider.GetRequiredService<TrainingJobQueue>(),
            provider.GetRequiredService<JobEventQueue>(),
            provider.GetRequiredService<JobIntake>(),
            lifecycle,
            provider.GetRequiredService<JobStore>(),
            tasks,
            clock,
            hostOptions,
            loggers.CreateLogger<LocalHost>());
        return new LocalComposition(provider, host, telemetry);
    }

    public async ValueTask DisposeAsync() => await _services.DisposeAsync();
}
