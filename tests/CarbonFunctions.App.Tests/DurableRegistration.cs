using System.Net;
using System.Net.Sockets;
using CarbonFunctions.App.Orchestration;
using CarbonFunctions.Core.Lifecycle;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Testing;

namespace CarbonFunctions.App.Tests;

/// <summary>
/// The app's orchestrator and activities for the in-process Durable host, registered in one place as the Functions
/// worker registers them from their attributes (the Durable analyzer also insists each name is registered once).
/// </summary>
internal static class DurableRegistration
{
    public static DurableTaskRegistry AddJobOrchestration(this DurableTaskRegistry registry, Func<JobActivities> activities) => registry
        .AddOrchestratorFunc<JobOrchestrationInput, JobState>(OrchestrationNames.JobOrchestrator, (context, input) => JobOrchestration.RunAsync(context, input))
        .AddActivityFunc<JobCommandRequest, JobCommandOutcome>(OrchestrationNames.ExecuteJobCommand, (_, request) => activities().ExecuteJobCommandAsync(request, CancellationToken.None))
        .AddActivityFunc<JobStateRecord>(OrchestrationNames.RecordJobState, (_, record) => activities().RecordJobStateAsync(record, CancellationToken.None));

    /// <summary>
    /// Starts the in-process Durable host on a free loopback port. Test classes start hosts in parallel, and the test
    /// host's own port choice can collide ("address already in use"); a collision is retried on another port.
    /// </summary>
    public static async Task<DurableTaskTestHost> StartHostAsync(Action<DurableTaskRegistry> register)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await DurableTaskTestHost.StartAsync(register, new DurableTaskTestHostOptions { Port = FreePort() });
            }
            catch (IOException) when (attempt < 5)
            {
                await Task.Delay(50 * attempt);
            }
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
