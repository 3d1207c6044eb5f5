using System.Text;
using Azure.Storage.Queues.Models;
using CarbonFunctions.App.Functions;
using CarbonFunctions.App.Hosting;
using CarbonFunctions.App.Orchestration;
using CarbonFunctions.Core.Jobs;
using CarbonFunctions.Core.Lifecycle;
using CarbonFunctions.Handlers.Jobs;
using CarbonFunctions.Storage;
using CarbonFunctions.Storage.Jobs;
using CarbonFunctions.Storage.Queues;
using CarbonFunctions.Testing;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace CarbonFunctions.Reliability.Tests.Scenarios;

/// <summary>
/// The Functions app's queue triggers over the same hostile messages, on the Durable in-process host, with the runtime's
/// delivery rules played by the test: a message whose function throws is delivered again, and after maxDequeueCount
/// deliveries the runtime moves its raw body to <c>{queue}-poison</c> (no reason recorded).
/// </summary>
[Collection(ReliabilityCollection.Name)]
public sealed class AppTriggerTests(SharedAzurite azurite, ITestOutputHelper output)
{
    private const int Messages = 600;

    [Fact]
    public async Task Hostile_messages_at_the_apps_triggers_are_each_an_orchestration_or_a_dead_letter()
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
            ["Carbon:Pools:LedgerTable"] = AzuriteFixture.UniqueName("ledger"),
            ["Carbon:Forecasts:RegionMap:Mapping"] = "replay",
            ["Carbon:Forecasts:Replay:Loop"] = "true",
            ["Carbon:Forecasts:Regions:0"] = "spaincentral",
        };
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        await using var services = new ServiceCollection().AddCarbonApp(configuration).BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true });
        var clients = services.GetRequiredService<StorageClients>();
        await clients.EnsureCreatedAsync();
        var activities = services.GetRequiredService<JobActivities>();
        await using var durable = await DurableTaskTestHost.StartAsync(registry => registry
            .AddOrchestratorFunc<JobOrchestrationInput, JobState>(OrchestrationNames.JobOrchestrator, (context, input) => JobOrchestration.RunAsync(context, input))
            .AddActivityFunc<JobCommandRequest, JobCommandOutcome>(OrchestrationNames.ExecuteJobCommand, (_, request) => activities.ExecuteJobCommandAsync(request, CancellationToken.None))
            .AddActivityFunc<JobStateRecord>(OrchestrationNames.RecordJobState, (_, record) => activities.RecordJobStateAsync(record, CancellationToken.None)));
        var functions = ActivatorUtilities.CreateInstance<QueueFunctions>(services);
        var maxDequeue = clients.Options.MaxDequeueCount;
        var rawPoison = clients.Queues.GetQueueClient(clients.Options.JobsPoisonQueue);

        // Jobs are checked against the real clock here (the app has no virtual one): deadlines are generated from now.
        var now = DateTimeOffset.UtcNow;
        var generator = new HostileMessages(seed: 19, now);
        var sent = new List<(string Id, string Body)>();
        var movedByRuntime = 0;
        for (var i = 0; sent.Count < Messages; i++)
        {
            var body = generator.Next();
            if (!HostileMessages.IsXmlText(body))
            {
                continue;
            }

            var id = $"app-msg-{i}";
            sent.Add((id, body));
            for (var delivery = 1; ; delivery++)
            {
                try
                {
                    await functions.IntakeAsync(QueuesModelFactory.QueueMessage(id, "pop", new BinaryData(Encoding.UTF8.GetBytes(body)), delivery, now), durable.Client, CancellationToken.None);
                    break;
                }
                catch (Exception) when (delivery < maxDequeue)
                {
                    // The runtime delivers the message again.
                }
                catch (Exception)
                {
                    // After maxDequeueCount failed deliveries the runtime moves the raw body, as it came, to the poison queue.
                    await rawPoison.SendMessageAsync(body);
                    movedByRuntime++;
                    break;
                }
            }
        }

        var deadLetters = await Accounting.DeadLettersAsync(clients, DeadLetterSource.Jobs);
        var recorded = deadLetters.Where(d => d.Record.Recorded).ToDictionary(d => d.Record.OriginalMessageId!, d => d);
        var limits = services.GetRequiredService<JobLimits>();
        var store = services.GetRequiredService<JobStore>();
        var acceptedIds = new List<string>();
        var lost = 0;
        foreach (var (id, body) in sent)
        {
            if (recorded.TryGetValue(id, out var dead))
            {
                Assert.Equal(body, dead.Body);
                continue;
            }

            if (JobIntake.Read(body, limits, now).Job is { } job && await store.GetAsync(job.Id) is not null && await durable.Client.GetInstanceAsync(job.Id, getInputsAndOutputs: false) is not null)
            {
                acceptedIds.Add(job.Id);
            }
            else
            {
                lost++;
            }
        }

        var accepted = acceptedIds.Distinct().Count();
        var line = Summary.Print(output, $"app triggers (Durable host): {sent.Count} in, {accepted} accepted, {recorded.Count} rejected, {acceptedIds.Count - accepted} duplicates, {movedByRuntime} moved raw by the runtime, {lost} lost");
        Assert.Equal(0, lost);
        Assert.Equal(0, movedByRuntime);
        Assert.Equal(sent.Count, recorded.Count + acceptedIds.Count);

        // The raw format the runtime writes is listed too, without crashing the reader.
        await rawPoison.SendMessageAsync("\u00ff raw body the runtime moved");
        Assert.Contains(await services.GetRequiredService<DeadLetterQueue>().PeekAsync(), p => !p.Recorded);
        Assert.Matches(@"^app triggers \(Durable host\): \d+ in, \d+ accepted, \d+ rejected, \d+ duplicates, 0 moved raw by the runtime, 0 lost$", line);
    }
}
