using CarbonFunctions.Handlers.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace CarbonFunctions.Integration.Tests;

/// <summary>Start-up validation of the shared composition root, as both hosts run it.</summary>
public sealed class CompositionTests
{
    private static IConfiguration Settings(Dictionary<string, string?> values) => new ConfigurationBuilder().AddInMemoryCollection(values).Build();

    [Fact]
    public void Empty_optional_sections_and_unresolved_key_vault_references_do_not_count_as_configured()
    {
        var configuration = Settings(new()
        {
            ["Carbon:Storage:ConnectionString"] = "UseDevelopmentStorage=true",
            ["Carbon:Forecasts:WattTime:Username"] = "",
            ["Carbon:Forecasts:WattTime:Password"] = "@Microsoft.KeyVault(VaultName=kv;SecretName=watttime-password)",
            ["Carbon:Forecasts:CarbonAwareSdk:BaseUrl"] = "",
            ["Carbon:Pools:Azure:SubscriptionId"] = "",
            ["Carbon:Pools:Simulate"] = "false",
        });

        using var services = new ServiceCollection().AddCarbonPipeline(configuration).BuildServiceProvider();
        Assert.NotNull(services.GetRequiredService<CarbonFunctions.Handlers.Lifecycle.PoolProviders>());
    }

    [Fact]
    public void Invalid_settings_stop_start_up_with_every_problem_named()
    {
        var configuration = Settings(new()
        {
            ["Carbon:Storage:ConnectionString"] = "UseDevelopmentStorage=true",
            ["Carbon:Jobs:MaxNodesPerJob"] = "0",
            ["Carbon:Planner:DefaultPolicy"] = "greenest",
        });

        var ex = Assert.Throws<InvalidOperationException>(() => new ServiceCollection().AddCarbonPipeline(configuration));
        Assert.Contains("Carbon:Jobs:MaxNodesPerJob must be at least 1", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Carbon:Planner:DefaultPolicy 'greenest'", ex.Message, StringComparison.Ordinal);
    }
}
