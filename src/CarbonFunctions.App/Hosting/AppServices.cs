using Amazon.Runtime;
using CarbonFunctions.App.Orchestration;
using CarbonFunctions.Compute.Aws;
using CarbonFunctions.Compute.Azure;
using CarbonFunctions.Compute.Budget;
using CarbonFunctions.Compute.Resilience;
using CarbonFunctions.Core.Configuration;
using CarbonFunctions.Core.Emissions;
using CarbonFunctions.Core.Forecasts;
using CarbonFunctions.Core.Jobs;
using CarbonFunctions.Core.Lifecycle;
using CarbonFunctions.Core.Planning;
using CarbonFunctions.Core.Pools;
using CarbonFunctions.Handlers.Emissions;
using CarbonFunctions.Handlers.Forecasts;
using CarbonFunctions.Handlers.Lifecycle;
using CarbonFunctions.Handlers.Planning;
using CarbonFunctions.Storage;
using CarbonFunctions.Storage.Jobs;
using CarbonFunctions.Storage.Queues;
using CarbonFunctions.Storage.Reports;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CarbonFunctions.App.Hosting;

/// <summary>
/// The Functions app's services: options bound from <c>Carbon:*</c> and validated at start-up, storage, the forecast
/// pipeline, the pool providers behind the node budget, and the shared handlers. Meant to give way to the shared
/// composition in CarbonFunctions.Handlers once it exists; until then it registers what the functions need.
/// </summary>
public static class AppServices
{
    public static IServiceCollection AddCarbonApp(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var problems = new List<string>();
        T Bind<T>(string section, Func<T, IReadOnlyList<string>> validate)
            where T : new()
        {
            var options = configuration.GetSection(section).Get<T>() ?? new T();
            problems.AddRange(validate(options));
            services.AddSingleton(typeof(T), options!);
            return options;
        }

        var storage = Bind<StorageOptions>(StorageOptions.SectionName, o => o.Validate());
        Bind<JobLimits>(JobLimits.SectionName, o => o.Validate());
        Bind<LifecycleOptions>(LifecycleOptions.SectionName, o => o.Validate());
        Bind<PlannerOptions>(PlannerOptions.SectionName, o => o.Validate());
        Bind<OrchestrationSettings>(OrchestrationSettings.SectionName, o => o.Validate());
        var emissions = Bind<EmissionsOptions>(EmissionsOptions.SectionName, o => o.Validate());
        var pools = Bind<PoolsOptions>(PoolsOptions.SectionName, o => o.Validate());
        var resilience = Bind<PoolResilienceOptions>(PoolResilienceOptions.SectionName, o => o.Validate());

        // A cloud's pools are managed only where that cloud is configured; a job for another cloud fails at its first start.
        var azureSection = configuration.GetSection(AzurePoolOptions.SectionName);
        var azure = azureSection.Get<AzurePoolOptions>();
        var useAzure = !string.IsNullOrWhiteSpace(azure?.SubscriptionId);
        if (useAzure)
        {
            problems.AddRange(azure!.Validate());
        }

        var aws = configuration.GetSection(AwsPoolOptions.SectionName).Get<AwsPoolOptions>() ?? new AwsPoolOptions();
        var awsKeyId = configuration[Key(AppSettingNames.PoolsAwsAccessKeyId)];
        var awsSecret = configuration[Key(AppSettingNames.PoolsAwsSecretAccessKey)];
        var useAws = !string.IsNullOrWhiteSpace(awsKeyId) && !string.IsNullOrWhiteSpace(awsSecret);
        if (useAws)
        {
            problems.AddRange(aws.Validate());
        }

        if (problems.Count > 0)
        {
            throw new InvalidOperationException("Invalid configuration: " + string.Join(" ", problems));
        }

        services.TryAddSingleton(TimeProvider.System);
        var clients = new StorageClients(storage);
        services.AddSingleton(clients);
        services.AddSingleton(clients.Tables);
        services.AddSingleton<JobStore>();
        services.AddSingleton<TrainingJobQueue>();
        services.AddSingleton<JobEventQueue>();

        services.AddCarbonForecasts(configuration);
        services.AddSingleton<IJobPlanSource>(sp => new ForecastJobPlanSource(sp.GetRequiredService<IForecastStore>(), sp.GetRequiredService<PlannerOptions>()));

        services.AddSingleton(new NodeBudget(pools));
        services.AddSingleton(sp =>
        {
            var budget = sp.GetRequiredService<NodeBudget>();
            var time = sp.GetRequiredService<TimeProvider>();
            var byCloud = new Dictionary<CloudProvider, IPoolProvider>();
            if (useAzure)
            {
                var provider = new AzurePoolProvider(AzurePoolProvider.CreateArmClient(azure!), azure!, PoolResilience.ForAzure(resilience, time));
                byCloud[CloudProvider.Azure] = new NodeBudgetGuard(provider, budget);
            }

            if (useAws)
            {
                var ec2 = AwsGaudiPoolProvider.CreateClient(aws, new BasicAWSCredentials(awsKeyId, awsSecret));
                byCloud[CloudProvider.Aws] = new NodeBudgetGuard(new AwsGaudiPoolProvider(ec2, aws, PoolResilience.ForAws(resilience, time)), budget);
            }

            if (byCloud.Count == 0)
            {
                sp.GetRequiredService<ILogger<PoolProviders>>().LogWarning("No pool provider is configured (Carbon:Pools:Azure or Carbon:Pools:Aws): every pool start will fail");
            }

            return new PoolProviders(byCloud);
        });

        services.AddSingleton(Options.Create(emissions));
        services.AddSingleton<IEmissionsReportStore>(new EmissionsReportStore(clients.Blobs, clients.Tables));
        services.AddSingleton<TelemetryReportHandler>();

        services.AddSingleton<PoolCommandExecutor>();
        services.AddSingleton<Reconciler>();
        services.AddSingleton<JobActivities>();
        return services;
    }

    private static string Key(string appSetting) => appSetting.Replace("__", ":", StringComparison.Ordinal);
}
