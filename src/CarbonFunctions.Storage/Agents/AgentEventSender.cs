using Azure.Storage.Queues;
using CarbonFunctions.Core.Agents;

namespace CarbonFunctions.Storage.Agents;

/// <summary>Puts node-agent events on the <c>job-events</c> queue, one JSON message each (<see cref="AgentEventContract"/>).</summary>
public sealed class AgentEventSender(StorageClients clients)
{
    private readonly QueueClient _events = clients.Queues.GetQueueClient(clients.Options.EventsQueue);
    private bool _created;

    public async Task SendAsync(AgentEvent agentEvent, CancellationToken cancellationToken = default)
    {
        var body = AgentEventContract.Serialize(agentEvent);
        if (!_created)
        {
            // An agent may come up before the pipeline created its queues (a fresh Azurite); creating is idempotent.
            await _events.CreateIfNotExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            _created = true;
        }

        await _events.SendMessageAsync(body, cancellationToken).ConfigureAwait(false);
    }
}
