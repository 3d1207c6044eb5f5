using CarbonFunctions.Core.Jobs;
using CarbonFunctions.Core.Lifecycle;
using CarbonFunctions.Core.Pools;
using static CarbonFunctions.Core.Tests.Lifecycle.LifecycleFixtures;

namespace CarbonFunctions.Core.Tests.Lifecycle;

/// <summary>A workload that exits non-zero is restarted (pool paused, started again) while the job's retries last.</summary>
public sealed class WorkloadRetryTests
{
    private static readonly TrainingJob TwoRetries = Job with { Workload = new Workload { Image = "img", MaxRetries = 2 } };

    private static JobDecision Step(TrainingJob job, JobState state, JobEvent evt) => JobLifecycle.Decide(job, state, evt, Options);

    private static PoolObserved Observed(DateTimeOffset at, PoolState state, int nodes) => new(at, new PoolStatus { PoolId = Job.Id, State = state, RunningNodes = nodes });

    /// <summary>Running in the first slot (T0+1h to T0+2h) since T0+1h.</summary>
    private static JobState RunningPhase() => StateIn(JobStatus.Running) with { RunTime = TimeSpan.Zero };

    [Fact]
    public void A_crash_with_retries_left_pauses_and_restarts_the_same_pool_at_once_and_the_last_crash_fails_the_job()
    {
        var crashAt = T0.AddHours(1).AddMinutes(20);
        var crashed = Step(TwoRetries, RunningPhase(), new WorkloadExited(crashAt, "1", 137, "killed", null));
        Assert.Equal(JobStatus.Pausing, crashed.State.Status);
        Assert.IsType<PausePool>(Assert.Single(crashed.Commands));
        Assert.Equal(1, crashed.State.WorkloadRestarts);
        Assert.Equal(TimeSpan.FromMinutes(20), crashed.State.RunTime);
        Assert.Equal("the workload exited with code 137 on node 1: killed; restart 1 of 2: pausing the pool to start the workload again", crashed.State.History[^1].Reason);

        // The other node's workload goes down with the pause: its exit is no second failure.
        var otherNode = Step(TwoRetries, crashed.State, new WorkloadExited(crashAt.AddSeconds(5), "0", 1, null, Report));
        Assert.Equal((JobStatus.Pausing, 1), (otherNode.State.Status, otherNode.State.WorkloadRestarts));

        // The slot has begun already: the paused pool is started again at once, same region and size.
        var paused = Step(TwoRetries, otherNode.State, Observed(crashAt.AddMinutes(1), PoolState.Paused, 0));
        Assert.Equal(JobStatus.Paused, paused.State.Status);
        Assert.Equal(crashAt.AddMinutes(1), paused.State.WakeAt);
        var starting = Step(TwoRetries, paused.State, new TimerFired(crashAt.AddMinutes(1)));
        Assert.Equal(new StartPool("westeurope", 2), Assert.Single(starting.Commands));
        var running = Step(TwoRetries, starting.State, Observed(crashAt.AddMinutes(3), PoolState.Running, 2));
        Assert.Equal((JobStatus.Running, 0), (running.State.Status, running.State.SlotIndex));

        var second = Step(TwoRetries, running.State, new WorkloadExited(crashAt.AddMinutes(10), "0", 1, null, null));
        Assert.Equal((JobStatus.Pausing, 2), (second.State.Status, second.State.WorkloadRestarts));
        Assert.EndsWith("restart 2 of 2: pausing the pool to start the workload again", second.State.History[^1].Reason, StringComparison.Ordinal);

        var again = Step(TwoRetries, Step(TwoRetries, second.State, Observed(crashAt.AddMinutes(11), PoolState.Paused, 0)).State, new TimerFired(crashAt.AddMinutes(11))).State;
        again = Step(TwoRetries, again, Observed(crashAt.AddMinutes(12), PoolState.Running, 2)).State;
        var last = Step(TwoRetries, again, new WorkloadExited(crashAt.AddMinutes(15), "0", 2, null, null));
        Assert.Equal(JobStatus.Stopping, last.State.Status);
        Assert.Equal(JobStatus.Failed, last.State.Outcome);
        Assert.Equal("the workload exited with code 2 on node 0 (no restart left: 2 of 2 used)", last.State.Reason);
        Assert.IsType<StopPool>(Assert.Single(last.Commands));
        Assert.Equal(JobStatus.Failed, Step(TwoRetries, last.State, Observed(crashAt.AddMinutes(16), PoolState.Stopped, 0)).State.Status);
    }

