using Azure.Storage.Queues;
using CarbonFunctions.Testing;

namespace CarbonFunctions.Integration.Tests;

public sealed class AzuriteSmokeTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>
{
    [Fact]
    public async Task Azurite_started_by_the_harness_accepts_a_queue_round_trip()
    {
        var queue = new QueueClient(azurite.ConnectionString, AzuriteFixture.UniqueName("smoke"));
        await queue.CreateAsync();
        await queue.SendMessageAsync("hello");
        var received = await queue.ReceiveMessageAsync();
        Assert.Equal("hello", received.Value.MessageText);
    }
}
