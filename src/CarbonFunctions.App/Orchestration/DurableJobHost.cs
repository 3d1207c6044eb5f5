using CarbonFunctions.Core.Jobs;
using CarbonFunctions.Core.Lifecycle;
using CarbonFunctions.Handlers.Jobs;
using CarbonFunctions.Handlers.Lifecycle;
using CarbonFunctions.Storage.Jobs;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;

namespace CarbonFunctions.App.Orchestration;

/// <summary>Builds the Durable <see cref="IJobLifecycleHost"/> over the client a function invocation was given.</summary>
public sealed class DurableJobHosts(LifecycleOptions lifecycle, OrchestrationSettings settings, StoredJobLifecycle tableLifecycle)
{
    public IJobLifecycleHost For(DurableTaskClient client) => new DurableJobHost(client, lifecycle, settings, tableLifecycle);
}

/// <summary>
/// Jobs as orchestrations: starting one (instance id = job id) once, and raising the one signal event on it.
/// </summary>
public sealed class DurableJobHost(DurableTaskClient client, LifecycleOptions lifecycle, OrchestrationSettings settings, StoredJobLifecycle tableLifecycle) : IJobLifecycleHost
{
    public async Task StartAsync(JobRecord stored, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stored);
        var job = stored.Job;
        if (await client.GetInstanceAsync(job.Id, getInputsAndOutputs: false, cancellationToken) is not null)
        {
            return;
        }

        var input = new JobOrchestrationInput { Job = JobContract.Serialize(job), State = stored.State, Lifecycle = lifecycle, Settings = settings };
        try
        {
            await client.ScheduleNewOrchestrationInstanceAsync(OrchestrationNames.JobOrchestrator, input, new StartOrchestrationOptions(InstanceId: job.Id), cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // A concurrent delivery of the same message may have started it between our check and our start.
            if (await client.GetInstanceAsync(job.Id, getInputsAndOutputs: false, cancellationToken) is null)
            {
                throw;
            }
        }
    }

    public async Task<SignalOutcome> SignalAsync(string jobId, JobSignal signal, CancellationToken cancellationToken)
    {
        if (!JobContract.IsValidJobId(jobId) || await client.GetInstanceAsync(jobId, getInputsAndOutputs: false, cancellationToken) is not { } instance)
        {
            return SignalOutcome.UnknownJob;
        }

        if (instance.RuntimeStatus is OrchestrationRuntimeStatus.Completed or OrchestrationRuntimeStatus.Failed or OrchestrationRuntimeStatus.Terminated)
        {
            return SignalOutcome.JobEnded;
        }

        await client.RaiseEventAsync(jobId, OrchestrationNames.SignalEvent, signal, cancellationToken);
        return SignalOutcome.Delivered;
    }

    public async Task AbandonAsync(string jobId, string reason, CancellationToken cancellationToken)
    {
        // An orchestration owns its job from its first event on; only a job that never got one is failed in the table.
        if (await client.GetInstanceAsync(jobId, getInputsAndOutputs: false, cancellationToken) is null)
        {
            await tableLifecycle.AbandonAsync(jobId, reason, cancellationToken);
        }
    }
}
