using CarbonFunctions.App.Orchestration;
using CarbonFunctions.Core.Lifecycle;
using Microsoft.DurableTask;

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
}
