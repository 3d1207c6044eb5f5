using CarbonFunctions.Core.Jobs;
using CarbonFunctions.Core.Lifecycle;
using CarbonFunctions.Handlers.Lifecycle;
using Microsoft.DurableTask;
using Microsoft.Extensions.Logging;

namespace CarbonFunctions.App.Orchestration;

/// <summary>
/// The Durable host of the shared <see cref="LifecycleLoop"/>, one orchestration per job (instance id = job id). It waits
/// for whichever comes first of the job's wake-up timer and its next signal, and hands that event to the loop, whose
/// effects are activities. Deterministic: time comes from <see cref="TaskOrchestrationContext.CurrentUtcDateTime"/> or
/// from recorded activity results, and nothing but durable tasks is awaited.
/// </summary>
public static class JobOrchestration
{
    public static async Task<JobState> RunAsync(TaskOrchestrationContext context, JobOrchestrationInput input)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(input);
        var logger = context.CreateReplaySafeLogger(nameof(JobOrchestration));
        var job = JobContract.ReadStored(input.Job);
        var effects = new DurableEffects(context, input, logger);

        // A job not yet submitted to the lifecycle (the first generation): the loop makes its first plan.
        if (effects.State is { Status: JobStatus.Queued, WakeAt: null })
        {
            await LifecycleLoop.ApplyAsync(job, new JobSubmitted(effects.Now), input.Lifecycle, effects, logger);
        }

        for (var handled = 0; ; handled++)
        {
            if (effects.State.IsTerminal)
            {
                context.SetCustomStatus(JobStatusSummary.Of(effects.State));
                return effects.State;
            }

            if (handled >= input.Settings.MaxEventsPerGeneration)
            {
                // Buffered signals are carried over to the next generation (preserveUnprocessedEvents defaults to true).
                context.ContinueAsNew(input with { State = effects.State });
                return effects.State;
            }

            await LifecycleLoop.ApplyAsync(job, await NextEventAsync(context, effects), input.Lifecycle, effects, logger);
        }
    }

    /// <summary>The due wake-up or the next signal, whichever comes first.</summary>
    private static async Task<JobEvent> NextEventAsync(TaskOrchestrationContext context, DurableEffects effects)
    {
        // One token for both waiters: the loser must be cancelled, or an abandoned WaitForExternalEvent would swallow
        // the next signal and a pending timer would keep the orchestration open.
        using var loser = new CancellationTokenSource();
        var signal = context.WaitForExternalEvent<JobSignal>(OrchestrationNames.SignalEvent, loser.Token);
        Task? timer = effects.State.WakeAt is { } wake ? context.CreateTimer(wake.UtcDateTime, loser.Token) : null;
        var winner = timer is null ? signal : await Task.WhenAny(signal, timer);

        // Synchronously: an orchestrator may only await durable tasks, and CancelAsync would resume off its thread.
        loser.Cancel();
        var now = effects.Now;
        if (winner == timer)
        {
            // A durable timer never fires early; the max only guards against clock rounding so that the lifecycle never
            // sees a due wake-up as stale.
            return new TimerFired(effects.State.WakeAt is { } due && due > now ? due : now);
        }

        return (await signal).ToEvent(now);
    }

    /// <summary>The loop's effects as activities; the orchestration's own copy of the state is authoritative.</summary>
    private sealed class DurableEffects(TaskOrchestrationContext context, JobOrchestrationInput input, ILogger logger) : ILifecycleEffects
    {
        private readonly TaskOptions _retry = TaskOptions.FromRetryPolicy(new RetryPolicy(
            input.Settings.ActivityMaxAttempts, input.Settings.ActivityFirstRetryInterval, backoffCoefficient: 2));

        public JobState State { get; private set; } = input.State;

        public DateTimeOffset Now => new(DateTime.SpecifyKind(context.CurrentUtcDateTime, DateTimeKind.Utc));

        public async Task<JobDecision?> DecideAndRecordAsync(Func<JobState, JobDecision> decide)
        {
            var decision = decide(State);
            if (decision.Ignored || ReferenceEquals(decision.State, State))
            {
                return decision;
            }

            State = decision.State;
            context.SetCustomStatus(JobStatusSummary.Of(State));
            try
            {
                await context.CallActivityAsync(OrchestrationNames.RecordJobState, new JobStateRecord { Job = input.Job, State = State }, _retry);
            }
            catch (TaskFailedException ex)
            {
                // The table is a view for carbonctl, the status API and the reconciler; the orchestration's state stays authoritative.
                logger.LogWarning("Job {JobId}: recording state {Status} failed: {Reason}", State.JobId, State.Status, ex.FailureDetails.ErrorMessage);
            }

            return decision;
        }

        public async Task<JobEvent> ExecuteAsync(JobState state, JobCommand command)
        {
            try
            {
                // No retry policy: the executor turns every failure into an event, and the lifecycle owns retry timing.
                var outcome = await context.CallActivityAsync<JobCommandOutcome>(OrchestrationNames.ExecuteJobCommand, new JobCommandRequest { Job = input.Job, State = state, Command = command });
                return outcome.Event;
            }
            catch (TaskFailedException ex)
            {
                // Even an activity crash comes back as an event: failing the orchestration here could leave a pool running.
                return JobCommandExecutor.Failed(command, Now, ex.FailureDetails.ErrorMessage);
            }
        }
    }
}
