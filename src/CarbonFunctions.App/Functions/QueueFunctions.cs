using Azure.Storage.Queues.Models;
using CarbonFunctions.App.Orchestration;
using CarbonFunctions.Handlers.Jobs;
using CarbonFunctions.Storage.Queues;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;

namespace CarbonFunctions.App.Functions;

/// <summary>
/// The two queues, adapted to the shared <see cref="JobIntake"/> over orchestrations: it dead-letters what can never
/// succeed and returns; it throws only for a failure worth a redelivery (the runtime retries up to maxDequeueCount).
/// </summary>
public sealed class QueueFunctions(JobIntake intake, DurableJobHosts hosts)
{
    [Function("JobIntake")]
    public async Task IntakeAsync(
        [QueueTrigger(Bindings.JobsQueue, Connection = Bindings.Connection)] QueueMessage message,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken) =>
        await intake.HandleJobAsync(ReceivedMessage.From(message), hosts.For(client), cancellationToken);

    [Function("JobEvents")]
    public async Task EventsAsync(
        [QueueTrigger(Bindings.EventsQueue, Connection = Bindings.Connection)] QueueMessage message,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken) =>
        await intake.HandleEventAsync(ReceivedMessage.From(message), hosts.For(client), cancellationToken);
}
