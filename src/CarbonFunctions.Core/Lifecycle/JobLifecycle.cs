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
            CancelRequested cancel when state.Status == JobStatus.Checkpointing => OnCancelWhileCheckpointing(state, cancel, options),
            CancelRequested cancel => EndJob(state, cancel.At, JobStatus.Cancelled, "cancelled: " + cancel.Reason, options, checkpointFirst: true),

            // A run that never started cannot have finished: "complete" before the pool ran is refused.
            WorkFinished when !state.PoolEverStarted => Ignore(state),
            WorkFinished { Succeeded: true } done => EndJob(state, done.At, JobStatus.Completed, done.Reason ?? "training reported done", options),
            WorkFinished failed => EndJob(state, failed.At, JobStatus.Failed, "training failed: " + (failed.Reason ?? "no reason given"), options),
            JobSubmitted submitted => OnSubmitted(state, submitted, options),
            PlanningFailed failed when state.Status == JobStatus.Queued => OnPlanningFailed(state, failed, options),
            PlanningFailed => Ignore(state),
            ForecastsUpdated when state.IsWaitingForSlot => new JobDecision(state, [new ReplanJob()]),
            ForecastsUpdated => Ignore(state),
            JobPlanned planned => OnPlanned(job, state, planned, options),
            JobReplanned replanned => OnReplanned(job, state, replanned, options),
            TimerFired timer => OnTimer(job, state, timer, options),
            PoolObserved observed => OnPoolObserved(job, state, observed, options),
            PoolCommandFailed failure => OnPoolCommandFailed(state, failure, options),
            WorkloadStarted started => OnWorkloadStarted(state, started, options),
            AgentHeartbeat beat when state.Status is JobStatus.StartingPool or JobStatus.Running or JobStatus.Checkpointing =>
                Decision(state with { LastHeartbeatAt = beat.At, UpdatedAt = beat.At }),
            AgentHeartbeat => Ignore(state),
            CheckpointAcknowledged ack => OnCheckpointAcknowledged(state, ack, options),
            WorkloadExited exited => OnWorkloadExited(state, exited, options),
            CheckpointRequested { Failure: { } failure } requested when state.Checkpoint?.RequestId == requested.RequestId =>
                Decision(Note(state, requested.At, $"checkpoint request {requested.RequestId} not delivered ({failure}); the checkpoint timeout still applies", options)),
            CheckpointRequested => Ignore(state),
            _ => throw new ArgumentException($"unknown event {evt.GetType().Name}", nameof(evt)),
        };
    }

    private static JobDecision OnSubmitted(JobState state, JobSubmitted submitted, LifecycleOptions options)
    {
        // Only the first delivery plans; a redelivery finds the retry timer set and leaves planning to it.
        if (state.Status != JobStatus.Queued || state.WakeAt is not null)
        {
            return Ignore(state);
        }

        // The timer is the safety net for a plan command lost to a crash between recording and running it.
        return Decision(state with { WakeAt = submitted.At + options.RetryInterval, UpdatedAt = submitted.At }, new PlanJob());
    }

    private static JobDecision OnPlanningFailed(JobState state, PlanningFailed failed, LifecycleOptions options)
    {
        var attempts = state.PlanAttempts + 1;
        if (!failed.Retryable || attempts >= options.MaxPlanAttempts)
        {
            var why = failed.Retryable ? $"could not be planned after {attempts} attempt(s): {failed.Reason}" : "could not be planned: " + failed.Reason;
            return EndJob(state with { PlanAttempts = attempts }, failed.At, JobStatus.Failed, why, options);
        }

        var backoff = TimeSpan.FromTicks(options.RetryInterval.Ticks * (1L << (attempts - 1)));
        return Decision(Note(state, failed.At, $"planning attempt {attempts} failed ({failed.Reason}); retrying at {Iso(failed.At + backoff)}", options)
            with { PlanAttempts = attempts, WakeAt = failed.At + backoff });
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

        var why = $"planned with {plan.Policy} in {plan.Region}: {plan.Slots.Count} slot(s) from {Iso(plan.Slots[0].Start)}, expected {Kg(plan.ExpectedGramsCo2e)} vs {Kg(plan.RunNowGramsCo2e)} now"
            + (plan.MeetsDeadline ? string.Empty : " — WARNING: the plan does not meet the deadline")
            + (plan.Warning is null ? string.Empty : " — " + plan.Warning);
        var next = Move(state, planned.At, JobStatus.Planned, why, options) with { Plan = plan, SlotIndex = 0, Region = plan.Region };
        return WaitForSlotOrStart(job, next, planned.At, options);
    }

    private static JobDecision OnReplanned(TrainingJob job, JobState state, JobReplanned replanned, LifecycleOptions options)
    {
        var plan = replanned.Plan;
        if (plan.Slots.Count == 0 || state.Status is not (JobStatus.Planned or JobStatus.Paused or JobStatus.Running) || !state.WouldChangeRemainingPlan(plan))
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

            var running = Note(state, replanned.At, $"re-planned while running: {plan.Slots.Count} slot(s), expected {Kg(plan.ExpectedGramsCo2e)}", options)
                with { Plan = plan, SlotIndex = 0, WakeAt = Earliest(plan.Slots[0].End, job.Deadline) };
            return running.Nodes != plan.Slots[0].Nodes
                ? Decision(running with { Nodes = plan.Slots[0].Nodes }, new StartPool(running.Region!, plan.Slots[0].Nodes))
                : Decision(running);
        }

        var next = Note(state, replanned.At, $"re-planned: {plan.Slots.Count} slot(s) from {Iso(plan.Slots[0].Start)}, expected {Kg(plan.ExpectedGramsCo2e)}", options)
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
            case JobStatus.Queued:
                // Planning is due again (after a failure, or because the first plan command was lost).
                return Decision(state with { WakeAt = now + options.RetryInterval, UpdatedAt = now }, new PlanJob());

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

            case JobStatus.Checkpointing:
                // The agents did not all answer in time: pause or stop anyway (budgets first), and record the risk.
                return FinishCheckpoint(state, now, acknowledged: false, options);

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
            return EndJob(ran, now, JobStatus.DeadlineMissed, "the deadline passed while the job was still running", options, checkpointFirst: true);
        }

        if (options.WorkloadAgents && now - (state.LastHeartbeatAt ?? now) >= options.HeartbeatTimeout)
        {
            // Nothing to checkpoint with: the agent is gone or the workload is stuck. Stop paying for the nodes.
            return EndJob(ran, now, JobStatus.Failed, $"no heartbeat from the node agents for {options.HeartbeatTimeout.TotalMinutes:0.#} min: the workload or its node is hung", options);
        }

        var plan = state.Plan!;
        if (state.CurrentSlot is { } current && now < current.End)
        {
            // Only the heartbeat check was due: the slot goes on.
            return Decision(state with { WakeAt = RunningWake(job, state, current.End, options), UpdatedAt = now });
        }

        if (state.SlotIndex >= plan.Slots.Count)
        {
            return Decision(state with { WakeAt = RunningWake(job, state, job.Deadline, options), UpdatedAt = now });
        }

        var nextIndex = state.SlotIndex + 1;
        if (nextIndex >= plan.Slots.Count)
        {
            // The plan's work is done but the job has not said so: the estimate was short. Keep running
            // (pausing now could only make the deadline harder) until it reports or the deadline comes.
            var overrun = Note(ran, now, "the planned slots are over but the job has not reported done: running on until done or the deadline", options);
            return Decision(overrun with { SlotIndex = nextIndex, WakeAt = RunningWake(job, overrun, job.Deadline, options) });
        }

        var next = plan.Slots[nextIndex];
        if (next.Start <= now)
        {
            // Contiguous slots: keep the pool up, resizing when the node count changes (elastic plans).
            var continued = ran with { SlotIndex = nextIndex, WakeAt = RunningWake(job, ran, next.End, options) };
            return next.Nodes != state.Nodes
                ? Decision(Note(continued, now, $"resizing from {state.Nodes} to {next.Nodes} nodes", options) with { Nodes = next.Nodes }, new StartPool(state.Region!, next.Nodes))
                : Decision(continued);
        }

        if (options.WorkloadAgents)
        {
            return BeginCheckpoint(ran with { SlotIndex = nextIndex }, now, CheckpointPurpose.Pause, $"slot over; checkpointing before the pause until {Iso(next.Start)}", null, null, options);
        }

        var pausing = Move(ran, now, JobStatus.Pausing, $"slot over; pausing until {Iso(next.Start)}", options)
            with { SlotIndex = nextIndex, RunningSince = null, WakeAt = now + options.RetryInterval };
        return Decision(pausing, new PausePool());
    }

    /// <summary>When a running job next needs attention: its slot's end, the deadline, or the heartbeat check, whichever is first.</summary>
    private static DateTimeOffset RunningWake(TrainingJob job, JobState state, DateTimeOffset slotEnd, LifecycleOptions options)
    {
        var wake = Earliest(slotEnd, job.Deadline);
        return options.WorkloadAgents && state.LastHeartbeatAt is { } beat ? Earliest(wake, beat + options.HeartbeatTimeout) : wake;
    }

    /// <summary>Asks the agents to checkpoint; the pause or the stop follows their acknowledgement or the timeout.</summary>
    private static JobDecision BeginCheckpoint(JobState state, DateTimeOffset now, CheckpointPurpose purpose, string why, JobStatus? outcome, string? reason, LifecycleOptions options)
    {
        // Deterministic (Durable replays decide again): the job and how many checkpoints it has asked for.
        var requestId = $"{state.JobId}-c{state.CheckpointsAcknowledged + state.CheckpointsMissed + 1}";
        var checkpointing = Move(state, now, JobStatus.Checkpointing, why, options) with
        {
            Checkpoint = new CheckpointInFlight(requestId, now, purpose, [], outcome, reason),
            RunningSince = null,
            WakeAt = now + options.CheckpointTimeout,
        };
        return Decision(checkpointing, new RequestCheckpoint(requestId, purpose == CheckpointPurpose.Stop));
    }

    private static JobDecision FinishCheckpoint(JobState state, DateTimeOffset now, bool acknowledged, LifecycleOptions options)
    {
        var checkpoint = state.Checkpoint!;
        var counted = acknowledged
            ? state with { CheckpointsAcknowledged = state.CheckpointsAcknowledged + 1 }
            : Note(state, now, $"checkpoint {checkpoint.RequestId} not acknowledged by {Math.Max(1, state.Nodes) - checkpoint.AcknowledgedBy.Count} of {Math.Max(1, state.Nodes)} node(s) within {options.CheckpointTimeout.TotalMinutes:0.#} min: the work since the last checkpoint is at risk", options)
                with { CheckpointsMissed = state.CheckpointsMissed + 1 };
        counted = counted with { Checkpoint = null };
        if (checkpoint.Purpose == CheckpointPurpose.Pause)
        {
            var pausing = Move(counted, now, JobStatus.Pausing, acknowledged ? "checkpoint acknowledged; pausing the pool" : "pausing the pool without a checkpoint", options)
                with { WakeAt = now + options.RetryInterval };
            return Decision(pausing, new PausePool());
        }

        var stopping = Move(counted, now, JobStatus.Stopping, checkpoint.Reason ?? "stopping", options)
            with { Outcome = checkpoint.Outcome, Reason = checkpoint.Reason, WakeAt = now + options.RetryInterval };
        return Decision(stopping, new StopPool());
    }

    private static JobDecision OnCheckpointAcknowledged(JobState state, CheckpointAcknowledged ack, LifecycleOptions options)
    {
        var reported = ack.Workload is null ? state : state with { Workload = ack.Workload };
        if (state.Status != JobStatus.Checkpointing || state.Checkpoint is not { } checkpoint || checkpoint.RequestId != ack.RequestId)
        {
            // A late answer to an earlier request (the pool was paused on the timeout): keep what it reported.
            return ack.Workload is null ? Ignore(state) : Decision(reported with { UpdatedAt = ack.At });
        }

        var by = checkpoint.AcknowledgedBy.Contains(ack.Node) ? checkpoint.AcknowledgedBy : [.. checkpoint.AcknowledgedBy, ack.Node];
        var answered = reported with { Checkpoint = checkpoint with { AcknowledgedBy = by }, UpdatedAt = ack.At };
        return by.Count >= Math.Max(1, state.Nodes) ? FinishCheckpoint(answered, ack.At, acknowledged: true, options) : Decision(answered);
    }

    private static JobDecision OnCancelWhileCheckpointing(JobState state, CancelRequested cancel, LifecycleOptions options)
    {
        var checkpoint = state.Checkpoint!;
        var reason = "cancelled: " + cancel.Reason;
        return checkpoint.Purpose == CheckpointPurpose.Pause
            ? Decision(Note(state, cancel.At, reason + "; the job stops once the checkpoint is in", options)
                with { Checkpoint = checkpoint with { Purpose = CheckpointPurpose.Stop, Outcome = JobStatus.Cancelled, Reason = reason } })
            : Decision(Note(state, cancel.At, "asked to end again while checkpointing: " + reason, options));
    }

    private static JobDecision OnWorkloadStarted(JobState state, WorkloadStarted started, LifecycleOptions options) =>
        state.Status is JobStatus.StartingPool or JobStatus.Running
            ? Decision(Note(state, started.At, $"workload started on node {started.Node}", options) with { LastHeartbeatAt = started.At })
            : Ignore(state);

    private static JobDecision OnWorkloadExited(JobState state, WorkloadExited exited, LifecycleOptions options)
    {
        var reported = (exited.Workload is null ? state : state with { Workload = exited.Workload }) with { Checkpoint = null };
        if (state.Status is not (JobStatus.StartingPool or JobStatus.Running or JobStatus.Checkpointing))
        {
            return exited.Workload is null ? Ignore(state) : Decision(state with { Workload = exited.Workload, UpdatedAt = exited.At });
        }

        return exited.ExitCode switch
        {
            0 => EndJob(reported, exited.At, JobStatus.Completed, $"the workload finished on node {exited.Node} (exit code 0)", options),
            { } code => EndJob(reported, exited.At, JobStatus.Failed, $"the workload exited with code {code} on node {exited.Node}" + (exited.Reason is null ? string.Empty : ": " + exited.Reason), options),
            null => EndJob(reported, exited.At, JobStatus.Failed, $"the node agent could not run the workload on node {exited.Node}: {exited.Reason ?? "no reason given"}", options),
        };
    }

    private static JobDecision OnPoolObserved(TrainingJob job, JobState state, PoolObserved observed, LifecycleOptions options)
    {
        var pool = observed.Pool;
        var now = observed.At;
        switch (state.Status)
        {
            case JobStatus.StartingPool when pool.State == PoolState.Running && pool.RunningNodes >= state.Nodes:
                var slot = state.CurrentSlot;
                var up = state with { LastHeartbeatAt = now };
                return Decision(Move(up, now, JobStatus.Running, $"pool running with {pool.RunningNodes} node(s) in {state.Region}", options)
                    with { RunningSince = now, WakeAt = RunningWake(job, up, slot?.End ?? job.Deadline, options), StartAttempts = 0, StartRequestedAt = null });

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

    /// <summary>
    /// Ends a job: straight to the terminal status when no pool was ever asked for, else through Stopping — and, for a
    /// planned stop of a running workload (<paramref name="checkpointFirst"/>) where agents run, through a checkpoint first.
    /// </summary>
    private static JobDecision EndJob(JobState state, DateTimeOffset now, JobStatus outcome, string reason, LifecycleOptions options, bool checkpointFirst = false)
    {
        if (checkpointFirst && options.WorkloadAgents && state.Status == JobStatus.Running)
        {
            return BeginCheckpoint(state, now, CheckpointPurpose.Stop, $"checkpointing before the stop: {reason}", outcome, reason, options);
        }

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

    private static string Kg(double? grams) => grams is { } g ? (g / 1000).ToString("0.### 'kg'", CultureInfo.InvariantCulture) : "unknown kg";

    private static string Iso(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd HH:mm'Z'", CultureInfo.InvariantCulture);
}
