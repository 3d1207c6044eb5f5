using CarbonFunctions.App.Orchestration;
using CarbonFunctions.Handlers.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace CarbonFunctions.App.Hosting;

/// <summary>The Functions app's services: the shared composition (<see cref="CarbonPipeline"/>) plus the orchestrator's own settings and activities.</summary>
public static class AppServices
{
    public static IServiceCollection AddCarbonApp(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddCarbonPipeline(configuration);

        var settings = configuration.GetSection(OrchestrationSettings.SectionName).Get<OrchestrationSettings>() ?? new OrchestrationSettings();
        var problems = settings.Validate();
        if (problems.Count > 0)
        {
            throw new InvalidOperationException("Invalid configuration: " + string.Join(" ", problems));
        }

        services.AddSingleton(settings);
        services.AddSingleton<JobActivities>();
        services.AddSingleton<DurableJobHosts>();
        return services;
    }
}
