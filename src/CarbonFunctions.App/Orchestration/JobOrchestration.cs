using CarbonFunctions.Core.Jobs;
using CarbonFunctions.Core.Lifecycle;
using CarbonFunctions.Core.Planning;
using Microsoft.DurableTask;
using Microsoft.Extensions.Logging;

namespace CarbonFunctions.App.Orchestration;

/// <summary>
/// The Durable interpreter of <see cref="JobLifecycle.Decide"/>, one orchestration per job (instance id = job id).
/// It waits for whichever comes first of the job's wake-up timer and its external events, turns that into a
/// lifecycle event, and runs the commands the decision asks for as activities, feeding their outcome back in.
/// Every decision is taken by Core; this loop only moves events and state. Deterministic by construction: time
/// comes from <see cref="TaskOrchestrationContext.CurrentUtcDateTime"/> or from recorded activity results.
/// </summary>
public static class JobOrchestration
{
    // Same bound as the local host's JobRunner: a decision chain that long means a provider answering nonsense.
    private const int MaxChainedEvents = 16;

    public static async Task<JobState> RunAsync(TaskOrchestrationContext context, JobOrchestrationInput input)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(input);
        var logger = context.CreateReplaySafeLogger(nameof(JobOrchestration));
        var job = JobContract.ReadStored(input.Job);
        var run = new Run(context, input, job, logger);

        var state = input.State;
        if (state.Status == JobStatus.Queued && state.Plan is null)
        {
            state = await run.ApplyAsync(state, await run.PlanAsync(state));
        }

