using System.Diagnostics;
using CarbonFunctions.Core.Jobs;
using CarbonFunctions.Core.Lifecycle;
using CarbonFunctions.Core.Planning;
using CarbonFunctions.Handlers.Hosting;
using CarbonFunctions.Storage;
using CarbonFunctions.Storage.Jobs;
using CarbonFunctions.Storage.Queues;
using Microsoft.Extensions.Logging;

namespace CarbonFunctions.Handlers.Jobs;

/// <summary>How a queue message was handled.</summary>
public enum MessageOutcome
{
    /// <summary>A new job, stored and handed to its lifecycle.</summary>
    Accepted,

    /// <summary>A job with this id exists already (a redelivered or repeated message): nothing new was started.</summary>
    Duplicate,

    /// <summary>A job event reached its job.</summary>
    Delivered,

    /// <summary>A job event for a job that has ended: recorded in the log, changes nothing.</summary>
    Late,

    /// <summary>Copied to the dead-letter queue with <see cref="MessageResult.Reason"/>; the message can be deleted.</summary>
    DeadLettered,
}

public sealed record MessageResult(MessageOutcome Outcome, string? JobId, string? Reason = null);

/// <summary>
/// The two queues' use cases, shared by both hosts: <c>training-jobs</c> (validate, store once — the job id dedupes
/// redeliveries — and hand to the lifecycle) and <c>job-events</c> (a signal to one job). A message that can never
/// succeed is dead-lettered with its reason and the call returns normally; a failure that may pass throws, so that the
/// host retries the message; on its last allowed delivery the failure is dead-lettered instead (and a stored job that no
/// lifecycle owns yet is failed), so nothing stays queued for ever. A throw from here means "leave the message".
/// </summary>
public sealed class JobIntake(JobStore store, DeadLetterQueue deadLetters, JobLimits limits, PlannerOptions planner, StorageOptions storage, TimeProvider clock, ILogger<JobIntake> logger)
{
    /// <summary>
    /// Validates a message body (plain JSON or base64 JSON) without storing anything; the deadline check uses the
    /// planner's start-up allowance and margin, so that a job the contract accepts is one the planner can fit.
    /// </summary>
    public static JobParseResult Read(string body, JobLimits limits, DateTimeOffset now, PlannerOptions? planner = null)
    {
        var result = JobContract.Parse(JobContract.DecodeMessageBody(body), limits, now, planner);
        return result.Job is { SubmittedAt: null } job ? result with { Job = job with { SubmittedAt = now } } : result;
    }

    public async Task<MessageResult> HandleJobAsync(ReceivedMessage message, IJobLifecycleHost host, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(host);
        using var span = CarbonTelemetry.StartJobSpan("job.intake", null, ActivityKind.Consumer);
        span?.SetTag("messaging.message.id", message.Id);
        var now = clock.GetUtcNow();
        JobParseResult parsed;
        try
        {
            parsed = Read(message.Body, limits, now, planner);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The contract reports field errors; anything it throws instead is still bad input, never a reason to retry.
            return await DeadLetterAsync(DeadLetterSource.Jobs, message, null, $"invalid job: the body could not be read ({ex.GetType().Name}: {ex.Message})", cancellationToken);
        }

        if (!parsed.IsValid)
        {
            return await DeadLetterAsync(DeadLetterSource.Jobs, message, null, "invalid job: " + string.Join("; ", parsed.Errors), cancellationToken);
        }

        var job = parsed.Job!;
        span?.SetTag(CarbonTelemetry.JobIdTag, job.Id);
        try
        {
            var added = await store.TryAddAsync(job, JobState.New(job.Id, now), cancellationToken);

            // Hand over what is stored: after a crash between storing and starting, the redelivery starts it.
            var stored = await store.GetAsync(job.Id, cancellationToken) ?? throw new InvalidOperationException($"job {job.Id} vanished after it was stored");
            await host.StartAsync(stored, cancellationToken);
            if (!added)
            {
                logger.LogInformation("Job {JobId} was submitted again; the first submission stands", job.Id);
            }

            return new MessageResult(added ? MessageOutcome.Accepted : MessageOutcome.Duplicate, job.Id);
        }
        catch (Exception ex) when (IsLastDelivery(message, ex, cancellationToken))
        {
            var reason = GaveUp(message, ex);
            await host.AbandonAsync(job.Id, reason, cancellationToken);
            return await DeadLetterAsync(DeadLetterSource.Jobs, message, job.Id, reason, cancellationToken);
        }
    }

    public async Task<MessageResult> HandleEventAsync(ReceivedMessage message, IJobLifecycleHost host, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(host);
        using var span = CarbonTelemetry.StartJobSpan("job.event", null, ActivityKind.Consumer);
        span?.SetTag("messaging.message.id", message.Id);
        if (JobEventQueue.TryRead(message.Body) is not { } evt)
        {
            return await DeadLetterAsync(DeadLetterSource.Events, message, null, JobEventQueue.Describe, cancellationToken);
        }

        span?.SetTag("carbon.signal", evt.Kind);
        if (!JobContract.IsValidJobId(evt.JobId))
        {
            return await DeadLetterAsync(DeadLetterSource.Events, message, null, "jobId is not a valid job id (1-63 lower-case letters, digits and '-')", cancellationToken);
        }

        span?.SetTag(CarbonTelemetry.JobIdTag, evt.JobId);
        try
        {
            switch (await host.SignalAsync(evt.JobId, evt.Signal, cancellationToken))
            {
                case SignalOutcome.Delivered:
                    return new MessageResult(MessageOutcome.Delivered, evt.JobId);
                case SignalOutcome.JobEnded:
                    logger.LogInformation("Job event {Kind} for {JobId} arrived after the job ended; nothing to do", evt.Kind, evt.JobId);
                    return new MessageResult(MessageOutcome.Late, evt.JobId);
                default:
                    return await DeadLetterAsync(DeadLetterSource.Events, message, evt.JobId, $"no job '{evt.JobId}'", cancellationToken);
            }
        }
        catch (Exception ex) when (IsLastDelivery(message, ex, cancellationToken))
        {
            return await DeadLetterAsync(DeadLetterSource.Events, message, evt.JobId, GaveUp(message, ex), cancellationToken);
        }
    }

    private bool IsLastDelivery(ReceivedMessage message, Exception ex, CancellationToken cancellationToken)
    {
        if (ex is OperationCanceledException && cancellationToken.IsCancellationRequested)
        {
            return false;
        }

        logger.LogWarning(ex, "Message {MessageId} failed on delivery {Count} of {Max}", message.Id, message.DequeueCount, storage.MaxDequeueCount);
        return message.DequeueCount >= storage.MaxDequeueCount;
    }

    private static string GaveUp(ReceivedMessage message, Exception ex) =>
        $"failed on {message.DequeueCount} deliveries; last error: {ex.GetType().Name}: {ex.Message}";

    private async Task<MessageResult> DeadLetterAsync(DeadLetterSource source, ReceivedMessage message, string? jobId, string reason, CancellationToken cancellationToken)
    {
        logger.LogWarning("Message {MessageId} dead-lettered: {Reason}", message.Id, reason);
        Activity.Current?.SetTag("carbon.dead_lettered", true);
        Activity.Current.Fail(reason);
        await deadLetters.SendAsync(source, message, reason, cancellationToken);
        return new MessageResult(MessageOutcome.DeadLettered, jobId, reason);
    }
}
