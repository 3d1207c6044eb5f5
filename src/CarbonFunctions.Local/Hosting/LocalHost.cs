using Azure.Storage.Queues.Models;
using CarbonFunctions.Core.Lifecycle;
using CarbonFunctions.Handlers.Hosting;
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
/// The embedded host: the same use cases as the Functions app, driven by a polling loop over the jobs queue, the
/// job-events queue, due wake-ups and periodic tasks, with <see cref="StoredJobLifecycle"/> as the lifecycle host. Safe
/// to run as several competing processes on one storage account (queue visibility + ETag-guarded job state).
/// </summary>
public sealed class LocalHost(
    TrainingJobQueue intakeQueue,
    JobEventQueue eventQueue,
    JobIntake intake,
    StoredJobLifecycle lifecycle,
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
                    CarbonTelemetry.RecordStorageFault($"periodic:{task.Name}", ex, cancellationToken);
                    task.Schedule(now);
                }

                work++;
            }
        }

        work += await DrainAsync(intakeQueue.Name, ct => intakeQueue.ReceiveAsync(16, options.VisibilityTimeout, ct), m => intake.HandleJobAsync(m, lifecycle, cancellationToken), intakeQueue.CompleteAsync, cancellationToken);
        work += await DrainAsync(eventQueue.Name, ct => eventQueue.ReceiveAsync(16, options.VisibilityTimeout, ct), m => intake.HandleEventAsync(m, lifecycle, cancellationToken), eventQueue.CompleteAsync, cancellationToken);
        if (options.SimulateWorkloads)
        {
            work += await FinishSimulatedWorkloadsAsync(cancellationToken);
        }

        now = clock.GetUtcNow();
        foreach (var due in await store.ListDueAsync(now, cancellationToken))
        {
            var before = due.State;
            var after = await lifecycle.ApplyAsync(due.Job.Id, new TimerFired(now), cancellationToken);
            if (after is not null && after != before)
            {
                work++;
            }
        }

        return work;
    }

    /// <summary>
    /// Runs until <paramref name="until"/> says stop. On a <see cref="VirtualClock"/>, idle time is skipped by
    /// jumping to the next wake-up; on the real clock the host sleeps between polls. A storage error that survives the
    /// SDK's retries is logged and the loop goes on after a pause: the host outlives a storage hiccup.
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
            try
            {
                if (await PumpOnceAsync(cancellationToken) > 0)
                {
                    continue;
                }

                if (clock is VirtualClock virtualClock)
                {
                    // The wake-up query is storage too: inside the try, or one failed query ends the host.
                    var next = await NextDueAsync(cancellationToken);
                    if (next is null)
                    {
                        return;
                    }

                    virtualClock.AdvanceTo(next.Value);
                    continue;
                }
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                // Only our own cancellation stops the loop: a storage timeout surfaces as a cancellation too.
                logger.LogError(ex, "Local host loop failed; retrying after {Pause}", options.PollInterval);
                CarbonTelemetry.RecordStorageFault("loop", ex, cancellationToken);
                await Task.Delay(options.PollInterval, TimeProvider.System, cancellationToken);
                continue;
            }

            await Task.Delay(options.PollInterval, cancellationToken);
        }
    }

    private async Task<DateTimeOffset?> NextDueAsync(CancellationToken cancellationToken)
    {
        var candidates = periodicTasks.Select(t => t.DueAt).Append(await store.NextWakeAsync(cancellationToken)).Where(t => t is not null).Select(t => t!.Value).ToList();
        return candidates.Count == 0 ? null : candidates.Min();
    }

    /// <summary>Receives until the queue is empty; a message is deleted once handled (stored, delivered or dead-lettered), else left for a later try.</summary>
    private async Task<int> DrainAsync(
        string queue,
        Func<CancellationToken, Task<IReadOnlyList<QueueMessage>>> receive,
        Func<ReceivedMessage, Task<MessageResult>> handle,
        Func<QueueMessage, CancellationToken, Task> complete,
        CancellationToken cancellationToken)
    {
        var handled = 0;
        while (true)
        {
            var messages = await receive(cancellationToken);
            if (messages.Count == 0)
            {
                return handled;
            }

            foreach (var message in messages)
            {
                handled++;
                try
                {
                    await handle(ReceivedMessage.From(message));
                    await complete(message, cancellationToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // Left on the queue: it becomes visible again, and is dead-lettered on its last allowed delivery.
                    logger.LogError(ex, "{Queue} message {MessageId} failed (delivery {Count}); it will be retried", queue, message.MessageId, message.DequeueCount);
                    CarbonTelemetry.RecordStorageFault($"queue:{queue}", ex, cancellationToken);
                }
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
                await lifecycle.ApplyAsync(record.Job.Id, new WorkFinished(now, true, "simulated training run finished its planned work"), cancellationToken);
                finished++;
            }
        }

        return finished;
    }
}
