using CarbonFunctions.Core.Agents;
using CarbonFunctions.Core.Jobs;
using CarbonFunctions.Core.Lifecycle;
using CarbonFunctions.Core.Planning;
using CarbonFunctions.Core.Pools;

namespace CarbonFunctions.Core.Tests.Lifecycle;

/// <summary>The lifecycle with node agents: checkpoint before every pause and planned stop, exits, heartbeats.</summary>
public sealed class WorkloadLifecycleTests
{
    // The same job, clock and agent settings as the table walk's fixtures.
    private static readonly DateTimeOffset T0 = LifecycleFixtures.T0;

    private static readonly LifecycleOptions Options = LifecycleFixtures.Options;

    private static readonly TrainingJob Job = LifecycleFixtures.Job;

    private static readonly JobPlan TwoSlots = new()
    {
        JobId = Job.Id,
        Policy = "suspend-resume",
        Region = "westeurope",
        PlannedAt = T0,
        Slots = [new PlannedSlot(T0, T0.AddHours(1), 2, "westeurope", 100), new PlannedSlot(T0.AddHours(3), T0.AddHours(4), 2, "westeurope", 100)],
        ExpectedGramsCo2e = 200,
        RunNowGramsCo2e = 300,
        MeetsDeadline = true,
    };

    private static JobDecision Step(JobState state, JobEvent evt) => JobLifecycle.Decide(Job, state, evt, Options);

    /// <summary>Planned at T0, pool up at T0 with both nodes: Running, heartbeat clock started.</summary>
    private static JobState Running()
    {
        var starting = Step(JobState.New(Job.Id, T0), new JobPlanned(T0, TwoSlots)).State;
        return Step(starting, new PoolObserved(T0, new PoolStatus { PoolId = Job.Id, State = PoolState.Running, RunningNodes = 2 })).State;
    }

    private static JobState Beat(JobState state, DateTimeOffset at) => Step(state, new AgentHeartbeat(at, "0")).State;

    [Fact]
    public void At_the_slot_end_the_agents_checkpoint_and_the_pool_pauses_once_every_node_acknowledged()
    {
        var running = Running();
        Assert.Equal(T0.AddMinutes(15), running.WakeAt); // the heartbeat check comes before the slot's end
        var alive = Beat(Beat(running, T0.AddMinutes(10)), T0.AddMinutes(50));

        var checkpointing = Step(alive, new TimerFired(T0.AddHours(1)));
        Assert.Equal(JobStatus.Checkpointing, checkpointing.State.Status);
        Assert.Equal(new RequestCheckpoint("job-1-c1", ThenStop: false), Assert.Single(checkpointing.Commands));
        Assert.Equal(T0.AddHours(1).AddMinutes(10), checkpointing.State.WakeAt);

        var half = Step(checkpointing.State, new CheckpointAcknowledged(T0.AddHours(1).AddMinutes(1), "0", "job-1-c1", null));
        Assert.Equal(JobStatus.Checkpointing, half.State.Status);
        Assert.Empty(half.Commands);
        var duplicate = Step(half.State, new CheckpointAcknowledged(T0.AddHours(1).AddMinutes(1), "0", "job-1-c1", null));
        Assert.Equal(JobStatus.Checkpointing, duplicate.State.Status);

        var report = new WorkloadReport(0, 120, 12, 0, 0);
        var pausing = Step(duplicate.State, new CheckpointAcknowledged(T0.AddHours(1).AddMinutes(2), "1", "job-1-c1", report));
        Assert.Equal(JobStatus.Pausing, pausing.State.Status);
        Assert.IsType<PausePool>(Assert.Single(pausing.Commands));
        Assert.Equal(1, pausing.State.CheckpointsAcknowledged);
        Assert.Equal(0, pausing.State.CheckpointsMissed);
        Assert.Equal(report, pausing.State.Workload);
        Assert.Null(pausing.State.Checkpoint);
        Assert.Equal(TimeSpan.FromHours(1), pausing.State.RunTime);
    }

