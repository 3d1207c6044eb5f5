using CarbonFunctions.App.Orchestration;
using CarbonFunctions.Core.Lifecycle;
using CarbonFunctions.Core.Planning;
using Microsoft.DurableTask.Client;

namespace CarbonFunctions.App.Tests;

/// <summary>
/// The orchestrator interpreting the job lifecycle end to end on the Durable Task in-process host: real durable
/// timers, real external events, ContinueAsNew, and the shared pool command executor over a fake pool provider.
/// </summary>
public sealed class JobOrchestratorTests
{
    [Fact]
    public async Task Waits_for_the_planned_slot_starts_the_pool_and_stops_it_when_the_run_completes()
    {
        var pool = new FakePoolProvider();
        var now = DateTimeOffset.UtcNow;
        var slotStart = now.AddSeconds(3);
        var planner = new ScriptedPlanSource(job => OrchestratorHarness.Plan(job, new PlannedSlot(slotStart, now.AddMinutes(10), 2, "uksouth", 1_000)));
        await using var harness = await OrchestratorHarness.StartAsync(pool, planner);
        var job = OrchestratorHarness.Job(OrchestratorHarness.UniqueId("slot"), now.AddHours(2));

        Assert.True(await harness.StartJobAsync(job));
        Assert.False(await harness.StartJobAsync(job)); // a redelivered message starts nothing

        await harness.WaitForStatusAsync(job.Id, JobStatus.Running);
        var start = Assert.Single(pool.Calls);
        Assert.Equal(("start", 2, "uksouth"), (start.Command, start.Nodes, start.Region));
        Assert.True(start.At >= slotStart - TimeSpan.FromMilliseconds(500), $"the pool started at {start.At:O}, before its slot at {slotStart:O}");

        Assert.True(await JobOrchestrationClient.RaiseAsync(harness.Client, job.Id, OrchestrationNames.CompleteEvent, new JobSignal("loss converged"), CancellationToken.None));
        var (instance, final) = await harness.WaitForEndAsync(job.Id);

        Assert.Equal(OrchestrationRuntimeStatus.Completed, instance.RuntimeStatus);
        Assert.Equal(JobStatus.Completed, final.Status);
        Assert.Equal("loss converged", final.Reason);
        Assert.Equal(["start", "stop"], pool.Commands);
        Assert.Equal([JobStatus.Planned, JobStatus.StartingPool, JobStatus.Running, JobStatus.Stopping, JobStatus.Completed], harness.RecordedStatuses());
        Assert.Equal(1, planner.Calls);
        Assert.False(await JobOrchestrationClient.RaiseAsync(harness.Client, job.Id, OrchestrationNames.CancelEvent, new JobSignal("late"), CancellationToken.None));
    }

    [Fact]
    public async Task Cancelling_before_the_slot_ends_the_job_without_touching_the_pool()
    {
        var pool = new FakePoolProvider();
        var now = DateTimeOffset.UtcNow;
        var planner = new ScriptedPlanSource(job => OrchestratorHarness.Plan(job, new PlannedSlot(now.AddHours(1), now.AddHours(2), 2, "uksouth", 1_000)));
        await using var harness = await OrchestratorHarness.StartAsync(pool, planner);
        var job = OrchestratorHarness.Job(OrchestratorHarness.UniqueId("cancel"), now.AddHours(3));

        await harness.StartJobAsync(job);
        var planned = await harness.WaitForStatusAsync(job.Id, JobStatus.Planned);
        Assert.Equal(now.AddHours(1), planned.WakeAt);

        var cancelledAt = DateTimeOffset.UtcNow;
        await JobOrchestrationClient.RaiseAsync(harness.Client, job.Id, OrchestrationNames.CancelEvent, new JobSignal("budget freeze"), CancellationToken.None);
        var (_, final) = await harness.WaitForEndAsync(job.Id);

        // The one-hour wake-up timer was cancelled, so the orchestration ended at once.
        Assert.True(DateTimeOffset.UtcNow - cancelledAt < TimeSpan.FromSeconds(15));
        Assert.Equal(JobStatus.Cancelled, final.Status);
        Assert.Equal("cancelled: budget freeze", final.Reason);
        Assert.Empty(pool.Calls);
    }

    [Fact]
    public async Task A_pool_that_never_starts_fails_the_job_after_the_allowed_attempts_and_is_still_stopped()
    {
        var pool = new FakePoolProvider { RefuseStarts = true };
        var now = DateTimeOffset.UtcNow;
        var planner = new ScriptedPlanSource(job => OrchestratorHarness.Plan(job, new PlannedSlot(now, now.AddHours(1), 2, "uksouth", 1_000)));
        await using var harness = await OrchestratorHarness.StartAsync(pool, planner);
        var job = OrchestratorHarness.Job(OrchestratorHarness.UniqueId("nostart"), now.AddHours(3));

        await harness.StartJobAsync(job);
        var (_, final) = await harness.WaitForEndAsync(job.Id);

        // MaxStartAttempts = 2: two refused starts, then the stop that every started job gets.
        Assert.Equal(JobStatus.Failed, final.Status);
        Assert.StartsWith("the pool did not start after 2 attempt(s)", final.Reason, StringComparison.Ordinal);
        Assert.Contains("QuotaExceeded", final.Reason, StringComparison.Ordinal);
        Assert.Equal(["start", "start", "stop"], pool.Commands);
        var starts = pool.Calls.Where(c => c.Command == "start").ToList();
        Assert.True(starts[1].At - starts[0].At >= TimeSpan.FromSeconds(0.9), "the second start waited for the retry interval (1 s)");
    }

