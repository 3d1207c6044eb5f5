using Azure.Storage.Queues.Models;
using CarbonFunctions.Core.Lifecycle;
using CarbonFunctions.Core.Simulation;
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
    /// jumping to the next wake-up; on a <see cref="ScaledClock"/> (the demo with node agents) too, but only while no
    /// pool is up, since agents and workloads live on that clock; otherwise the host sleeps between polls. A storage error that survives the
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

                if (clock is ScaledClock scaled && !await AnyPoolUpAsync(cancellationToken))
                {
                    // Nothing runs on a node (no agent, no workload, whose time flows with the clock): skip ahead.
                    var next = await NextDueAsync(cancellationToken);
                    if (next is null)
                    {
                        return;
                    }

                    scaled.JumpTo(next.Value);
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

    /// <summary>True while some job has asked for its pool and not yet seen it paused or stopped.</summary>
    private async Task<bool> AnyPoolUpAsync(CancellationToken cancellationToken)
    {
        await foreach (var record in store.ListAsync(activeOnly: true, cancellationToken))
        {
            if (record.State.Status is JobStatus.StartingPool or JobStatus.Running or JobStatus.Checkpointing or JobStatus.Pausing or JobStatus.Stopping)
            {
                return true;
            }
        }

        return false;
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
}