    [Fact]
    public void A_checkpoint_nobody_acknowledges_pauses_the_pool_anyway_and_records_the_work_at_risk()
    {
        var checkpointing = Step(Beat(Running(), T0.AddMinutes(50)), new TimerFired(T0.AddHours(1))).State;
        var oneAck = Step(checkpointing, new CheckpointAcknowledged(T0.AddHours(1).AddMinutes(3), "1", "job-1-c1", null)).State;

        Assert.True(Step(oneAck, new TimerFired(T0.AddHours(1).AddMinutes(9))).Ignored);
        var pausing = Step(oneAck, new TimerFired(T0.AddHours(1).AddMinutes(10)));

        Assert.Equal(JobStatus.Pausing, pausing.State.Status);
        Assert.IsType<PausePool>(Assert.Single(pausing.Commands));
        Assert.Equal(1, pausing.State.CheckpointsMissed);
        Assert.Contains(pausing.State.History, t => t.Reason == "checkpoint job-1-c1 not acknowledged by 1 of 2 node(s) within 10 min: the work since the last checkpoint is at risk");

        // The late answer is kept for its report but changes nothing else.
        var late = Step(pausing.State, new CheckpointAcknowledged(T0.AddHours(1).AddMinutes(11), "0", "job-1-c1", new WorkloadReport(0, 60, 6, 0, 0)));
        Assert.Equal(JobStatus.Pausing, late.State.Status);
        Assert.Empty(late.Commands);
        Assert.Equal(60, late.State.Workload!.StepsDone);
    }

    [Fact]
    public void A_workload_that_exits_0_completes_the_job_and_one_that_exits_non_zero_fails_it_both_stopping_the_pool()
    {
        var done = Step(Running(), new WorkloadExited(T0.AddMinutes(30), "0", 0, null, new WorkloadReport(0, 200, 20, 0, 0)));
        Assert.Equal(JobStatus.Stopping, done.State.Status);
        Assert.Equal(JobStatus.Completed, done.State.Outcome);
        Assert.IsType<StopPool>(Assert.Single(done.Commands));
        Assert.Equal("the workload finished on node 0 (exit code 0)", done.State.Reason);

        var crashed = Step(Running(), new WorkloadExited(T0.AddMinutes(30), "1", 137, "out of memory", null));
        Assert.Equal(JobStatus.Failed, crashed.State.Outcome);
        Assert.Equal("the workload exited with code 137 on node 1: out of memory", crashed.State.Reason);
        Assert.IsType<StopPool>(Assert.Single(crashed.Commands));

        var stopped = Step(crashed.State, new PoolObserved(T0.AddMinutes(31), PoolStatus.NotFound(Job.Id)));
        Assert.Equal(JobStatus.Failed, stopped.State.Status);
    }

    [Fact]
    public void Without_heartbeats_the_workload_counts_as_hung_and_the_pool_is_stopped_without_a_checkpoint()
    {
        var running = Running();
        var alive = Beat(running, T0.AddMinutes(14));
        var check = Step(alive, new TimerFired(T0.AddMinutes(15)));
        Assert.Equal(JobStatus.Running, check.State.Status);
        Assert.Empty(check.Commands);
        Assert.Equal(T0.AddMinutes(29), check.State.WakeAt);

        var hung = Step(check.State, new TimerFired(T0.AddMinutes(29)));
        Assert.Equal(JobStatus.Stopping, hung.State.Status);
        Assert.Equal(JobStatus.Failed, hung.State.Outcome);
        Assert.IsType<StopPool>(Assert.Single(hung.Commands));
        Assert.Equal("no heartbeat from the node agents for 15 min: the workload or its node is hung", hung.State.Reason);
    }

