using CarbonFunctions.Core.Lifecycle;
using CarbonFunctions.Handlers.Jobs;
using CarbonFunctions.Handlers.Lifecycle;
using CarbonFunctions.Storage.Jobs;
using CarbonFunctions.Storage.Queues;
using Microsoft.Extensions.Logging;

namespace CarbonFunctions.Local.Hosting;

/// <summary>Local host settings, bound from <c>Carbon:LocalHost</c>.</summary>
public sealed record LocalHostOptions
{
    public const string SectionName = "Carbon:LocalHost";

    /// <summary>How long to sleep between polls on the real clock.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>How long a received message stays invisible to other hosts while this one handles it.</summary>
    public TimeSpan VisibilityTimeout { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// Stands in for the training runs in the demo: a running job whose last planned slot is over reports itself
    /// done, as a real run would through <c>carbonctl jobs complete</c> or a job-events message.
    /// </summary>
    public bool SimulateWorkloads { get; init; }
}

/// <summary>
/// The embedded host: the same handlers as the Functions app, driven by a polling loop over the jobs queue,
/// the job-events queue, due wake-ups and periodic tasks. Safe to run as several competing processes on one
/// storage account (queue visibility + ETag-guarded job state).
/// </summary>
public sealed class LocalHost(
    TrainingJobQueue intakeQueue,
    JobEventQueue eventQueue,
    JobIntake intake,
    JobRunner runner,
    JobStore store,
    IReadOnlyList<PeriodicTask> periodicTasks,
    TimeProvider clock,
    LocalHostOptions options,
    ILogger<LocalHost> logger)
{
    /// <summary>Handles everything that is due now; returns how many things it did.</summary>
    public async Task<int> PumpOnceAsync(CancellationToken cancellationToken = default)
    {
        var work = 0;
        // Periodic work first: at start-up the forecasts must be in before the first job is planned.
        var now = clock.GetUtcNow();
        foreach (var task in periodicTasks)
        {
            if (task.DueAt is null)
            {
                task.DueNow(now);
            }

            if (task.DueAt <= now)
            {
                try
                {
                    await task.RunAsync(now, cancellationToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // A failing periodic task (a provider outage, say) must not stop the host: it runs again next time.
                    logger.LogError(ex, "Periodic task {Task} failed", task.Name);
                    task.Schedule(now);
                }

                work++;
            }
        }

        work += await DrainIntakeAsync(cancellationToken);
        work += await DrainEventsAsync(cancellationToken);
        if (options.SimulateWorkloads)
        {
            work += await FinishSimulatedWorkloadsAsync(cancellationToken);
        }

        now = clock.GetUtcNow();
        foreach (var due in await store.ListDueAsync(now, cancellationToken))
        {
            var before = due.State;
            var after = await runner.ApplyAsync(due.Job.Id, new TimerFired(now), cancellationToken);
            if (after is not null && after != before)
            {
                work++;
            }
        }

        return work;
    }

    /// <summary>
    /// Runs until <paramref name="until"/> says stop. On a <see cref="VirtualClock"/>, idle time is skipped by
    /// jumping to the next wake-up; on the real clock the host sleeps between polls.
    /// </summary>
    public async Task RunAsync(Func<Task<bool>> until, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(until);
        foreach (var task in periodicTasks)
        {
            task.DueNow(clock.GetUtcNow());
        }

        while (!cancellationToken.IsCancellationRequested && !await until())
        {
            var work = await PumpOnceAsync(cancellationToken);
            if (work > 0)
            {
                continue;
            }

            if (clock is VirtualClock virtualClock)
            {
                var next = await NextDueAsync(cancellationToken);
                if (next is null)
                {
                    return;
                }

                virtualClock.AdvanceTo(next.Value);
            }
            else
            {
                await Task.Delay(options.PollInterval, cancellationToken);
            }
        }
    }

    private async Task<DateTimeOffset?> NextDueAsync(CancellationToken cancellationToken)
    {
        var candidates = periodicTasks.Select(t => t.DueAt).Append(await store.NextWakeAsync(cancellationToken)).Where(t => t is not null).Select(t => t!.Value).ToList();
        return candidates.Count == 0 ? null : candidates.Min();
    }

    private async Task<int> DrainIntakeAsync(CancellationToken cancellationToken)
    {
        var handled = 0;
        while (true)
        {
            var messages = await intakeQueue.ReceiveAsync(16, options.VisibilityTimeout, cancellationToken);
            if (messages.Count == 0)
            {
                return handled;
            }

            foreach (var message in messages)
            {
                handled++;
                if (message.DequeueCount > intakeQueue.MaxDequeueCount)
                {
                    var reason = $"dequeued {message.DequeueCount} times without being handled (limit {intakeQueue.MaxDequeueCount})";
                    await intake.AbandonAsync(message.Body.ToString(), reason, cancellationToken);
                    await intakeQueue.DeadLetterAsync(message, reason, cancellationToken);
                    continue;
                }

                try
                {
                    // Submission time is this host's clock (a virtual one in the demo), not the queue's wall clock.
                    var result = await intake.HandleAsync(message.Body.ToString(), clock.GetUtcNow(), cancellationToken);
                    if (result.Outcome == IntakeOutcome.Rejected)
                    {
                        await intakeQueue.DeadLetterAsync(message, result.Reason!, cancellationToken);
                    }
                    else
                    {
                        await intakeQueue.CompleteAsync(message, cancellationToken);
                    }
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // Left on the queue: it becomes visible again and is dead-lettered once it has failed too often.
                    logger.LogError(ex, "Job message {MessageId} failed (delivery {Count}); it will be retried", message.MessageId, message.DequeueCount);
                }
            }
        }
    }

    private async Task<int> DrainEventsAsync(CancellationToken cancellationToken)
    {
        var handled = 0;
        while (true)
        {
            var messages = await eventQueue.ReceiveAsync(16, options.VisibilityTimeout, cancellationToken);
            if (messages.Count == 0)
            {
                return handled;
            }

            foreach (var message in messages)
            {
                handled++;
                var evt = JobEventQueue.TryRead(message.Body.ToString());
                if (evt is null)
                {
                    // Nothing is dropped silently: an unreadable event goes to the poison queue with the reason.
                    await intakeQueue.SendToPoisonAsync(
                        new PoisonMessage($"unreadable job event (expected {{\"jobId\",\"kind\": complete|fail|cancel}})", message.MessageId, message.DequeueCount, message.InsertedOn, clock.GetUtcNow(), message.Body.ToString()),
                        cancellationToken);
                    await eventQueue.CompleteAsync(message, cancellationToken);
                    continue;
                }

                var now = clock.GetUtcNow();
                JobEvent lifecycleEvent = evt.Kind switch
                {
                    "complete" => new WorkFinished(now, true, evt.Reason ?? "reported complete"),
                    "fail" => new WorkFinished(now, false, evt.Reason),
                    _ => new CancelRequested(now, evt.Reason ?? "cancelled by request"),
                };
                await runner.ApplyAsync(evt.JobId, lifecycleEvent, cancellationToken);
                await eventQueue.CompleteAsync(message, cancellationToken);
            }
        }
    }

    private async Task<int> FinishSimulatedWorkloadsAsync(CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var finished = 0;
        await foreach (var record in store.ListAsync(activeOnly: true, cancellationToken))
        {
            var state = record.State;
            if (state is { Status: JobStatus.Running, Plan: { } plan } && state.SlotIndex == plan.Slots.Count - 1 && now >= plan.Slots[^1].End)
            {
                await runner.ApplyAsync(record.Job.Id, new WorkFinished(now, true, "simulated training run finished its planned work"), cancellationToken);
                finished++;
            }
        }

        return finished;
    }
}
