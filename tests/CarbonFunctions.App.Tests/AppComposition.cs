using CarbonFunctions.App.Hosting;
using CarbonFunctions.App.Orchestration;
using CarbonFunctions.Storage;
using CarbonFunctions.Testing;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace CarbonFunctions.App.Tests;

/// <summary>
/// The Functions app as it is composed in Azure (<see cref="AppServices.AddCarbonApp"/>), on its own Azurite account
/// with simulated pools and replayed carbon data, and its orchestrator and activities in the Durable Task in-process host.
/// The function classes are created from that container as the worker creates them, and called as their triggers would.
/// </summary>
internal sealed class AppComposition : IAsyncDisposable
{
    private readonly ServiceProvider _services;
    private readonly DurableTaskTestHost _durable;

    private AppComposition(ServiceProvider services, DurableTaskTestHost durable)
    {
        _services = services;
        _durable = durable;
    }

    public IServiceProvider Services => _services;
    public DurableTaskClient Client => _durable.Client;
    public StorageClients Storage => _services.GetRequiredService<StorageClients>();

    public T Function<T>() => ActivatorUtilities.CreateInstance<T>(_services);

    public T Get<T>()
        where T : notnull => _services.GetRequiredService<T>();

    public static async Task<AppComposition> StartAsync(AzuriteFixture azurite, IDictionary<string, string?>? overrides = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Carbon:Storage:ConnectionString"] = azurite.ConnectionString,
            ["Carbon:Storage:JobsQueue"] = AzuriteFixture.UniqueName("jobs"),
            ["Carbon:Storage:EventsQueue"] = AzuriteFixture.UniqueName("events"),
            ["Carbon:Storage:JobsTable"] = AzuriteFixture.UniqueName("jobs"),
            ["Carbon:Storage:TelemetryContainer"] = AzuriteFixture.UniqueName("telemetry"),
            ["Carbon:Storage:ReportsContainer"] = AzuriteFixture.UniqueName("reports"),
            ["Carbon:Storage:PoisonContainer"] = AzuriteFixture.UniqueName("poison"),
            ["Carbon:Pools:Simulate"] = "true",
            ["Carbon:Pools:Simulated:TableName"] = AzuriteFixture.UniqueName("pools"),
            ["Carbon:Pools:Simulated:StartDelay"] = "00:00:00",
            ["Carbon:Forecasts:RegionMap:Mapping"] = "replay",
            ["Carbon:Forecasts:Replay:Loop"] = "true",
            ["Carbon:Forecasts:Regions:0"] = "spaincentral",
            ["Carbon:Lifecycle:PoolPollInterval"] = "00:00:01",
            ["Carbon:Lifecycle:PoolStartTimeout"] = "00:00:20",
            ["Carbon:Lifecycle:RetryInterval"] = "00:00:01",
            ["Carbon:Orchestration:ActivityFirstRetryInterval"] = "00:00:00.200",
        };
        foreach (var (key, value) in overrides ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection().AddCarbonApp(configuration).BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true });
        await services.GetRequiredService<StorageClients>().EnsureCreatedAsync();
        var activities = services.GetRequiredService<JobActivities>();
        var durable = await DurableRegistration.StartHostAsync(registry => registry.AddJobOrchestration(() => activities));
        return new AppComposition(services, durable);
    }

    public async ValueTask DisposeAsync()
    {
        await _durable.DisposeAsync();
        await _services.DisposeAsync();
    }
}