    [Fact]
    public void Cancelling_a_running_job_checkpoints_before_the_stop_and_cancelling_during_a_pause_checkpoint_turns_it_into_a_stop()
    {
        var cancel = Step(Running(), new CancelRequested(T0.AddMinutes(5), "budget freeze"));
        Assert.Equal(JobStatus.Checkpointing, cancel.State.Status);
        Assert.Equal(new RequestCheckpoint("job-1-c1", ThenStop: true), Assert.Single(cancel.Commands));
        var acked = Step(Step(cancel.State, new CheckpointAcknowledged(T0.AddMinutes(6), "0", "job-1-c1", null)).State, new CheckpointAcknowledged(T0.AddMinutes(6), "1", "job-1-c1", null));
        Assert.Equal(JobStatus.Stopping, acked.State.Status);
        Assert.Equal(JobStatus.Cancelled, acked.State.Outcome);
        Assert.IsType<StopPool>(Assert.Single(acked.Commands));

        var pauseCheckpoint = Step(Beat(Running(), T0.AddMinutes(50)), new TimerFired(T0.AddHours(1))).State;
        var turned = Step(pauseCheckpoint, new CancelRequested(T0.AddHours(1).AddMinutes(1), "no longer needed"));
        Assert.Equal(JobStatus.Checkpointing, turned.State.Status);
        Assert.Empty(turned.Commands);
        var timedOut = Step(turned.State, new TimerFired(T0.AddHours(1).AddMinutes(10)));
        Assert.Equal(JobStatus.Stopping, timedOut.State.Status);
        Assert.Equal(JobStatus.Cancelled, timedOut.State.Outcome);
        Assert.Equal("cancelled: no longer needed", timedOut.State.Reason);
        Assert.IsType<StopPool>(Assert.Single(timedOut.Commands));
    }

    [Fact]
    public void Complete_for_a_job_that_never_ran_is_refused()
    {
        var planned = Step(JobState.New(Job.Id, T0), new JobPlanned(T0, TwoSlots with { Slots = [new PlannedSlot(T0.AddHours(3), T0.AddHours(5), 2, "westeurope", 100)] })).State;
        Assert.Equal(JobStatus.Planned, planned.Status);

        foreach (var never in new[] { JobState.New(Job.Id, T0), planned })
        {
            var refused = Step(never, new WorkFinished(T0.AddMinutes(1), true, "done?"));
            Assert.True(refused.Ignored);
            Assert.Same(never, refused.State);
            Assert.Equal("the job has not run yet: nothing can have finished (cancel it instead)", refused.Refusal);
            Assert.Equal(refused.Refusal, Step(never, new WorkFinished(T0.AddMinutes(1), false, "failed?")).Refusal);
        }

        // Once a pool was asked for, the report is taken: the job stops through the pool.
        var starting = Step(planned, new TimerFired(T0.AddHours(3))).State;
        var done = Step(starting, new WorkFinished(T0.AddHours(3).AddMinutes(5), true, "done"));
        Assert.Null(done.Refusal);
        Assert.Equal((JobStatus.Stopping, JobStatus.Completed), (done.State.Status, done.State.Outcome));
    }

    [Fact]
    public void Agent_signals_map_to_lifecycle_events_and_need_their_node()
    {
        var report = new WorkloadReport(0, 10, 1, 1, 0);
        Assert.Equal(new CheckpointAcknowledged(T0, "1", "r1", report), new JobSignal(AgentEventKinds.Checkpointed) { Node = "1", RequestId = "r1", Workload = report }.ToEvent(T0));
        Assert.Equal(new WorkloadExited(T0, "0", 3, "boom", null), new JobSignal(AgentEventKinds.Finished, "boom") { Node = "0", ExitCode = 3 }.ToEvent(T0));
        Assert.Equal(new WorkloadExited(T0, "0", null, "no such image", null), new JobSignal(AgentEventKinds.Failed, "no such image") { Node = "0" }.ToEvent(T0));
        Assert.False(new JobSignal(AgentEventKinds.Heartbeat).IsComplete);
        Assert.False(new JobSignal(AgentEventKinds.Checkpointed) { Node = "0" }.IsComplete);
        Assert.True(new JobSignal(JobSignal.Cancel).IsComplete);
    }
}
