using System.Net;
using System.Net.Sockets;
using Azure.Storage.Queues;
using CarbonFunctions.Storage.Azurite;
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

    [Fact]
    public async Task A_port_taken_before_azurite_binds_it_is_given_up_for_fresh_ports()
    {
        // Another process holds a port that the first attempt is handed (as when test projects start Azurite at
        // the same moment): Azurite exits with EADDRINUSE and the start is tried again on fresh ports.
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var takenPort = ((IPEndPoint)taken.LocalEndpoint).Port;
        var attempts = 0;
        (int, int, int) Choose()
        {
            var fresh = AzuriteProcess.FreePorts();
            return ++attempts == 1 ? (fresh.Blob, fresh.Queue, takenPort) : fresh;
        }

        await using var started = await AzuriteProcess.StartAsync(choosePorts: Choose);

        Assert.Equal(2, attempts);
        Assert.NotEqual(takenPort, started.TablePort);
        var queue = new QueueClient(started.ConnectionString, AzuriteFixture.UniqueName("retry"));
        await queue.CreateAsync();
        Assert.True((await queue.ExistsAsync()).Value);
    }

    [Fact]
    public void Free_ports_are_three_distinct_ports()
    {
        for (var i = 0; i < 50; i++)
        {
            var (blob, queue, table) = AzuriteProcess.FreePorts();
            Assert.Equal(3, new HashSet<int> { blob, queue, table }.Count);
        }
    }
}
