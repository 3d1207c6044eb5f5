using CarbonFunctions.Core.Jobs;
using CarbonFunctions.Core.Lifecycle;
using CarbonFunctions.Core.Planning;
using CarbonFunctions.Core.Pools;

namespace CarbonFunctions.Core.Tests.Lifecycle;

public sealed class JobLifecycleTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly LifecycleOptions Options = new();

    private static readonly TrainingJob Job = new()
    {
        SchemaVersion = 1,
        Id = "job-1",
        Name = "test",
        Owner = "team",
        Pool = new PoolRequest { Kind = PoolKind.Gpu, Provider = CloudProvider.Azure, NodeSize = "Standard_NC24ads_A100_v4", MinNodes = 2, MaxNodes = 2 },
        Regions = ["westeurope"],
        EstimatedDuration = TimeSpan.FromHours(2),
        Deadline = T0.AddHours(12),
        Interruptible = true,
        ResumeOverhead = TimeSpan.Zero,
        Workload = new Workload { Image = "img" },
    };

    private static JobPlan PlanOf(params (int StartHour, int EndHour, int Nodes)[] slots) => new()
    {
        JobId = Job.Id,
        Policy = "suspend-resume",
        Region = "westeurope",
        PlannedAt = T0,
        Slots = [.. slots.Select(s => new PlannedSlot(T0.AddHours(s.StartHour), T0.AddHours(s.EndHour), s.Nodes, "westeurope", 100))],
        ExpectedGramsCo2e = 200,
        RunNowGramsCo2e = 300,
        MeetsDeadline = true,
    };

    private static PoolStatus Pool(PoolState state, int nodes) => new() { PoolId = Job.Id, State = state, RunningNodes = nodes };

    private static JobDecision Step(JobState state, JobEvent evt) => JobLifecycle.Decide(Job, state, evt, Options);

    [Fact]
    public void The_pool_is_asked_for_the_start_up_allowance_before_each_slot_so_work_starts_on_the_slot()
    {
        var plan = PlanOf((2, 3, 2), (5, 6, 2)) with { StartupAllowance = TimeSpan.FromMinutes(12) };
        var planned = Step(JobState.New(Job.Id, T0), new JobPlanned(T0, plan));
        Assert.Equal(T0.AddHours(2).AddMinutes(-12), planned.State.WakeAt);

        var starting = Step(planned.State, new TimerFired(T0.AddHours(2).AddMinutes(-12)));
        Assert.Equal(new StartPool("westeurope", 2), Assert.Single(starting.Commands));
        var running = Step(starting.State, new PoolObserved(T0.AddHours(2), Pool(PoolState.Running, 2)));
        Assert.Equal(T0.AddHours(3), running.State.WakeAt);

        var pausing = Step(running.State, new TimerFired(T0.AddHours(3)));
        var paused = Step(pausing.State, new PoolObserved(T0.AddHours(3).AddMinutes(2), Pool(PoolState.Paused, 0)));
        Assert.Equal(JobStatus.Paused, paused.State.Status);
        Assert.Equal(T0.AddHours(5).AddMinutes(-12), paused.State.WakeAt);

        // A slot that starts sooner than the allowance from now is asked for at once.
        var late = Step(JobState.New(Job.Id, T0), new JobPlanned(T0, PlanOf((0, 1, 2)) with { StartupAllowance = TimeSpan.FromMinutes(12) }));
        Assert.Equal(JobStatus.StartingPool, late.State.Status);
    }

    [Fact]
    public void A_planned_job_waits_for_its_slot_then_starts_runs_pauses_resumes_and_stops()
    {
        var planned = Step(JobState.New(Job.Id, T0), new JobPlanned(T0, PlanOf((2, 3, 2), (5, 6, 2))));
        Assert.Equal(JobStatus.Planned, planned.State.Status);
        Assert.Equal(T0.AddHours(2), planned.State.WakeAt);
        Assert.Empty(planned.Commands);

        Assert.True(Step(planned.State, new TimerFired(T0.AddHours(1))).Ignored);

        var starting = Step(planned.State, new TimerFired(T0.AddHours(2)));
        Assert.Equal(JobStatus.StartingPool, starting.State.Status);
        Assert.Equal(new StartPool("westeurope", 2), Assert.Single(starting.Commands));
        Assert.Equal(T0.AddHours(2).AddMinutes(1), starting.State.WakeAt);

        var stillStarting = Step(starting.State, new PoolObserved(T0.AddHours(2), Pool(PoolState.Starting, 0)));
        Assert.Equal(JobStatus.StartingPool, stillStarting.State.Status);

        var running = Step(stillStarting.State, new PoolObserved(T0.AddHours(2).AddMinutes(3), Pool(PoolState.Running, 2)));
        Assert.Equal(JobStatus.Running, running.State.Status);
        Assert.Equal(T0.AddHours(3), running.State.WakeAt);

        var pausing = Step(running.State, new TimerFired(T0.AddHours(3)));
        Assert.Equal(JobStatus.Pausing, pausing.State.Status);
        Assert.IsType<PausePool>(Assert.Single(pausing.Commands));
        Assert.Equal(TimeSpan.FromMinutes(57), pausing.State.RunTime);

        var paused = Step(pausing.State, new PoolObserved(T0.AddHours(3), Pool(PoolState.Paused, 0)));
        Assert.Equal(JobStatus.Paused, paused.State.Status);
        Assert.Equal(T0.AddHours(5), paused.State.WakeAt);

        var resuming = Step(paused.State, new TimerFired(T0.AddHours(5)));
        Assert.Equal(new StartPool("westeurope", 2), Assert.Single(resuming.Commands));
        var resumed = Step(resuming.State, new PoolObserved(T0.AddHours(5), Pool(PoolState.Running, 2)));

        var stopping = Step(resumed.State, new WorkFinished(T0.AddHours(5.5), true, "done"));
        Assert.Equal(JobStatus.Stopping, stopping.State.Status);
        Assert.IsType<StopPool>(Assert.Single(stopping.Commands));
        Assert.Equal(TimeSpan.FromMinutes(57 + 30), stopping.State.RunTime);

        var completed = Step(stopping.State, new PoolObserved(T0.AddHours(5.5), Pool(PoolState.Stopped, 0)));
        Assert.Equal(JobStatus.Completed, completed.State.Status);
        Assert.Null(completed.State.WakeAt);
        Assert.True(completed.State.IsTerminal);
        Assert.True(Step(completed.State, new TimerFired(T0.AddHours(9))).Ignored);
    }

    [Fact]
    public void A_slot_that_starts_now_starts_the_pool_at_once()
    {
        var decision = Step(JobState.New(Job.Id, T0), new JobPlanned(T0, PlanOf((0, 2, 2))));
        Assert.Equal(JobStatus.StartingPool, decision.State.Status);
        Assert.Equal(new StartPool("westeurope", 2), Assert.Single(decision.Commands));
    }

    [Fact]
    public void Contiguous_elastic_slots_resize_the_running_pool_without_pausing()
    {
        var state = Step(JobState.New(Job.Id, T0), new JobPlanned(T0, PlanOf((0, 1, 1), (1, 2, 3)))).State;
        state = Step(state, new PoolObserved(T0, Pool(PoolState.Running, 1))).State;
        var resize = Step(state, new TimerFired(T0.AddHours(1)));
        Assert.Equal(JobStatus.Running, resize.State.Status);
        Assert.Equal(new StartPool("westeurope", 3), Assert.Single(resize.Commands));
        Assert.Equal(3, resize.State.Nodes);
        Assert.Equal(T0.AddHours(2), resize.State.WakeAt);
    }

    [Fact]
    public void A_pool_that_fails_to_start_is_retried_with_backoff_then_the_job_fails_through_a_stop()
    {
        var state = Step(JobState.New(Job.Id, T0), new JobPlanned(T0, PlanOf((0, 2, 2)))).State;
        var first = Step(state, new PoolCommandFailed(T0, "QuotaExceeded"));
        Assert.Equal(JobStatus.StartingPool, first.State.Status);
        Assert.Equal(T0.AddMinutes(2), first.State.WakeAt);

        var retry = Step(first.State, new TimerFired(T0.AddMinutes(2)));
        Assert.Equal(new StartPool("westeurope", 2), Assert.Single(retry.Commands));
        var second = Step(retry.State, new PoolObserved(T0.AddMinutes(2), Pool(PoolState.Failed, 0) with { Detail = "capacity" }));
        Assert.Equal(T0.AddMinutes(2 + 4), second.State.WakeAt);

        var third = Step(second.State, new PoolCommandFailed(T0.AddMinutes(6), "QuotaExceeded"));
        Assert.Equal(JobStatus.Stopping, third.State.Status);
        Assert.Equal(JobStatus.Failed, third.State.Outcome);
        Assert.IsType<StopPool>(Assert.Single(third.Commands));
        Assert.Contains("did not start after 3 attempt(s)", third.State.Reason, StringComparison.Ordinal);

        var failed = Step(third.State, new PoolObserved(T0.AddMinutes(6), Pool(PoolState.Stopped, 0)));
        Assert.Equal(JobStatus.Failed, failed.State.Status);
    }

    [Fact]
    public void A_start_that_takes_longer_than_the_timeout_counts_as_a_failed_attempt()
    {
        var state = Step(JobState.New(Job.Id, T0), new JobPlanned(T0, PlanOf((0, 2, 2)))).State;
        var late = Step(state, new TimerFired(T0.AddMinutes(20)));
        Assert.Equal(1, Assert.IsType<StartingPhase>(late.State.Phase).Attempts);
        Assert.Empty(late.Commands);
    }

    [Fact]
    public void A_stop_that_fails_is_retried_on_the_timer_until_the_pool_reports_stopped()
    {
        var state = Step(JobState.New(Job.Id, T0), new JobPlanned(T0, PlanOf((0, 2, 2)))).State;
        state = Step(state, new PoolObserved(T0, Pool(PoolState.Running, 2))).State;
        state = Step(state, new CancelRequested(T0.AddMinutes(10), "not needed")).State;
        Assert.Equal(JobStatus.Stopping, state.Status);

        var failed = Step(state, new PoolCommandFailed(T0.AddMinutes(10), "throttled"));
        Assert.Equal(JobStatus.Stopping, failed.State.Status);
        Assert.Equal(T0.AddMinutes(12), failed.State.WakeAt);

        var retry = Step(failed.State, new TimerFired(T0.AddMinutes(12)));
        Assert.IsType<StopPool>(Assert.Single(retry.Commands));

        var stillRunning = Step(retry.State, new PoolObserved(T0.AddMinutes(12), Pool(PoolState.Stopping, 1)));
        Assert.Equal(JobStatus.Stopping, stillRunning.State.Status);

        var cancelled = Step(stillRunning.State, new PoolObserved(T0.AddMinutes(13), Pool(PoolState.Stopped, 0)));
        Assert.Equal(JobStatus.Cancelled, cancelled.State.Status);
    }

    [Fact]
    public void Cancelling_a_job_that_never_started_a_pool_ends_it_without_a_stop()
    {
        var state = Step(JobState.New(Job.Id, T0), new JobPlanned(T0, PlanOf((4, 6, 2)))).State;
        var cancelled = Step(state, new CancelRequested(T0.AddHours(1), "changed my mind"));
        Assert.Equal(JobStatus.Cancelled, cancelled.State.Status);
        Assert.Empty(cancelled.Commands);
    }

    [Fact]
    public void Running_past_the_plan_continues_until_the_deadline_then_stops_as_deadline_missed()
    {
        var state = Step(JobState.New(Job.Id, T0), new JobPlanned(T0, PlanOf((0, 2, 2)))).State;
        state = Step(state, new PoolObserved(T0, Pool(PoolState.Running, 2))).State;
        var overrun = Step(state, new TimerFired(T0.AddHours(2)));
        Assert.Equal(JobStatus.Running, overrun.State.Status);
        Assert.Empty(overrun.Commands);
        Assert.Equal(Job.Deadline, overrun.State.WakeAt);

        var missed = Step(overrun.State, new TimerFired(Job.Deadline));
        Assert.Equal(JobStatus.Stopping, missed.State.Status);
        Assert.Equal(JobStatus.DeadlineMissed, missed.State.Outcome);
        Assert.IsType<StopPool>(Assert.Single(missed.Commands));
    }

    [Fact]
    public void A_pool_that_stops_on_its_own_while_running_completes_the_job_through_a_confirming_stop()
    {
        var state = Step(JobState.New(Job.Id, T0), new JobPlanned(T0, PlanOf((0, 2, 2)))).State;
        state = Step(state, new PoolObserved(T0, Pool(PoolState.Running, 2))).State;
        var ended = Step(state, new PoolObserved(T0.AddHours(1), Pool(PoolState.Stopped, 0)));
        Assert.Equal(JobStatus.Stopping, ended.State.Status);
        Assert.Equal(JobStatus.Completed, ended.State.Outcome);
        Assert.IsType<StopPool>(Assert.Single(ended.Commands));
    }

    [Fact]
    public void Replanning_moves_waiting_work_but_never_changes_the_region_of_a_started_job()
    {
        var state = Step(JobState.New(Job.Id, T0), new JobPlanned(T0, PlanOf((4, 6, 2)))).State;
        var moved = Step(state, new JobReplanned(T0.AddHours(1), PlanOf((2, 4, 2))));
        Assert.Equal(T0.AddHours(2), moved.State.WakeAt);

        var started = Step(moved.State, new TimerFired(T0.AddHours(2))).State;
        var elsewhere = PlanOf((3, 5, 2)) with { Region = "northeurope" };
        var starting = Assert.IsType<StartingPhase>(started.Phase);
        var paused = started with { Phase = new PausedPhase(starting.Plan, 0, starting.Pool, T0.AddHours(3)) };
        Assert.True(Step(paused, new JobReplanned(T0.AddHours(2), elsewhere)).Ignored);
        Assert.False(Step(paused, new JobReplanned(T0.AddHours(2), PlanOf((3, 5, 2)))).Ignored);
    }

    [Fact]
    public void Duplicate_and_late_events_change_nothing()
    {
        var state = Step(JobState.New(Job.Id, T0), new JobPlanned(T0, PlanOf((4, 6, 2)))).State;
        Assert.True(Step(state, new JobPlanned(T0, PlanOf((1, 2, 2)))).Ignored);
        var done = Step(state, new CancelRequested(T0, "x")).State;
        Assert.True(Step(done, new WorkFinished(T0, true, null)).Ignored);
    }

    [Fact]
    public void History_is_bounded()
    {
        var options = Options with { MaxHistory = 10 };
        var state = JobLifecycle.Decide(Job, JobState.New(Job.Id, T0), new JobPlanned(T0, PlanOf((0, 2, 2))), options).State;
        state = JobLifecycle.Decide(Job, state, new PoolObserved(T0, Pool(PoolState.Running, 2)), options).State;
        for (var i = 0; i < 30; i++)
        {
            state = JobLifecycle.Decide(Job, state, new PoolCommandFailed(T0.AddMinutes(i), "x"), options).State;
        }

        Assert.Equal(JobStatus.Running, state.Status);

        Assert.Equal(10, state.History.Count);
    }
}
