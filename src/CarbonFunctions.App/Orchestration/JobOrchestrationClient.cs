using CarbonFunctions.Core.Jobs;
using CarbonFunctions.Core.Lifecycle;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;

namespace CarbonFunctions.App.Orchestration;

/// <summary>Starts a job's orchestration once (instance id = job id) and raises its events, over a <see cref="DurableTaskClient"/>.</summary>
public static class JobOrchestrationClient
{
    /// <summary>
    /// Starts the job's orchestration unless one with its id exists (in any status: a redelivered or repeated
    /// message starts nothing). Returns true when this call started it.
    /// </summary>
    public static async Task<bool> StartAsync(
        DurableTaskClient client,
        TrainingJob job,
        JobState state,
        LifecycleOptions lifecycle,
        OrchestrationSettings settings,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(job);
        if (await client.GetInstanceAsync(job.Id, getInputsAndOutputs: false, cancellationToken) is not null)
        {
            return false;
        }

        var input = new JobOrchestrationInput { Job = JobContract.Serialize(job), State = state, Lifecycle = lifecycle, Settings = settings };
        try
        {
            await client.ScheduleNewOrchestrationInstanceAsync(OrchestrationNames.JobOrchestrator, input, new StartOrchestrationOptions(InstanceId: job.Id), cancellationToken);
            return true;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // A concurrent delivery of the same message may have started it between our check and our start.
            if (await client.GetInstanceAsync(job.Id, getInputsAndOutputs: false, cancellationToken) is not null)
            {
                return false;
            }

            throw;
        }
    }

    /// <summary>Raises complete / fail / cancel / replan on a job's orchestration; false when it has none that is still running.</summary>
    public static async Task<bool> RaiseAsync(DurableTaskClient client, string jobId, string eventName, JobSignal signal, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        var instance = await client.GetInstanceAsync(jobId, getInputsAndOutputs: false, cancellationToken);
        if (instance is null || instance.RuntimeStatus is OrchestrationRuntimeStatus.Completed or OrchestrationRuntimeStatus.Failed or OrchestrationRuntimeStatus.Terminated)
        {
            return false;
        }

        await client.RaiseEventAsync(jobId, eventName, signal, cancellationToken);
        return true;
    }
}