    [Fact]
    public async Task A_deadline_that_passes_while_running_stops_the_pool_across_continue_as_new()
    {
        var pool = new FakePoolProvider();
        var now = DateTimeOffset.UtcNow;
        var deadline = DateTimeOffset.FromUnixTimeSeconds(now.AddSeconds(5).ToUnixTimeSeconds()); // the contract keeps whole seconds
        var planner = new ScriptedPlanSource(job => OrchestratorHarness.Plan(job, new PlannedSlot(now, now.AddHours(1), 2, "uksouth", 1_000)));
        await using var harness = await OrchestratorHarness.StartAsync(pool, planner);
        var job = OrchestratorHarness.Job(OrchestratorHarness.UniqueId("deadline"), deadline);

        // One event per generation: every wake-up goes through ContinueAsNew with the state as the new input.
        await harness.StartJobAsync(job, new OrchestrationSettings { MaxEventsPerGeneration = 1, ActivityFirstRetryInterval = TimeSpan.FromMilliseconds(200) });
        var running = await harness.WaitForStatusAsync(job.Id, JobStatus.Running);
        Assert.Equal(deadline, running.WakeAt); // the earlier of the slot end (1 h) and the deadline

        var (_, final) = await harness.WaitForEndAsync(job.Id);
        Assert.Equal(JobStatus.DeadlineMissed, final.Status);
        Assert.Equal(["start", "stop"], pool.Commands);
        Assert.True(pool.Calls.Last().At >= deadline - TimeSpan.FromMilliseconds(500), "the pool was stopped at the deadline, not before");
        Assert.Equal(1, ((ScriptedPlanSource)harness.Planner).Calls); // a new generation does not plan again
    }

    [Fact]
    public async Task A_job_that_cannot_be_planned_fails_after_the_activity_retries()
    {
        var pool = new FakePoolProvider();
        var planner = new ScriptedPlanSource(_ => throw new InvalidOperationException("forecast table unreachable"));
        await using var harness = await OrchestratorHarness.StartAsync(pool, planner);
        var job = OrchestratorHarness.Job(OrchestratorHarness.UniqueId("noplan"), DateTimeOffset.UtcNow.AddHours(3));

        await harness.StartJobAsync(job, new OrchestrationSettings { ActivityMaxAttempts = 2, ActivityFirstRetryInterval = TimeSpan.FromMilliseconds(200) });
        var (_, final) = await harness.WaitForEndAsync(job.Id);

        Assert.Equal(JobStatus.Failed, final.Status);
        Assert.StartsWith("could not be planned: ", final.Reason, StringComparison.Ordinal);
        Assert.Contains("forecast table unreachable", final.Reason, StringComparison.Ordinal);
        Assert.Equal(2, planner.Calls);
        Assert.Empty(pool.Calls);
    }

    [Fact]
    public async Task A_replan_event_moves_a_waiting_job_to_the_new_slot()
    {
        var pool = new FakePoolProvider();
        var now = DateTimeOffset.UtcNow;
        var earlier = now.AddSeconds(2);
        var planner = new ScriptedPlanSource(
            job => OrchestratorHarness.Plan(job, new PlannedSlot(now.AddHours(1), now.AddHours(2), 2, "uksouth", 1_000)),
            job => OrchestratorHarness.Plan(job, new PlannedSlot(earlier, now.AddHours(1), 3, "uksouth", 800)));
        await using var harness = await OrchestratorHarness.StartAsync(pool, planner);
        var job = OrchestratorHarness.Job(OrchestratorHarness.UniqueId("replan"), now.AddHours(3));

        await harness.StartJobAsync(job);
        await harness.WaitForStatusAsync(job.Id, JobStatus.Planned);
        Assert.True(await JobOrchestrationClient.RaiseAsync(harness.Client, job.Id, OrchestrationNames.ReplanEvent, new JobSignal("new forecasts"), CancellationToken.None));

        var running = await harness.WaitForStatusAsync(job.Id, JobStatus.Running);
        Assert.Equal(3, running.Nodes);
        Assert.Equal(2, planner.Calls);
        var start = Assert.Single(pool.Calls);
        Assert.True(start.At >= earlier - TimeSpan.FromMilliseconds(500));

        await JobOrchestrationClient.RaiseAsync(harness.Client, job.Id, OrchestrationNames.CancelEvent, new JobSignal("done testing"), CancellationToken.None);
        var (_, final) = await harness.WaitForEndAsync(job.Id);
        Assert.Equal(JobStatus.Cancelled, final.Status);
        Assert.Equal(["start", "stop"], pool.Commands);
    }
}
