using CarbonFunctions.Storage.Azurite;

namespace CarbonFunctions.Reliability.Tests;

/// <summary>
/// One Azurite for the whole suite and one scenario at a time: on a two-core machine, scenarios run side by side
/// would only measure each other. Each scenario isolates itself with its own queue, table and container names.
/// </summary>
[CollectionDefinition(Name)]
public sealed class ReliabilityCollection : ICollectionFixture<SharedAzurite>
{
    public const string Name = "reliability";
}

/// <summary>The suite's Azurite, given longer to start than the per-class fixture: on a loaded two-core machine it can take 20 s and more.</summary>
public sealed class SharedAzurite : IAsyncLifetime
{
    private AzuriteProcess? _azurite;

    public string ConnectionString => _azurite?.ConnectionString ?? throw new InvalidOperationException("Azurite is not started");

    public async Task InitializeAsync() => _azurite = await AzuriteProcess.StartAsync(timeout: TimeSpan.FromSeconds(120));

    public async Task DisposeAsync()
    {
        if (_azurite is not null)
        {
            await _azurite.DisposeAsync();
        }
    }
}
