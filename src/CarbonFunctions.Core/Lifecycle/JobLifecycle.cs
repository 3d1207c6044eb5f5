using System.Globalization;
using CarbonFunctions.Core.Jobs;
using CarbonFunctions.Core.Planning;
using CarbonFunctions.Core.Pools;

namespace CarbonFunctions.Core.Lifecycle;

/// <summary>
/// The job lifecycle as a pure state machine: <c>Decide(job, state, event) -> (state', commands)</c>.
/// Both hosts only interpret it (DESIGN.md). What each status does with each event is the table in
/// <c>JobLifecycle.Table.cs</c> (<see cref="Table"/>); the handlers below implement its cells. Rules that keep budgets safe:
/// once a pool start was asked for, every path to a terminal status goes through <see cref="JobStatus.Stopping"/>
/// and waits for the provider to report the pool stopped; stop and pause commands are retried on a timer until confirmed.
/// </summary>
public static partial class JobLifecycle
{
    public static JobDecision Decide(TrainingJob job, JobState state, JobEvent evt, LifecycleOptions options)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(evt);
        ArgumentNullException.ThrowIfNull(options);

        var entry = CellFor(state.Status, KindOf(evt));
        return entry.Cell.Action switch
        {
            CellAction.Handle => entry.Handler!(new Step(job, state, evt, options)),
            CellAction.Refuse => new JobDecision(state, []) { Ignored = true, Refusal = entry.Cell.Rule },
            _ => Ignore(state),
        };
    }

    /// <summary>What a handler gets: the job, its state, the event and the options.</summary>
    private readonly record struct Step(TrainingJob Job, JobState State, JobEvent Event, LifecycleOptions Options)
    {
        public DateTimeOffset Now => Event.At;
    }

    // ── Queued ──────────────────────────────────────────────────────────────────────────────────────────────────────

    private static JobDecision OnSubmitted(QueuedPhase queued, JobSubmitted submitted, Step s)
    {
        // Only the first delivery plans; a redelivery finds the retry timer set and leaves planning to it.
        // The timer is the safety net for a plan command lost to a crash between recording and running it.
        return queued.RetryAt is not null
            ? Ignore(s.State)
            : Decision(Stay(s.State, queued with { RetryAt = submitted.At + s.Options.RetryInterval }, submitted.At), new PlanJob());
    }

    private static JobDecision OnQueuedTimer(QueuedPhase queued, TimerFired timer, Step s) =>
        queued.RetryAt is not { } due || timer.At < due
            ? Ignore(s.State)
            : Decision(Stay(s.State, queued with { RetryAt = timer.At + s.Options.RetryInterval }, timer.At), new PlanJob());

    private static JobDecision OnPlanningFailed(QueuedPhase queued, PlanningFailed failed, Step s)
    {
        var attempts = queued.PlanAttempts + 1;
        if (!failed.Retryable || attempts >= s.Options.MaxPlanAttempts)
        {
            var why = failed.Retryable ? $"could not be planned after {attempts} attempt(s): {failed.Reason}" : "could not be planned: " + failed.Reason;
            return EndJob(s.State, failed.At, TerminalStatus.Failed, why, s.Options);
        }

        var backoff = Backoff(s.Options, attempts);
        return Decision(Note(s.State, failed.At, $"planning attempt {attempts} failed ({failed.Reason}); retrying at {Iso(failed.At + backoff)}", s.Options,
            queued with { PlanAttempts = attempts, RetryAt = failed.At + backoff }));
    }

    private static JobDecision OnPlanned(QueuedPhase queued, JobPlanned planned, Step s)
    {
        var plan = planned.Plan;
        if (plan.Slots.Count == 0)
        {
            var reason = "the planner produced no slot: " + (plan.Warning ?? "no reason");
            return Decision(Move(s.State, planned.At, new EndedPhase(new JobEnding(TerminalStatus.Failed, reason), plan), reason, s.Options));
        }

        var why = $"planned with {plan.Policy} in {plan.Region}: {plan.Slots.Count} slot(s) from {Iso(plan.Slots[0].Start)}, expected {Kg(plan.ExpectedGramsCo2e)} vs {Kg(plan.RunNowGramsCo2e)} now"
            + (plan.MeetsDeadline ? string.Empty : " — WARNING: the plan does not meet the deadline")
            + (plan.Warning is null ? string.Empty : " — " + plan.Warning);
        var next = Move(s.State, planned.At, new PlannedPhase(plan, AskFor(s.Job, plan, 0)), why, s.Options);
        return StartIfDue(next, planned.At, s.Options);
    }

    // ── Waiting for a slot: Planned and Paused ──────────────────────────────────────────────────────────────────────

    private static JobDecision OnReplannedWhilePlanned(PlannedPhase planned, JobReplanned replanned, Step s)
    {
        var plan = replanned.Plan;
        if (plan.Slots.Count == 0 || !s.State.WouldChangeRemainingPlan(plan))
        {
            return Ignore(s.State);
        }

        var next = Note(s.State, replanned.At, Replanned(plan), s.Options, new PlannedPhase(plan, AskFor(s.Job, plan, 0)));
        return StartIfDue(next, replanned.At, s.Options);
    }

    private static JobDecision OnReplannedWhilePaused(PausedPhase paused, JobReplanned replanned, Step s)
    {
        // A started job keeps its region: its pool (and its checkpoint) are there.
        var plan = replanned.Plan;
        if (plan.Slots.Count == 0 || !s.State.WouldChangeRemainingPlan(plan) || plan.Region != paused.Pool.Region)
        {
            return Ignore(s.State);
        }

        var next = Note(s.State, replanned.At, Replanned(plan), s.Options, new PausedPhase(plan, 0, paused.Pool, AskFor(s.Job, plan, 0)));
        return StartIfDue(next, replanned.At, s.Options);
    }

    private static JobDecision ReplanRemainingWork(ScheduledPhase waiting, ForecastsUpdated updated, Step s) => Decision(s.State, new ReplanJob());

    /// <summary>The slot's time (less the plan's start-up allowance) has come: start its pool, unless the deadline passed.</summary>
    private static JobDecision OnWaitingTimer(ScheduledPhase waiting, TimerFired timer, Step s)
    {
        if (timer.At < WakeOf(waiting))
        {
            return Ignore(s.State);
        }

        return timer.At >= s.Job.Deadline
            ? EndJob(s.State, timer.At, TerminalStatus.DeadlineMissed, "the deadline passed before the work was done", s.Options)
            : StartSlot(s.State, timer.At, s.Options);
    }

    // ── StartingPool ────────────────────────────────────────────────────────────────────────────────────────────────

    private static JobDecision OnStartingTimer(StartingPhase starting, TimerFired timer, Step s)
    {
        var now = timer.At;
        if (now < starting.WakeAt)
        {
            return Ignore(s.State);
        }

        if (now - starting.RequestedAt >= s.Options.PoolStartTimeout)
        {
            return StartFailed(s.State, starting, now, $"the pool was not running {s.Options.PoolStartTimeout.TotalMinutes:0} min after the start was asked for", s.Options);
        }

        // Ask again: starting is idempotent and the answer tells how far the pool got.
        return Decision(Stay(s.State, starting with { WakeAt = now + s.Options.PoolPollInterval }, now), new StartPool(starting.Pool.Region, starting.Pool.Nodes));
    }

    private static JobDecision OnStartingPoolObserved(StartingPhase starting, PoolObserved observed, Step s)
    {
        var pool = observed.Pool;
        var now = observed.At;
        if (pool.State == PoolState.Running && pool.RunningNodes >= starting.Pool.Nodes)
        {
            // The heartbeat clock starts now: the agents come up with the nodes.
            var slotEnd = starting.SlotIndex < starting.Plan.Slots.Count ? starting.Plan.Slots[starting.SlotIndex].End : s.Job.Deadline;
            var running = new RunningPhase(starting.Plan, starting.SlotIndex, starting.Pool, now, now, now);
            return Decision(Move(s.State, now, running with { WakeAt = RunningWake(s.Job, running, slotEnd, s.Options) },
                $"pool running with {pool.RunningNodes} node(s) in {starting.Pool.Region}", s.Options));
        }

        if (pool.State == PoolState.Failed)
        {
            return StartFailed(s.State, starting, now, pool.Detail ?? "the provider reported the pool failed", s.Options);
        }

        // Still starting, or partly up: the poll timer asks again.
        return Decision(Stay(s.State, starting with { PoolDetail = pool.Detail ?? starting.PoolDetail }, now));
    }

    private static JobDecision OnStartCommandFailed(StartingPhase starting, PoolCommandFailed failure, Step s) =>
        StartFailed(s.State, starting, failure.At, failure.Reason, s.Options);

    private static JobDecision OnWorkloadStartedWhileStarting(StartingPhase starting, WorkloadStarted started, Step s) =>
        Decision(Note(s.State, started.At, $"workload started on node {started.Node}", s.Options));

    private static JobDecision StartFailed(JobState state, StartingPhase starting, DateTimeOffset now, string reason, LifecycleOptions options)
    {
        var attempts = starting.Attempts + 1;
        if (attempts >= options.MaxStartAttempts)
        {
            return EndJob(state, now, TerminalStatus.Failed, $"the pool did not start after {attempts} attempt(s): {reason}", options);
        }

        var backoff = Backoff(options, attempts);
        return Decision(Note(state, now, $"pool start attempt {attempts} failed ({reason}); retrying at {Iso(now + backoff)}", options,
            starting with { Attempts = attempts, RequestedAt = now + backoff, WakeAt = now + backoff }));
    }

    // ── Running ─────────────────────────────────────────────────────────────────────────────────────────────────────

    private static JobDecision OnRunningTimer(RunningPhase running, TimerFired timer, Step s)
    {
        var (job, state, options, now) = (s.Job, s.State, s.Options, timer.At);
        if (now < running.WakeAt)
        {
            return Ignore(state);
        }

        var ran = Accrue(state, running, now);
        var counted = (RunningPhase)ran.Phase;
        if (now >= job.Deadline)
        {
            return EndJob(ran, now, TerminalStatus.DeadlineMissed, "the deadline passed while the job was still running", options, checkpointFirst: true);
        }

        if (options.WorkloadAgents && now - running.LastHeartbeatAt >= options.HeartbeatTimeout)
        {
            // Nothing to checkpoint with: the agent is gone or the workload is stuck. Stop paying for the nodes.
            return EndJob(ran, now, TerminalStatus.Failed, $"no heartbeat from the node agents for {options.HeartbeatTimeout.TotalMinutes:0.#} min: the workload or its node is hung", options);
        }

        var plan = running.Plan;
        if (state.CurrentSlot is { } current && now < current.End)
        {
            // Only the heartbeat check was due: the slot goes on.
            return Decision(Stay(state, running with { WakeAt = RunningWake(job, running, current.End, options) }, now));
        }

        if (running.SlotIndex >= plan.Slots.Count)
        {
            return Decision(Stay(state, running with { WakeAt = RunningWake(job, running, job.Deadline, options) }, now));
        }

        var nextIndex = running.SlotIndex + 1;
        if (nextIndex >= plan.Slots.Count)
        {
            // The plan's work is done but the job has not said so: the estimate was short. Keep running
            // (pausing now could only make the deadline harder) until it reports or the deadline comes.
            return Decision(Note(ran, now, "the planned slots are over but the job has not reported done: running on until done or the deadline", options,
                counted with { SlotIndex = nextIndex, WakeAt = RunningWake(job, counted, job.Deadline, options) }));
        }

        var next = plan.Slots[nextIndex];
        if (next.Start <= now)
        {
            // Contiguous slots: keep the pool up, resizing when the node count changes (elastic plans).
            var continued = counted with { SlotIndex = nextIndex, WakeAt = RunningWake(job, counted, next.End, options) };
            return next.Nodes != running.Pool.Nodes
                ? Decision(Note(ran, now, $"resizing from {running.Pool.Nodes} to {next.Nodes} nodes", options, continued with { Pool = running.Pool with { Nodes = next.Nodes } }),
                    new StartPool(running.Pool.Region, next.Nodes))
                : Decision(Stay(ran, continued, now));
        }

        if (options.WorkloadAgents)
        {
            return BeginCheckpoint(ran, counted, nextIndex, now, $"slot over; checkpointing before the pause until {Iso(next.Start)}", null, options);
        }

        return Decision(Move(ran, now, new PausingPhase(plan, nextIndex, running.Pool, now + options.RetryInterval), $"slot over; pausing until {Iso(next.Start)}", options), new PausePool());
    }

    private static JobDecision OnReplannedWhileRunning(RunningPhase running, JobReplanned replanned, Step s)
    {
        // A running job keeps its region and keeps running from now (the planner starts its first slot at now).
        var plan = replanned.Plan;
        if (plan.Slots.Count == 0 || !s.State.WouldChangeRemainingPlan(plan) || plan.Region != running.Pool.Region || plan.Slots[0].Start > replanned.At)
        {
            return Ignore(s.State);
        }

        var first = plan.Slots[0];
        var replaced = running with { Plan = plan, SlotIndex = 0, WakeAt = RunningWake(s.Job, running, first.End, s.Options) };
        var why = $"re-planned while running: {plan.Slots.Count} slot(s), expected {Kg(plan.ExpectedGramsCo2e)}";
        return first.Nodes != running.Pool.Nodes
            ? Decision(Note(s.State, replanned.At, why, s.Options, replaced with { Pool = running.Pool with { Nodes = first.Nodes } }), new StartPool(running.Pool.Region, first.Nodes))
            : Decision(Note(s.State, replanned.At, why, s.Options, replaced));
    }

    private static JobDecision OnRunningPoolObserved(RunningPhase running, PoolObserved observed, Step s)
    {
        // The nodes went away without us asking (the workload shut them down, a spot eviction, an operator).
        // A Stopped pool after the run means the training ended on its own: the pool adapter noticed it.
        var pool = observed.Pool;
        var reason = pool.Detail ?? "the pool stopped without being asked";
        return pool.State switch
        {
            PoolState.Stopped => EndJob(s.State, observed.At, TerminalStatus.Completed, "the pool stopped on its own: " + reason, s.Options),
            PoolState.Failed => EndJob(s.State, observed.At, TerminalStatus.Failed, "the pool failed while running: " + reason, s.Options),
            _ => Ignore(s.State), // the answer to a resize, or a reconciler's look: nothing changes
        };
    }

    private static JobDecision OnRunningCommandFailed(RunningPhase running, PoolCommandFailed failure, Step s) =>
        Decision(Note(s.State, failure.At, "pool command failed, will retry: " + failure.Reason, s.Options));

    private static JobDecision OnWorkloadStartedWhileRunning(RunningPhase running, WorkloadStarted started, Step s) =>
        Decision(Note(s.State, started.At, $"workload started on node {started.Node}", s.Options, running with { LastHeartbeatAt = started.At }));

    private static JobDecision OnHeartbeat(RunningPhase running, AgentHeartbeat beat, Step s) =>
        Decision(Stay(s.State, running with { LastHeartbeatAt = beat.At }, beat.At));

    /// <summary>When a running job next needs attention: its slot's end, the deadline, or the heartbeat check, whichever is first.</summary>
    private static DateTimeOffset RunningWake(TrainingJob job, RunningPhase running, DateTimeOffset slotEnd, LifecycleOptions options)
    {
        var wake = Earliest(slotEnd, job.Deadline);
        return options.WorkloadAgents ? Earliest(wake, running.LastHeartbeatAt + options.HeartbeatTimeout) : wake;
    }

    /// <summary>Counts the run time up to <paramref name="now"/> into <see cref="JobState.RunTime"/> (the job keeps running).</summary>
    private static JobState Accrue(JobState state, RunningPhase running, DateTimeOffset now) =>
        state with { RunTime = state.RunTime + (now - running.Since), Phase = running with { Since = now }, UpdatedAt = now };

    // ── Workload exits (StartingPool, Running, Checkpointing) ───────────────────────────────────────────────────────

    private static JobDecision OnWorkloadExited(PoolPhase phase, WorkloadExited exited, Step s)
    {
        var reported = exited.Workload is null ? s.State : s.State with { Workload = exited.Workload };
        var (now, options) = (exited.At, s.Options);
        if (exited.ExitCode is not { } code)
        {
            return EndJob(reported, now, TerminalStatus.Failed, $"the node agent could not run the workload on node {exited.Node}: {exited.Reason ?? "no reason given"}", options);
        }

        if (code == 0)
        {
            return EndJob(reported, now, TerminalStatus.Completed, $"the workload finished on node {exited.Node} (exit code 0)", options);
        }

        var what = $"the workload exited with code {code} on node {exited.Node}" + (exited.Reason is null ? string.Empty : ": " + exited.Reason);
        var allowed = s.Job.Workload.MaxRetries;
        if (reported.WorkloadRestarts >= allowed)
        {
            return EndJob(reported, now, TerminalStatus.Failed, allowed == 0 ? what : $"{what} (no restart left: {reported.WorkloadRestarts} of {allowed} used)", options);
        }

        var restart = reported.WorkloadRestarts + 1;
        switch (phase)
        {
            case CheckpointingPhase { Checkpoint.StopFor: { } ending }:
                // The job was stopping anyway: nothing to restart; the stop goes ahead as planned.
                return FinishCheckpoint(Note(reported, now, $"{what}; the stop ({ending.Outcome}) goes ahead", options), (CheckpointingPhase)phase, now, acknowledged: false, options);

            case CheckpointingPhase checkpointing:
                // The pause goes ahead; the next slot's start runs the workload again from its last checkpoint.
                var noted = Note(reported with { WorkloadRestarts = restart }, now, $"{what}; restart {restart} of {allowed}: the pause goes ahead and the next start runs it again", options);
                return FinishCheckpoint(noted, checkpointing, now, acknowledged: false, options);

            default:
                // The agents exit with their workload: pausing the pool and starting it again brings up fresh agents,
                // which resume the workload from its last checkpoint. Same slot, same pool, same region.
                var pausing = new PausingPhase(phase.Plan, phase.SlotIndex, phase.Pool, now + options.RetryInterval);
                return Decision(Move(reported with { WorkloadRestarts = restart }, now, pausing, $"{what}; restart {restart} of {allowed}: pausing the pool to start the workload again", options), new PausePool());
        }
    }

    // ── Checkpointing ───────────────────────────────────────────────────────────────────────────────────────────────

    /// <summary>Asks the agents to checkpoint; the pause (before slot <paramref name="slotIndex"/>) or the stop follows their acknowledgement or the timeout.</summary>
    private static JobDecision BeginCheckpoint(JobState state, RunningPhase running, int slotIndex, DateTimeOffset now, string why, JobEnding? stopFor, LifecycleOptions options)
    {
        // Deterministic (Durable replays decide again): the job and how many checkpoints it has asked for.
        var requestId = $"{state.JobId}-c{state.CheckpointsAcknowledged + state.CheckpointsMissed + 1}";
        var checkpointing = new CheckpointingPhase(running.Plan, slotIndex, running.Pool, new CheckpointInFlight(requestId, now, [], stopFor), now + options.CheckpointTimeout);
        return Decision(Move(state, now, checkpointing, why, options), new RequestCheckpoint(requestId, stopFor is not null));
    }

    private static JobDecision OnCheckpointTimeout(CheckpointingPhase checkpointing, TimerFired timer, Step s) =>
        timer.At < checkpointing.WakeAt
            ? Ignore(s.State)
            : FinishCheckpoint(s.State, checkpointing, timer.At, acknowledged: false, s.Options); // pause or stop anyway (budgets first), and record the risk

    private static JobDecision FinishCheckpoint(JobState state, CheckpointingPhase checkpointing, DateTimeOffset now, bool acknowledged, LifecycleOptions options)
    {
        var checkpoint = checkpointing.Checkpoint;
        var nodes = Math.Max(1, checkpointing.Pool.Nodes);
        var counted = acknowledged
            ? state with { CheckpointsAcknowledged = state.CheckpointsAcknowledged + 1 }
            : Note(state, now, $"checkpoint {checkpoint.RequestId} not acknowledged by {nodes - checkpoint.AcknowledgedBy.Count} of {nodes} node(s) within {options.CheckpointTimeout.TotalMinutes:0.#} min: the work since the last checkpoint is at risk", options)
                with { CheckpointsMissed = state.CheckpointsMissed + 1 };
        if (checkpoint.StopFor is { } ending)
        {
            return Decision(Move(counted, now, new StoppingPhase(checkpointing.Plan, checkpointing.Pool, ending, now + options.RetryInterval), ending.Reason, options), new StopPool());
        }

        var pausing = new PausingPhase(checkpointing.Plan, checkpointing.SlotIndex, checkpointing.Pool, now + options.RetryInterval);
        return Decision(Move(counted, now, pausing, acknowledged ? "checkpoint acknowledged; pausing the pool" : "pausing the pool without a checkpoint", options), new PausePool());
    }

    private static JobDecision OnCheckpointAcknowledged(CheckpointingPhase checkpointing, CheckpointAcknowledged ack, Step s)
    {
        var checkpoint = checkpointing.Checkpoint;
        if (checkpoint.RequestId != ack.RequestId)
        {
            // A late answer to an earlier request (the pool was paused on the timeout): keep what it reported.
            return KeepReport(s.State, ack.Workload, ack.At);
        }

        var by = checkpoint.AcknowledgedBy.Contains(ack.Node) ? checkpoint.AcknowledgedBy : [.. checkpoint.AcknowledgedBy, ack.Node];
        var answered = checkpointing with { Checkpoint = checkpoint with { AcknowledgedBy = by } };
        var state = Stay(ack.Workload is null ? s.State : s.State with { Workload = ack.Workload }, answered, ack.At);
        return by.Count >= Math.Max(1, checkpointing.Pool.Nodes) ? FinishCheckpoint(state, answered, ack.At, acknowledged: true, s.Options) : Decision(state);
    }

    private static JobDecision OnCancelWhileCheckpointing(CheckpointingPhase checkpointing, CancelRequested cancel, Step s)
    {
        var reason = "cancelled: " + cancel.Reason;
        return checkpointing.Checkpoint.StopFor is null
            ? Decision(Note(s.State, cancel.At, reason + "; the job stops once the checkpoint is in", s.Options,
                checkpointing with { Checkpoint = checkpointing.Checkpoint with { StopFor = new JobEnding(TerminalStatus.Cancelled, reason) } }))
            : Decision(Note(s.State, cancel.At, "asked to end again while checkpointing: " + reason, s.Options));
    }

    private static JobDecision OnCheckpointRequested(CheckpointingPhase checkpointing, CheckpointRequested requested, Step s) =>
        requested.Failure is { } failure && checkpointing.Checkpoint.RequestId == requested.RequestId
            ? Decision(Note(s.State, requested.At, $"checkpoint request {requested.RequestId} not delivered ({failure}); the checkpoint timeout still applies", s.Options))
            : Ignore(s.State);

    // ── Pausing, Stopping ───────────────────────────────────────────────────────────────────────────────────────────

    private static JobDecision OnPausingTimer(PausingPhase pausing, TimerFired timer, Step s) =>
        timer.At < pausing.WakeAt
            ? Ignore(s.State)
            : Decision(Stay(s.State, pausing with { WakeAt = timer.At + s.Options.RetryInterval }, timer.At), new PausePool());

    private static JobDecision OnPausingPoolObserved(PausingPhase pausing, PoolObserved observed, Step s)
    {
        if (observed.Pool.State is not (PoolState.Paused or PoolState.Stopped))
        {
            return Ignore(s.State);
        }

        // Wake the start-up allowance before the next slot, so that its work starts on time (at once for a restart).
        var now = observed.At;
        var askAt = pausing.SlotIndex < pausing.Plan.Slots.Count ? pausing.Plan.Slots[pausing.SlotIndex].Start - pausing.Plan.StartupAllowance : now;
        return Decision(Move(s.State, now, new PausedPhase(pausing.Plan, pausing.SlotIndex, pausing.Pool, askAt > now ? askAt : now), "pool paused", s.Options));
    }

    private static JobDecision OnStoppingTimer(StoppingPhase stopping, TimerFired timer, Step s) =>
        timer.At < stopping.WakeAt
            ? Ignore(s.State)
            : Decision(Stay(s.State, stopping with { WakeAt = timer.At + s.Options.RetryInterval }, timer.At), new StopPool());

    private static JobDecision OnStoppingPoolObserved(StoppingPhase stopping, PoolObserved observed, Step s) =>
        observed.Pool is { State: PoolState.Stopped, RunningNodes: 0 }
            ? Decision(Move(s.State, observed.At, new EndedPhase(stopping.Ending, stopping.Plan, stopping.Pool), stopping.Ending.Reason, s.Options))
            : Ignore(s.State);

    /// <summary>Pause and stop are retried by the timer until the provider confirms; record why.</summary>
    private static JobDecision RetryPoolCommandLater(JobPhase phase, PoolCommandFailed failure, Step s)
    {
        var retryAt = failure.At + s.Options.RetryInterval;
        JobPhase later = phase switch
        {
            PausingPhase pausing => pausing with { WakeAt = retryAt },
            StoppingPhase stopping => stopping with { WakeAt = retryAt },
            _ => throw new InvalidOperationException($"no pool command to retry in {phase.Status}"),
        };
        return Decision(Note(s.State, failure.At, "pool command failed, will retry: " + failure.Reason, s.Options, later));
    }

    // ── Shared ──────────────────────────────────────────────────────────────────────────────────────────────────────

    private static JobDecision OnCancel(JobPhase phase, CancelRequested cancel, Step s) =>
        EndJob(s.State, cancel.At, TerminalStatus.Cancelled, "cancelled: " + cancel.Reason, s.Options, checkpointFirst: true);

    private static JobDecision OnWorkFinished(JobPhase phase, WorkFinished finished, Step s) => finished.Succeeded
        ? EndJob(s.State, finished.At, TerminalStatus.Completed, finished.Reason ?? "training reported done", s.Options)
        : EndJob(s.State, finished.At, TerminalStatus.Failed, "training failed: " + (finished.Reason ?? "no reason given"), s.Options);

    /// <summary>An agent's answer that changes nothing but carries the workload's latest report: keep the report.</summary>
    private static JobDecision KeepLateReport(JobPhase phase, JobEvent evt, Step s) => evt switch
    {
        CheckpointAcknowledged ack => KeepReport(s.State, ack.Workload, ack.At),
        WorkloadExited exited => KeepReport(s.State, exited.Workload, exited.At),
        _ => throw new InvalidOperationException($"{evt.GetType().Name} carries no workload report"),
    };

    private static JobDecision KeepReport(JobState state, Agents.WorkloadReport? report, DateTimeOffset at) =>
        report is null ? Ignore(state) : Decision(state with { Workload = report, UpdatedAt = at });

    /// <summary>A job that just got its (new) plan starts the pool at once when the slot's start-up allowance has begun.</summary>
    private static JobDecision StartIfDue(JobState waiting, DateTimeOffset now, LifecycleOptions options) =>
        waiting.CurrentSlot is { } slot && waiting.Plan is { } plan && slot.Start - plan.StartupAllowance <= now
            ? StartSlot(waiting, now, options)
            : Decision(waiting);

    /// <summary>Starts the pool for the current slot (Planned or Paused); after a restart past the plan's slots, the same pool again.</summary>
    private static JobDecision StartSlot(JobState state, DateTimeOffset now, LifecycleOptions options)
    {
        var waiting = (ScheduledPhase)state.Phase;
        var (pool, why) = state.CurrentSlot switch
        {
            { } slot => (new PoolInUse(slot.Region, slot.Nodes), $"starting {slot.Nodes} node(s) in {slot.Region} for the slot {Iso(slot.Start)}–{Iso(slot.End)}"),
            null when waiting is PausedPhase paused => (paused.Pool, $"starting {paused.Pool.Nodes} node(s) in {paused.Pool.Region} again, past the plan's slots"),
            null => ((PoolInUse?)null, string.Empty),
        };
        if (pool is null)
        {
            return EndJob(state, now, TerminalStatus.Failed, "no slot left to run in", options);
        }

        var starting = new StartingPhase(waiting.Plan, waiting.SlotIndex, pool, now, 0, now + options.PoolPollInterval);
        return Decision(Move(state, now, starting, why, options), new StartPool(pool.Region, pool.Nodes));
    }

    /// <summary>When a waiting job asks for slot <paramref name="index"/>'s pool: its start less the plan's start-up allowance, never after the deadline.</summary>
    private static DateTimeOffset AskFor(TrainingJob job, JobPlan plan, int index) => Earliest(plan.Slots[index].Start - plan.StartupAllowance, job.Deadline);

    private static DateTimeOffset WakeOf(ScheduledPhase phase) => phase switch
    {
        PlannedPhase planned => planned.WakeAt,
        PausedPhase paused => paused.WakeAt,
        _ => throw new InvalidOperationException($"{phase.Status} does not wait for a slot"),
    };

    /// <summary>
    /// Ends a job: straight to the terminal status when no pool was ever asked for, else through Stopping — and, for a
    /// planned stop of a running workload (<paramref name="checkpointFirst"/>) where agents run, through a checkpoint first.
    /// </summary>
    private static JobDecision EndJob(JobState state, DateTimeOffset now, TerminalStatus outcome, string reason, LifecycleOptions options, bool checkpointFirst = false)
    {
        var ending = new JobEnding(outcome, reason);
        switch (state.Phase)
        {
            case RunningPhase running when checkpointFirst && options.WorkloadAgents:
                return BeginCheckpoint(state, running, running.SlotIndex, now, $"checkpointing before the stop: {reason}", ending, options);

            case StoppingPhase stopping:
                // Already stopping: keep the first outcome (a cancel after "done" does not rewrite history), stop again.
                return Decision(Note(state, now, "asked to end again while stopping: " + reason, options, stopping with { WakeAt = now + options.RetryInterval }), new StopPool());

            case PoolPhase withPool:
                return Decision(Move(state, now, new StoppingPhase(withPool.Plan, withPool.Pool, ending, now + options.RetryInterval), reason, options), new StopPool());

            case EndedPhase:
                return Ignore(state);

            default:
                return Decision(Move(state, now, new EndedPhase(ending, state.Plan), reason, options));
        }
    }

    /// <summary>A new phase with a history entry. Leaving Running counts the run time up to <paramref name="at"/>.</summary>
    private static JobState Move(JobState state, DateTimeOffset at, JobPhase to, string reason, LifecycleOptions options)
    {
        var runTime = state.Phase is RunningPhase running && to is not RunningPhase ? state.RunTime + (at - running.Since) : state.RunTime;
        return state with
        {
            Phase = to,
            RunTime = runTime,
            UpdatedAt = at,
            History = Trim([.. state.History, new JobTransition(at, state.Status, to.Status, reason)], options),
        };
    }

    /// <summary>A history entry without a change of status, optionally with the same phase updated.</summary>
    private static JobState Note(JobState state, DateTimeOffset at, string reason, LifecycleOptions options, JobPhase? updated = null)
    {
        if (updated is not null && updated.Status != state.Status)
        {
            throw new InvalidOperationException($"a note keeps the status: {state.Status} -> {updated.Status} needs a move");
        }

        return state with
        {
            Phase = updated ?? state.Phase,
            UpdatedAt = at,
            History = Trim([.. state.History, new JobTransition(at, state.Status, state.Status, reason)], options),
        };
    }

    /// <summary>The same phase, updated, with nothing worth a history entry.</summary>
    private static JobState Stay(JobState state, JobPhase updated, DateTimeOffset at) =>
        updated.Status == state.Status
            ? state with { Phase = updated, UpdatedAt = at }
            : throw new InvalidOperationException($"staying keeps the status: {state.Status} -> {updated.Status} needs a move");

    private static List<JobTransition> Trim(List<JobTransition> history, LifecycleOptions options) =>
        history.Count <= options.MaxHistory ? history : history.GetRange(history.Count - options.MaxHistory, options.MaxHistory);

    private static TimeSpan Backoff(LifecycleOptions options, int attempts) => TimeSpan.FromTicks(options.RetryInterval.Ticks * (1L << (attempts - 1)));

    private static DateTimeOffset Earliest(DateTimeOffset a, DateTimeOffset b) => a <= b ? a : b;

    private static JobDecision Decision(JobState state, params JobCommand[] commands) => new(state, commands);

    private static JobDecision Ignore(JobState state) => new(state, []) { Ignored = true };

    private static string Replanned(JobPlan plan) => $"re-planned: {plan.Slots.Count} slot(s) from {Iso(plan.Slots[0].Start)}, expected {Kg(plan.ExpectedGramsCo2e)}";

    private static string Kg(double? grams) => grams is { } g ? (g / 1000).ToString("0.### 'kg'", CultureInfo.InvariantCulture) : "unknown kg";

    private static string Iso(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd HH:mm'Z'", CultureInfo.InvariantCulture);
}