        for (var handled = 0; ; handled++)
        {
            if (state.IsTerminal)
            {
                context.SetCustomStatus(JobStatusSummary.Of(state));
                return state;
            }

            if (handled >= input.Settings.MaxEventsPerGeneration)
            {
                // Buffered external events are carried over (preserveUnprocessedEvents defaults to true).
                context.ContinueAsNew(input with { State = state });
                return state;
            }

            var next = await run.NextEventAsync(state);
            if (next is not null)
            {
                state = await run.ApplyAsync(state, next);
            }
        }
    }

    private sealed class Run(TaskOrchestrationContext context, JobOrchestrationInput input, TrainingJob job, ILogger logger)
    {
        private readonly TaskOptions _retry = TaskOptions.FromRetryPolicy(new RetryPolicy(
            input.Settings.ActivityMaxAttempts, input.Settings.ActivityFirstRetryInterval, backoffCoefficient: 2));

        private DateTimeOffset Now => new(DateTime.SpecifyKind(context.CurrentUtcDateTime, DateTimeKind.Utc));

        /// <summary>Waits for the wake-up timer or an external event; null when the event needs no decision (an unchanged re-plan).</summary>
        public async Task<JobEvent?> NextEventAsync(JobState state)
        {
            // One token for every waiter: the losers must be cancelled, or an abandoned WaitForExternalEvent would
            // swallow the next event of its name and a pending timer would keep the orchestration open.
            using var losers = new CancellationTokenSource();
            var complete = context.WaitForExternalEvent<JobSignal?>(OrchestrationNames.CompleteEvent, losers.Token);
            var fail = context.WaitForExternalEvent<JobSignal?>(OrchestrationNames.FailEvent, losers.Token);
            var cancel = context.WaitForExternalEvent<JobSignal?>(OrchestrationNames.CancelEvent, losers.Token);
            var replan = context.WaitForExternalEvent<JobSignal?>(OrchestrationNames.ReplanEvent, losers.Token);
            var waits = new List<Task> { complete, fail, cancel, replan };
            Task? timer = null;
            if (state.WakeAt is { } wake)
            {
                timer = context.CreateTimer(wake.UtcDateTime, losers.Token);
                waits.Add(timer);
            }

            var winner = await Task.WhenAny(waits);
            // Synchronously: an orchestrator may only await durable tasks, and CancelAsync would resume off its thread.
            losers.Cancel();

            var now = Now;
            if (winner == timer)
            {
                // A durable timer never fires early; the max only guards against clock rounding so that the
                // lifecycle never sees a due wake-up as stale.
                return new TimerFired(state.WakeAt is { } due && due > now ? due : now);
            }

            if (winner == complete)
            {
                return new WorkFinished(now, true, (await complete)?.Reason ?? "reported complete");
            }

            if (winner == fail)
            {
                return new WorkFinished(now, false, (await fail)?.Reason);
            }

            if (winner == cancel)
            {
                return new CancelRequested(now, (await cancel)?.Reason ?? "cancelled by request");
            }

            return await ReplanAsync(state);
        }

        public async Task<JobEvent> PlanAsync(JobState state)
        {
            try
            {
                var plan = await context.CallActivityAsync<JobPlan>(OrchestrationNames.PlanJob, new PlanRequest { Job = input.Job, At = Now }, _retry);
                return new JobPlanned(Now, plan);
            }
            catch (TaskFailedException ex)
            {
                logger.LogWarning("Job {JobId} could not be planned: {Reason}", state.JobId, ex.FailureDetails.ErrorMessage);
                return new PlanningFailed(Now, ex.FailureDetails.ErrorMessage);
            }
        }

        /// <summary>Decides on an event and on every event its commands produce; records each new state before running its commands.</summary>
        public async Task<JobState> ApplyAsync(JobState state, JobEvent first)
        {
            var pending = new Queue<JobEvent>();
            pending.Enqueue(first);
            for (var chained = 0; pending.Count > 0 && chained < MaxChainedEvents; chained++)
            {
                var evt = pending.Dequeue();
                var decision = JobLifecycle.Decide(job, state, evt, input.Lifecycle);
                if (decision.Ignored)
                {
                    continue;
                }

                if (decision.State.Status != state.Status)
                {
                    logger.LogInformation("Job {JobId}: {From} -> {To}: {Reason}", state.JobId, state.Status, decision.State.Status, JobStatusSummary.Of(decision.State).Reason);
                }

                state = decision.State;
                context.SetCustomStatus(JobStatusSummary.Of(state));
                await RecordAsync(state);
                foreach (var command in decision.Commands)
                {
                    pending.Enqueue(await ExecuteAsync(state, command));
                }
            }

            return state;
        }

        private async Task<JobEvent?> ReplanAsync(JobState state)
        {
            if (state.Status is not (JobStatus.Planned or JobStatus.Paused))
            {
                return null;
            }

            try
            {
                var plan = await context.CallActivityAsync<JobPlan>(OrchestrationNames.PlanJob, new PlanRequest { Job = input.Job, State = state, At = Now }, _retry);
                return state.WouldChangeRemainingPlan(plan) ? new JobReplanned(Now, plan) : null;
            }
            catch (TaskFailedException ex)
            {
                // The job keeps its current plan, as the local host's re-planner does.
                logger.LogWarning("Re-planning {JobId} failed; it keeps its current plan: {Reason}", state.JobId, ex.FailureDetails.ErrorMessage);
                return null;
            }
        }

        private async Task<JobEvent> ExecuteAsync(JobState state, JobCommand command)
        {
            try
            {
                // No retry policy here: the executor turns provider errors into PoolCommandFailed, and the
                // lifecycle owns the retry timing (start back-off, stop/pause retried until confirmed).
                var outcome = await context.CallActivityAsync<PoolCommandOutcome>(OrchestrationNames.ExecutePoolCommand, PoolCommandRequest.For(input.Job, state, command));
                return outcome.ToEvent();
            }
            catch (TaskFailedException ex)
            {
                // Even an activity crash must come back as an event: failing the orchestration here could leave a pool running.
                return new PoolCommandFailed(Now, $"{command.GetType().Name}: {ex.FailureDetails.ErrorMessage}");
            }
        }

        private async Task RecordAsync(JobState state)
        {
            try
            {
                await context.CallActivityAsync(OrchestrationNames.RecordJobState, new JobStateRecord { Job = input.Job, State = state }, _retry);
            }
            catch (TaskFailedException ex)
            {
                // The table is a view for carbonctl and the status API; the orchestration's own state stays authoritative.
                logger.LogWarning("Job {JobId}: recording state {Status} failed: {Reason}", state.JobId, state.Status, ex.FailureDetails.ErrorMessage);
            }
        }
    }
}
