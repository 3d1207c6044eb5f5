using System.Globalization;
using CarbonFunctions.Core.Jobs;
using CarbonFunctions.Core.Planning;
using CarbonFunctions.Core.Pools;

namespace CarbonFunctions.Core.Lifecycle;

/// <summary>
/// The job lifecycle as a pure state machine: <c>Decide(job, state, event) -> (state', commands)</c>.
/// Both hosts only interpret it (DESIGN.md). Rules that keep budgets safe:
/// once a pool start was asked for, every path to a terminal status goes through <see cref="JobStatus.Stopping"/>
/// and waits for the provider to report the pool stopped; stop and pause commands are retried on a timer until confirmed.
/// </summary>
public static class JobLifecycle
{
    public static JobDecision Decide(TrainingJob job, JobState state, JobEvent evt, LifecycleOptions options)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(evt);
        ArgumentNullException.ThrowIfNull(options);

        if (state.IsTerminal)
        {
            return Ignore(state);
        }

        return evt switch
        {
            CancelRequested cancel => EndJob(state, cancel.At, JobStatus.Cancelled, "cancelled: " + cancel.Reason, options),
            WorkFinished { Succeeded: true } done => EndJob(state, done.At, JobStatus.Completed, done.Reason ?? "training reported done", options),
            WorkFinished failed => EndJob(state, failed.At, JobStatus.Failed, "training failed: " + (failed.Reason ?? "no reason given"), options),
            PlanningFailed failed when state.Status == JobStatus.Queued => EndJob(state, failed.At, JobStatus.Failed, "could not be planned: " + failed.Reason, options),
            PlanningFailed => Ignore(state),
            JobPlanned planned => OnPlanned(job, state, planned, options),
            JobReplanned replanned => OnReplanned(job, state, replanned, options),
            TimerFired timer => OnTimer(job, state, timer, options),
            PoolObserved observed => OnPoolObserved(job, state, observed, options),
            PoolCommandFailed failure => OnPoolCommandFailed(state, failure, options),
            _ => throw new ArgumentException($"unknown event {evt.GetType().Name}", nameof(evt)),
        };
    }

    private static JobDecision OnPlanned(TrainingJob job, JobState state, JobPlanned planned, LifecycleOptions options)
    {
        if (state.Status != JobStatus.Queued)
        {
            return Ignore(state);
        }

        var plan = planned.Plan;
        if (plan.Slots.Count == 0)
        {
            return Decision(Move(state, planned.At, JobStatus.Failed, "the planner produced no slot: " + (plan.Warning ?? "no reason"), options) with { Plan = plan, WakeAt = null });
        }

        var why = $"planned with {plan.Policy} in {plan.Region}: {plan.Slots.Count} slot(s) from {Iso(plan.Slots[0].Start)}, expected {plan.ExpectedGramsCo2e / 1000:0.###} kg vs {plan.RunNowGramsCo2e / 1000:0.###} kg now"
            + (plan.MeetsDeadline ? string.Empty : " — WARNING: the plan does not meet the deadline")
            + (plan.Warning is null ? string.Empty : " — " + plan.Warning);
        var next = Move(state, planned.At, JobStatus.Planned, why, options) with { Plan = plan, SlotIndex = 0, Region = plan.Region };
        return WaitForSlotOrStart(job, next, planned.At, options);
    }

    private static JobDecision OnReplanned(TrainingJob job, JobState state, JobReplanned replanned, LifecycleOptions options)
    {
        var plan = replanned.Plan;
        if (plan.Slots.Count == 0 || state.Status is not (JobStatus.Planned or JobStatus.Paused or JobStatus.Running))
        {
            return Ignore(state);
        }

        // A started job keeps its region; a running one keeps running from now (the planner starts its first slot at now).
        if (state.PoolEverStarted && plan.Region != state.Region)
        {
            return Ignore(state);
        }

        if (state.Status == JobStatus.Running)
        {
            if (plan.Slots[0].Start > replanned.At)
            {
                return Ignore(state);
            }

            var running = Note(state, replanned.At, $"re-planned while running: {plan.Slots.Count} slot(s), expected {plan.ExpectedGramsCo2e / 1000:0.###} kg", options)
                with { Plan = plan, SlotIndex = 0, WakeAt = Earliest(plan.Slots[0].End, job.Deadline) };
            return running.Nodes != plan.Slots[0].Nodes
                ? Decision(running with { Nodes = plan.Slots[0].Nodes }, new StartPool(running.Region!, plan.Slots[0].Nodes))
                : Decision(running);
        }

        var next = Note(state, replanned.At, $"re-planned: {plan.Slots.Count} slot(s) from {Iso(plan.Slots[0].Start)}, expected {plan.ExpectedGramsCo2e / 1000:0.###} kg", options)
            with { Plan = plan, SlotIndex = 0, Region = plan.Region };
        return WaitForSlotOrStart(job, next, replanned.At, options);
    }

    private static JobDecision OnTimer(TrainingJob job, JobState state, TimerFired timer, LifecycleOptions options)
    {
        // A timer before the wake-up time is stale (a superseded wake-up or a competing host): nothing to do.
        if (state.WakeAt is null || timer.At < state.WakeAt)
        {
            return Ignore(state);
        }

        var now = timer.At;
        switch (state.Status)
        {
            case JobStatus.Planned:
            case JobStatus.Paused:
                if (now >= job.Deadline)
                {
                    return EndJob(state, now, JobStatus.DeadlineMissed, "the deadline passed before the work was done", options);
                }

                return StartSlot(state, now, options);

            case JobStatus.StartingPool:
                if (state.StartRequestedAt is { } asked && now - asked >= options.PoolStartTimeout)
                {
                    return StartFailed(state, now, $"the pool was not running {options.PoolStartTimeout.TotalMinutes:0} min after the start was asked for", options);
                }

                // Ask again: starting is idempotent and the answer tells how far the pool got.
                return Decision(state with { WakeAt = now + options.PoolPollInterval, UpdatedAt = now }, new StartPool(state.Region!, state.Nodes));

            case JobStatus.Running:
                return OnRunningTimer(job, state, now, options);

            case JobStatus.Pausing:
                return Decision(state with { WakeAt = now + options.RetryInterval, UpdatedAt = now }, new PausePool());

            case JobStatus.Stopping:
                return Decision(state with { WakeAt = now + options.RetryInterval, UpdatedAt = now }, new StopPool());

            default:
                return Ignore(state);
        }
    }

    private static JobDecision OnRunningTimer(TrainingJob job, JobState state, DateTimeOffset now, LifecycleOptions options)
    {
        var ran = state with { RunTime = state.RunTime + (now - (state.RunningSince ?? now)), RunningSince = now, UpdatedAt = now };
        if (now >= job.Deadline)
        {
            return EndJob(ran, now, JobStatus.DeadlineMissed, "the deadline passed while the job was still running", options);
        }

        var plan = state.Plan!;
        var nextIndex = state.SlotIndex + 1;
        if (nextIndex >= plan.Slots.Count)
        {
            // The plan's work is done but the job has not said so: the estimate was short. Keep running
            // (pausing now could only make the deadline harder) until it reports or the deadline comes.
            var overrun = Note(ran, now, "the planned slots are over but the job has not reported done: running on until done or the deadline", options);
            return Decision(overrun with { SlotIndex = nextIndex, WakeAt = job.Deadline });
        }

        var next = plan.Slots[nextIndex];
        if (next.Start <= now)
        {
            // Contiguous slots: keep the pool up, resizing when the node count changes (elastic plans).
            var continued = ran with { SlotIndex = nextIndex, WakeAt = Earliest(next.End, job.Deadline) };
            return next.Nodes != state.Nodes
                ? Decision(Note(continued, now, $"resizing from {state.Nodes} to {next.Nodes} nodes", options) with { Nodes = next.Nodes }, new StartPool(state.Region!, next.Nodes))
                : Decision(continued);
        }

        var pausing = Move(ran, now, JobStatus.Pausing, $"slot over; pausing until {Iso(next.Start)}", options)
            with { SlotIndex = nextIndex, RunningSince = null, WakeAt = now + options.RetryInterval };
        return Decision(pausing, new PausePool());
    }

    private static JobDecision OnPoolObserved(TrainingJob job, JobState state, PoolObserved observed, LifecycleOptions options)
    {
        var pool = observed.Pool;
        var now = observed.At;
        switch (state.Status)
        {
            case JobStatus.StartingPool when pool.State == PoolState.Running && pool.RunningNodes >= state.Nodes:
                var slot = state.CurrentSlot;
                var wake = slot is null ? job.Deadline : Earliest(slot.End, job.Deadline);
                return Decision(Move(state, now, JobStatus.Running, $"pool running with {pool.RunningNodes} node(s) in {state.Region}", options)
                    with { RunningSince = now, WakeAt = wake, StartAttempts = 0, StartRequestedAt = null });

            case JobStatus.StartingPool when pool.State == PoolState.Failed:
                return StartFailed(state, now, pool.Detail ?? "the provider reported the pool failed", options);

            case JobStatus.StartingPool:
                // Still starting, or partly up: the poll timer asks again.
                return Decision(state with { Reason = pool.Detail ?? state.Reason, UpdatedAt = now });

            case JobStatus.Running when pool.State is PoolState.Stopped or PoolState.Failed:
                // The nodes went away without us asking (the workload shut them down, a spot eviction, an operator).
                // A Stopped pool after the run means the training ended on its own: the pool adapter noticed it.
                var reason = pool.Detail ?? "the pool stopped without being asked";
                return pool.State == PoolState.Stopped
                    ? EndJob(state, now, JobStatus.Completed, "the pool stopped on its own: " + reason, options)
                    : EndJob(state, now, JobStatus.Failed, "the pool failed while running: " + reason, options);

            case JobStatus.Pausing when pool.State is PoolState.Paused or PoolState.Stopped:
                // Wake the start-up allowance before the next slot, so that its work starts on time.
                var next = state.CurrentSlot;
                var askAt = next is null ? now : next.Start - (state.Plan?.StartupAllowance ?? TimeSpan.Zero);
                return Decision(Move(state, now, JobStatus.Paused, "pool paused", options) with { WakeAt = askAt > now ? askAt : now });

            case JobStatus.Stopping when pool.State == PoolState.Stopped && pool.RunningNodes == 0:
                var outcome = state.Outcome ?? JobStatus.Completed;
                return Decision(Move(state, now, outcome, state.Reason ?? "pool stopped", options) with { WakeAt = null, RunningSince = null });

            default:
                return Decision(state with { UpdatedAt = now });
        }
    }

    private static JobDecision OnPoolCommandFailed(JobState state, PoolCommandFailed failure, LifecycleOptions options) => state.Status switch
    {
        JobStatus.StartingPool => StartFailed(state, failure.At, failure.Reason, options),

        // Pause and stop are retried by the timer until the provider confirms; record why.
        JobStatus.Pausing or JobStatus.Stopping or JobStatus.Running =>
            Decision(Note(state, failure.At, "pool command failed, will retry: " + failure.Reason, options)
                with { WakeAt = state.Status == JobStatus.Running ? state.WakeAt : failure.At + options.RetryInterval }),
        _ => Ignore(state),
    };

    private static JobDecision StartFailed(JobState state, DateTimeOffset now, string reason, LifecycleOptions options)
    {
        var attempts = state.StartAttempts + 1;
        if (attempts >= options.MaxStartAttempts)
        {
            return EndJob(state with { StartAttempts = attempts }, now, JobStatus.Failed, $"the pool did not start after {attempts} attempt(s): {reason}", options);
        }

        var backoff = TimeSpan.FromTicks(options.RetryInterval.Ticks * (1L << (attempts - 1)));
        var retrying = Note(state, now, $"pool start attempt {attempts} failed ({reason}); retrying at {Iso(now + backoff)}", options)
            with { StartAttempts = attempts, StartRequestedAt = now + backoff, WakeAt = now + backoff };
        return Decision(retrying);
    }

    private static JobDecision StartSlot(JobState state, DateTimeOffset now, LifecycleOptions options)
    {
        var slot = state.CurrentSlot;
        if (slot is null)
        {
            return EndJob(state, now, JobStatus.Failed, "no slot left to run in", options);
        }

        var starting = Move(state, now, JobStatus.StartingPool, $"starting {slot.Nodes} node(s) in {slot.Region} for the slot {Iso(slot.Start)}–{Iso(slot.End)}", options)
            with
            {
                Nodes = slot.Nodes,
                Region = slot.Region,
                StartRequestedAt = now,
                PoolEverStarted = true,
                WakeAt = now + options.PoolPollInterval,
            };
        return Decision(starting, new StartPool(slot.Region, slot.Nodes));
    }

    private static JobDecision WaitForSlotOrStart(TrainingJob job, JobState state, DateTimeOffset now, LifecycleOptions options)
    {
        // The pool is asked for the plan's start-up allowance before the slot, so that work starts on the slot's start.
        var slot = state.CurrentSlot!;
        var askAt = slot.Start - (state.Plan?.StartupAllowance ?? TimeSpan.Zero);
        return askAt <= now ? StartSlot(state, now, options) : Decision(state with { WakeAt = Earliest(askAt, job.Deadline) });
    }

    /// <summary>Ends a job: straight to the terminal status when no pool was ever asked for, else through Stopping.</summary>
    private static JobDecision EndJob(JobState state, DateTimeOffset now, JobStatus outcome, string reason, LifecycleOptions options)
    {
        if (state.Status == JobStatus.Stopping)
        {
            // Already stopping: keep the first outcome (a cancel after "done" does not rewrite history), stop again.
            return Decision(Note(state, now, "asked to end again while stopping: " + reason, options) with { WakeAt = now + options.RetryInterval }, new StopPool());
        }

        var ran = state.RunningSince is { } since ? state with { RunTime = state.RunTime + (now - since), RunningSince = null } : state;
        if (!state.PoolEverStarted)
        {
            return Decision(Move(ran, now, outcome, reason, options) with { WakeAt = null, Reason = reason });
        }

        var stopping = Move(ran, now, JobStatus.Stopping, reason, options)
            with { Outcome = outcome, Reason = reason, WakeAt = now + options.RetryInterval };
        return Decision(stopping, new StopPool());
    }

    private static JobState Move(JobState state, DateTimeOffset at, JobStatus to, string reason, LifecycleOptions options) =>
        state with
        {
            Status = to,
            UpdatedAt = at,
            History = Trim([.. state.History, new JobTransition(at, state.Status, to, reason)], options),
        };

    private static JobState Note(JobState state, DateTimeOffset at, string reason, LifecycleOptions options) =>
        state with
        {
            UpdatedAt = at,
            History = Trim([.. state.History, new JobTransition(at, state.Status, state.Status, reason)], options),
        };

    private static List<JobTransition> Trim(List<JobTransition> history, LifecycleOptions options) =>
        history.Count <= options.MaxHistory ? history : history.GetRange(history.Count - options.MaxHistory, options.MaxHistory);

    private static DateTimeOffset Earliest(DateTimeOffset a, DateTimeOffset b) => a <= b ? a : b;

    private static JobDecision Decision(JobState state, params JobCommand[] commands) => new(state, commands);

    private static JobDecision Ignore(JobState state) => new(state, []) { Ignored = true };

    private static string Iso(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd HH:mm'Z'", CultureInfo.InvariantCulture);
}
