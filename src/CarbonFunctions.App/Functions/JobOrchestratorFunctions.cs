using CarbonFunctions.App.Orchestration;
using CarbonFunctions.Core.Lifecycle;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;

namespace CarbonFunctions.App.Functions;

/// <summary>The job orchestrator and its two activities; each is a one-line wrapper over <see cref="JobOrchestration"/> or <see cref="JobActivities"/>.</summary>
public sealed class JobOrchestratorFunctions(JobActivities activities)
{
    [Function(OrchestrationNames.JobOrchestrator)]
    public static Task<JobState> RunOrchestrator([OrchestrationTrigger] TaskOrchestrationContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var input = context.GetInput<JobOrchestrationInput>()
            ?? throw new InvalidOperationException($"orchestration {context.InstanceId} was started without a {nameof(JobOrchestrationInput)}");
        return JobOrchestration.RunAsync(context, input);
    }

    [Function(OrchestrationNames.ExecuteJobCommand)]
    public Task<JobCommandOutcome> ExecuteJobCommand([ActivityTrigger] JobCommandRequest request, CancellationToken cancellationToken) =>
        activities.ExecuteJobCommandAsync(request, cancellationToken);

    [Function(OrchestrationNames.RecordJobState)]
    public Task RecordJobState([ActivityTrigger] JobStateRecord record, CancellationToken cancellationToken) =>
        activities.RecordJobStateAsync(record, cancellationToken);
}