    [Fact]
    public void Without_retries_a_non_zero_exit_fails_the_job_and_an_agent_that_cannot_run_it_fails_it_even_with_retries()
    {
        var failed = Step(Job, RunningPhase(), new WorkloadExited(T0.AddHours(1.5), "1", 137, "killed", null));
        Assert.Equal((JobStatus.Stopping, JobStatus.Failed), (failed.State.Status, failed.State.Outcome));
        Assert.Equal("the workload exited with code 137 on node 1: killed", failed.State.Reason);

        var noImage = Step(TwoRetries, RunningPhase(), new WorkloadExited(T0.AddHours(1.5), "0", null, "no such image", null));
        Assert.Equal((JobStatus.Stopping, JobStatus.Failed, 0), (noImage.State.Status, noImage.State.Outcome, noImage.State.WorkloadRestarts));
        Assert.Equal("the node agent could not run the workload on node 0: no such image", noImage.State.Reason);
    }

    [Fact]
    public void A_crash_on_the_pause_checkpoint_uses_a_retry_and_lets_the_pause_go_ahead_and_one_on_a_stop_checkpoint_keeps_the_stop()
    {
        var pausing = Step(TwoRetries, StateIn(JobStatus.Checkpointing), new WorkloadExited(T0.AddHours(2).AddMinutes(1), "1", 143, null, null));
        Assert.Equal(JobStatus.Pausing, pausing.State.Status);
        Assert.IsType<PausePool>(Assert.Single(pausing.Commands));
        Assert.Equal((1, 1, 1), (pausing.State.WorkloadRestarts, pausing.State.CheckpointsMissed, pausing.State.SlotIndex));
        Assert.Contains(pausing.State.History, t => t.Reason == "the workload exited with code 143 on node 1; restart 1 of 2: the pause goes ahead and the next start runs it again");

        var cancelling = Step(TwoRetries, RunningPhase(), new CancelRequested(T0.AddHours(1.5), "budget freeze")).State;
        var stopping = Step(TwoRetries, cancelling, new WorkloadExited(T0.AddHours(1.5).AddMinutes(1), "0", 143, null, null));
        Assert.Equal((JobStatus.Stopping, JobStatus.Cancelled, 0), (stopping.State.Status, stopping.State.Outcome, stopping.State.WorkloadRestarts));
        Assert.Equal("cancelled: budget freeze", stopping.State.Reason);
    }

    [Fact]
    public void A_crash_after_the_plans_slots_restarts_the_same_pool_past_the_plan()
    {
        // Slot index 1 of a one-slot plan: the slots are over and the job runs on towards its deadline.
        var oneSlot = RunningPhase() with { Phase = new RunningPhase(PlanOf((T0.AddHours(1), T0.AddHours(2))), 1, Pool, T0.AddHours(2), T0.AddHours(2), Job.Deadline) };

        var crashed = Step(TwoRetries, oneSlot, new WorkloadExited(T0.AddHours(3), "0", 1, null, null));
        var paused = Step(TwoRetries, crashed.State, Observed(T0.AddHours(3).AddMinutes(1), PoolState.Paused, 0));
        Assert.Equal(T0.AddHours(3).AddMinutes(1), paused.State.WakeAt);
        var starting = Step(TwoRetries, paused.State, new TimerFired(T0.AddHours(3).AddMinutes(1)));
        Assert.Equal(JobStatus.StartingPool, starting.State.Status);
        Assert.Equal(new StartPool("westeurope", 2), Assert.Single(starting.Commands));
        Assert.Equal("starting 2 node(s) in westeurope again, past the plan's slots", starting.State.History[^1].Reason);
    }
}
