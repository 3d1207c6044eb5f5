using Microsoft.Extensions.Hosting;

namespace CarbonFunctions.Agent;

/// <summary>Runs the node agent once and ends the process with its exit code.</summary>
internal sealed class AgentWorker(NodeAgent agent, IHostApplicationLifetime lifetime) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            Environment.ExitCode = await agent.RunAsync(stoppingToken).ConfigureAwait(false);
        }
        finally
        {
            lifetime.StopApplication();
        }
    }
}
