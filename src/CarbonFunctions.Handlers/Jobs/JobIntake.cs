using CarbonFunctions.Core.Jobs;
using CarbonFunctions.Core.Lifecycle;
using CarbonFunctions.Handlers.Lifecycle;
using CarbonFunctions.Storage.Jobs;
using Microsoft.Extensions.Logging;

namespace CarbonFunctions.Handlers.Jobs;

/// <summary>How a job message was handled.</summary>
public enum IntakeOutcome
{
    /// <summary>Stored and planned; the lifecycle has it.</summary>
    Accepted,

    /// <summary>A job with this id exists already (a redelivered or repeated message): nothing new was started.</summary>
    Duplicate,

    /// <summary>The message breaks the contract; it belongs in the poison queue with <see cref="IntakeResult.Reason"/>.</summary>
    Rejected,
}

public sealed record IntakeResult(IntakeOutcome Outcome, string? JobId, string? Reason, IReadOnlyList<FieldError> Errors, JobState? State = null);

/// <summary>
/// Reads a <c>training-jobs</c> message, validates it against the contract and the budget limits, stores the job
/// (the job id dedupes redeliveries) and hands it to the lifecycle with its first plan.
/// </summary>
public sealed class JobIntake(JobStore store, IJobPlanSource planner, JobRunner runner, JobLimits limits, TimeProvider clock, ILogger<JobIntake> logger)
{
    /// <summary>Validates a message body (plain JSON or base64 JSON) without storing anything.</summary>
    public static JobParseResult Read(string body, JobLimits limits, DateTimeOffset now, DateTimeOffset? insertedOn = null)
    {
        var result = JobContract.Parse(JobContract.DecodeMessageBody(body), limits, now);
        return result.Job is { SubmittedAt: null } job && insertedOn is { } inserted
            ? result with { Job = job with { SubmittedAt = inserted } }
            : result;
    }

    public async Task<IntakeResult> HandleAsync(string body, DateTimeOffset? insertedOn, CancellationToken cancellationToken = default)
    {
        var now = clock.GetUtcNow();
        var parsed = Read(body, limits, now, insertedOn ?? now);
        if (!parsed.IsValid)
        {
            var reason = "invalid job: " + string.Join("; ", parsed.Errors);
            logger.LogWarning("Rejected a job message: {Reason}", reason);
            return new IntakeResult(IntakeOutcome.Rejected, null, reason, parsed.Errors);
        }

        var job = parsed.Job!;
        if (!await store.TryAddAsync(job, JobState.New(job.Id, now), cancellationToken))
        {
            // Already known: make sure a job that was stored but never planned (a crash in between) still gets its plan.
            var existing = await store.GetAsync(job.Id, cancellationToken);
            if (existing is { State.Status: JobStatus.Queued })
            {
                var resumed = await PlanAsync(existing.Job, now, cancellationToken);
                return new IntakeResult(IntakeOutcome.Accepted, job.Id, "planned after an earlier interrupted intake", [], resumed);
            }

            logger.LogInformation("Job {JobId} was submitted again; the first submission stands", job.Id);
            return new IntakeResult(IntakeOutcome.Duplicate, job.Id, "a job with this id exists already", [], existing?.State);
        }

        var state = await PlanAsync(job, now, cancellationToken);
        return new IntakeResult(IntakeOutcome.Accepted, job.Id, null, [], state);
    }

    /// <summary>
    /// Called when a message is dead-lettered after too many deliveries: a job that was stored but never
    /// planned is ended as Failed, so that no accepted job stays queued for ever.
    /// </summary>
    public async Task AbandonAsync(string body, string reason, CancellationToken cancellationToken = default)
    {
        var parsed = JobContract.Parse(JobContract.DecodeMessageBody(body), limits, clock.GetUtcNow());
        var id = parsed.Job?.Id;
        if (id is not null && await store.GetAsync(id, cancellationToken) is { State.Status: JobStatus.Queued })
        {
            await runner.ApplyAsync(id, new PlanningFailed(clock.GetUtcNow(), reason), cancellationToken);
        }
    }

    private async Task<JobState?> PlanAsync(TrainingJob job, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var plan = await planner.PlanAsync(job, null, now, cancellationToken);
        return await runner.ApplyAsync(job.Id, new JobPlanned(now, plan), cancellationToken);
    }
}
