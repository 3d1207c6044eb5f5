using Azure.Data.Tables;
using Azure.Storage.Blobs;
using CarbonFunctions.Compute.Aws;
using CarbonFunctions.Compute.Azure;
using CarbonFunctions.Compute.Budget;
using CarbonFunctions.Compute.Resilience;
using CarbonFunctions.Compute.Simulated;
using CarbonFunctions.Core.Emissions;
using CarbonFunctions.Core.Jobs;
using CarbonFunctions.Core.Lifecycle;
using CarbonFunctions.Core.Planning;
using CarbonFunctions.Core.Pools;
using CarbonFunctions.Handlers.Emissions;
using CarbonFunctions.Handlers.Forecasts;
using CarbonFunctions.Handlers.Jobs;
using CarbonFunctions.Handlers.Lifecycle;
using CarbonFunctions.Handlers.Planning;
using CarbonFunctions.Storage;
using CarbonFunctions.Storage.Agents;
using CarbonFunctions.Storage.Planning;
using CarbonFunctions.Storage.Jobs;
using CarbonFunctions.Storage.Queues;
using CarbonFunctions.Storage.Reports;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace CarbonFunctions.Handlers.Hosting;

/// <summary>
/// The one composition root both hosts use: binds and validates every Carbon:* section (throwing at start-up with
/// every problem listed), and registers storage, forecasts, planning, pools and the lifecycle handlers.
/// </summary>
public static class CarbonPipeline
{
    /// <summary>Configuration key that makes both clouds' pools simulated (the local host and the demo set it).</summary>
    public const string SimulatePoolsKey = "Carbon:Pools:Simulate";

    public static IServiceCollection AddCarbonPipeline(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var problems = new List<string>();
        T Bind<T>(string section, Func<T, IReadOnlyList<string>> validate)
            where T : new()
        {
            var options = configuration.GetSection(section).Get<T>() ?? new T();
            problems.AddRange(validate(options));
            return options;
        }

        var storage = Bind<StorageOptions>(StorageOptions.SectionName, o => o.Validate());
        var limits = Bind<JobLimits>(JobLimits.SectionName, o => o.Validate());
        var planner = Bind<PlannerOptions>(PlannerOptions.SectionName, o => o.Validate());
        var lifecycle = Bind<LifecycleOptions>(LifecycleOptions.SectionName, o => o.Validate());
        var pools = Bind<PoolsOptions>(PoolsOptions.SectionName, o => o.Validate());
        var resilience = Bind<PoolResilienceOptions>(PoolResilienceOptions.SectionName, o => o.Validate());
        var emissions = Bind<EmissionsOptions>(EmissionsOptions.SectionName, o => o.Validate());
        var reconciler = Bind<ReconcilerOptions>(ReconcilerOptions.SectionName, o => o.Validate());
        var simulate = configuration.GetValue<bool>(SimulatePoolsKey);
        var simulated = Bind<SimulatedPoolOptions>(SimulatedPoolOptions.SectionName, o => simulate ? o.Validate() : []);
        var azureSection = configuration.GetSection(AzurePoolOptions.SectionName);
        var awsSection = configuration.GetSection(AwsPoolOptions.SectionName);
        var azure = Bind<AzurePoolOptions>(AzurePoolOptions.SectionName, o => !simulate && azureSection.IsConfigured() ? o.Validate() : []);
        var aws = Bind<AwsPoolOptions>(AwsPoolOptions.SectionName, o => !simulate && awsSection.IsConfigured() ? o.Validate() : []);
        if (problems.Count > 0)
        {
            throw new InvalidOperationException("Invalid configuration: " + string.Join(" ", problems));
        }

        services.TryAddSingleton(TimeProvider.System);
        services.AddLogging();
        services.AddSingleton(storage);
        services.AddSingleton(limits);
        services.AddSingleton(planner);
        services.AddSingleton(lifecycle);
        services.AddSingleton(new StorageClients(storage));
        services.AddSingleton<TableServiceClient>(sp => sp.GetRequiredService<StorageClients>().Tables);
        services.AddSingleton<BlobServiceClient>(sp => sp.GetRequiredService<StorageClients>().Blobs);
        services.AddSingleton<JobStore>();
        services.AddSingleton<TrainingJobQueue>();
        services.AddSingleton<JobEventQueue>();
        services.AddSingleton<DeadLetterQueue>();
        services.AddSingleton(sp => new AgentControlTable(sp.GetRequiredService<StorageClients>()));
        services.AddSingleton(sp => new StartupTimeStore(sp.GetRequiredService<StorageClients>()));

        services.AddCarbonForecasts(configuration);

        services.AddSingleton<INodeLedger>(sp => new TableNodeLedger(sp.GetRequiredService<TableServiceClient>(), pools));

        // Registered on its own so that the container disposes it: that stops the node agents it started.
        services.AddSingleton(sp => new SimulatedPoolProvider(sp.GetRequiredService<TableServiceClient>(), sp.GetRequiredService<BlobServiceClient>(), simulated, sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(sp =>
        {
            var budget = sp.GetRequiredService<INodeLedger>();
            var byCloud = new Dictionary<CloudProvider, IPoolProvider>();
            if (simulate)
            {
                // One simulated cloud stands in for both, behind the same budget guard as the real ones.
                var fake = new NodeBudgetGuard(sp.GetRequiredService<SimulatedPoolProvider>(), budget);
                byCloud[CloudProvider.Azure] = fake;
                byCloud[CloudProvider.Aws] = fake;
            }
            else
            {
                if (azureSection.IsConfigured())
                {
                    byCloud[CloudProvider.Azure] = new NodeBudgetGuard(new AzurePoolProvider(AzurePoolProvider.CreateArmClient(azure), azure, PoolResilience.ForAzure(resilience)), budget);
                }

                if (awsSection.IsConfigured())
                {
                    byCloud[CloudProvider.Aws] = new NodeBudgetGuard(new AwsGaudiPoolProvider(AwsGaudiPoolProvider.CreateClient(aws), aws, PoolResilience.ForAws(resilience)), budget);
                }
            }

            return new PoolProviders(byCloud);
        });

        // The lifecycle's use cases, each used by both hosts (the Functions app uses StoredJobLifecycle only for a job
        // whose orchestration never started).
        services.AddSingleton<IJobPlanSource, ForecastJobPlanSource>();
        services.AddSingleton<JobCommandExecutor>();
        services.AddSingleton<StoredJobLifecycle>();
        services.AddSingleton<JobIntake>();
        services.AddSingleton<WaitingJobs>();
        services.AddSingleton<ForecastRefresh>();
        services.AddSingleton(reconciler);
        services.AddSingleton<Reconciler>();

        services.AddSingleton(Options.Create(emissions));
        services.AddSingleton<IEmissionsReportStore>(sp => new EmissionsReportStore(sp.GetRequiredService<BlobServiceClient>(), sp.GetRequiredService<TableServiceClient>(), storage.ReportsContainer));
        services.AddSingleton<TelemetryReportHandler>();
        services.AddSingleton<TelemetryIntake>();
        return services;
    }
}
