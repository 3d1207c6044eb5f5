using Azure.Storage.Queues.Models;
using CarbonFunctions.App.Orchestration;
using CarbonFunctions.Core.Jobs;
using CarbonFunctions.Core.Lifecycle;
using CarbonFunctions.Handlers.Jobs;
using CarbonFunctions.Storage.Jobs;
using CarbonFunctions.Storage.Queues;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;

namespace CarbonFunctions.App.Functions;

/// <summary>
/// The two queues: <c>training-jobs</c> (intake: validate, store, start the job's orchestration once) and
/// <c>job-events</c> (complete / fail / cancel from training runs, raised on the orchestration). A message that
/// can never succeed goes to the poison queue with its reason and is not thrown back: a throw is retried 5 times.
/// </summary>
public sealed class QueueFunctions(
    JobStore store,
    TrainingJobQueue jobsQueue,
    JobLimits limits,
    LifecycleOptions lifecycle,
    OrchestrationSettings settings,
    TimeProvider clock,
    ILogger<QueueFunctions> logger)
{
    [Function("JobIntake")]
    public async Task IntakeAsync(
        [QueueTrigger("training-jobs", Connection = "AzureWebJobsStorage")] QueueMessage message,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        var now = clock.GetUtcNow();
        var body = message.Body.ToString();
        var parsed = JobIntake.Read(body, limits, now, message.InsertedOn ?? now);
        if (!parsed.IsValid)
        {
            var reason = "invalid job: " + string.Join("; ", parsed.Errors);
            logger.LogWarning("Rejected job message {MessageId}: {Reason}", message.MessageId, reason);
            await jobsQueue.SendToPoisonAsync(new PoisonMessage(reason, message.MessageId, message.DequeueCount, message.InsertedOn, now, body), cancellationToken);
            return;
        }

        var job = parsed.Job!;
        if (!await store.TryAddAsync(job, JobState.New(job.Id, now), cancellationToken))
        {
            logger.LogInformation("Job {JobId} was submitted again; the first submission stands", job.Id);
        }

        // Start from what is stored: after a crash between storing and starting, the redelivery starts it.
        var stored = await store.GetAsync(job.Id, cancellationToken) ?? throw new InvalidOperationException($"job {job.Id} vanished after it was stored");
        if (await JobOrchestrationClient.StartAsync(client, stored.Job, stored.State, lifecycle, settings, cancellationToken))
        {
            logger.LogInformation("Job {JobId} accepted; orchestration started", job.Id);
        }
    }

    [Function("JobEvents")]
    public async Task EventsAsync(
        [QueueTrigger("job-events", Connection = "AzureWebJobsStorage")] QueueMessage message,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        var body = message.Body.ToString();
        var evt = JobEventQueue.TryRead(body);
        var reason = evt is null
            ? "unreadable job event (expected {\"jobId\",\"kind\": complete|fail|cancel})"
            : await JobOrchestrationClient.RaiseAsync(client, evt.JobId, evt.Kind, new JobSignal(evt.Reason), cancellationToken)
                ? null
                : $"job {evt.JobId} has no running orchestration";
        if (reason is not null)
        {
            logger.LogWarning("Job event {MessageId} dead-lettered: {Reason}", message.MessageId, reason);
            await jobsQueue.SendToPoisonAsync(new PoisonMessage(reason, message.MessageId, message.DequeueCount, message.InsertedOn, clock.GetUtcNow(), body), cancellationToken);
        }
    }
}
