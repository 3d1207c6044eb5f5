using CarbonFunctions.Core.Jobs;
using CarbonFunctions.Core.Lifecycle;
using CarbonFunctions.Testing;

namespace CarbonFunctions.App.Tests.Scenarios;

/// <summary>
/// The scenario suite: every scenario in <see cref="Scenarios.All"/> on each host, with the host in the test's name, so
/// that a scenario passing on one host and failing on the other says which.
/// </summary>
public abstract class LifecycleScenarioTests(AzuriteFixture azurite)
{
    internal abstract Task<IScenarioHost> StartHostAsync(AzuriteFixture fixture, Scenario scenario);

    protected async Task RunAsync(string name)
    {
        var scenario = Scenarios.Named(name);
        await using var host = await StartHostAsync(azurite, scenario);
        var prefix = name[..Math.Min(name.Length, 40)].TrimEnd('-');
        var job = JobContract.ReadStored(Scenarios.JobJson($"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 13)], DateTimeOffset.UtcNow + scenario.Deadline, scenario.MaxRetries));

        await scenario.Script(host, job);
        var final = await host.WaitForEndAsync(job.Id, TimeSpan.FromSeconds(60));

        Assert.Equal(scenario.Statuses, final.History.Where(t => t.From != t.To).Select(t => t.To).ToArray());
        Assert.Equal(scenario.PoolCommands, host.Pool.Commands);
        Assert.Empty(await host.DeadLetters.PeekAsync());
        scenario.Check?.Invoke(final, host.Planner);
    }
}

public sealed class DurableHostScenarios(AzuriteFixture azurite) : LifecycleScenarioTests(azurite), IClassFixture<AzuriteFixture>
{
    internal override async Task<IScenarioHost> StartHostAsync(AzuriteFixture fixture, Scenario scenario) => await DurableScenarioHost.StartAsync(fixture, scenario);

    [Theory]
    [MemberData(nameof(Scenarios.Names), MemberType = typeof(Scenarios))]
    public Task Durable(string scenario) => RunAsync(scenario);
}

public sealed class LocalHostScenarios(AzuriteFixture azurite) : LifecycleScenarioTests(azurite), IClassFixture<AzuriteFixture>
{
    internal override async Task<IScenarioHost> StartHostAsync(AzuriteFixture fixture, Scenario scenario) => await LocalScenarioHost.StartAsync(fixture, scenario);

    [Theory]
    [MemberData(nameof(Scenarios.Names), MemberType = typeof(Scenarios))]
    public Task Local(string scenario) => RunAsync(scenario);
}
