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
    public StorageClients Storage => _services.GetRequiredService<StorageClients>();

    public static async Task<LocalComposition> CreateAsync(IConfiguration configuration, TimeProvider clock, ILoggerFactory loggers, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var services = new ServiceCollection();
        services.AddSingleton(clock);
        services.AddSingleton(loggers);
        services.AddSingleton(typeof(ILogger<>), typeof(Logger<>));
        services.AddCarbonPipeline(configuration);
        var hostOptions = configuration.GetSection(LocalHostOptions.SectionName).Get<LocalHostOptions>() ?? new LocalHostOptions();
        var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true });
        await provider.GetRequiredService<StorageClients>().EnsureCreatedAsync(cancellationToken);

        var ingestion = provider.GetRequiredService<ForecastIngestion>();
        var replanner = provider.GetRequiredService<JobReplanner>();
        var reconciler = provider.GetRequiredService<Reconciler>();
        var logger = loggers.CreateLogger<LocalComposition>();
        var reconcileEvery = configuration.GetValue("Carbon:LocalHost:ReconcileInterval", TimeSpan.FromMinutes(15));
        var telemetryEvery = configuration.GetValue("Carbon:LocalHost:TelemetryScanInterval", TimeSpan.FromMinutes(5));
        var storage = provider.GetRequiredService<StorageClients>();
        var telemetry = new TelemetryScan(
            storage.Blobs.GetBlobContainerClient(storage.Options.TelemetryContainer),
            provider.GetRequiredService<TelemetryIntake>(),
            loggers.CreateLogger<TelemetryScan>());
        var tasks = new List<PeriodicTask>
        {
            new("forecast-ingestion", ingestion.NextRunAfter, async ct =>
            {
                var results = await ingestion.RunAsync(ct);
                foreach (var result in results)
                {
                    logger.LogInformation("Forecast {Region}: {Status} {Detail}", result.Region, result.Status, result.Reason);
                }

                await replanner.ReplanWaitingJobsAsync(ct);
            }),
            new("reconciler", now => now + reconcileEvery, async ct => await reconciler.RunAsync(ct)),
            new("telemetry-scan", now => now + telemetryEvery, async ct => await telemetry.RunAsync(ct)),
        };

        var host = new LocalHost(
            provider.GetRequiredService<TrainingJobQueue>(),
            provider.GetRequiredService<JobEventQueue>(),
            provider.GetRequiredService<JobIntake>(),
            provider.GetRequiredService<JobRunner>(),
            provider.GetRequiredService<JobStore>(),
            tasks,
            clock,
            hostOptions,
            loggers.CreateLogger<LocalHost>());
        return new LocalComposition(provider, host, telemetry);
    }

    public async ValueTask DisposeAsync() => await _services.DisposeAsync();
}
