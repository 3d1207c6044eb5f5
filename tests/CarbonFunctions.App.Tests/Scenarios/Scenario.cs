using CarbonFunctions.Core.Jobs;
using CarbonFunctions.Core.Lifecycle;
using CarbonFunctions.Core.Planning;
using CarbonFunctions.Handlers.Lifecycle;
using static CarbonFunctions.Core.Lifecycle.JobStatus;

namespace CarbonFunctions.App.Tests.Scenarios;

/// <summary>
/// One lifecycle story, written once and run on both hosts: the plans the planner answers with (slots relative to the
/// submission time), how the cloud behaves, what happens from outside, and what must come of it — the status sequence
/// (from the final state's history) and the pool commands (repeats in a row collapsed).
/// </summary>
internal sealed record Scenario(
    string Name,
    Func<DateTimeOffset, TrainingJob, JobPlan>[] Plans,
    Func<IScenarioHost, TrainingJob, Task> Script,
    JobStatus[] Statuses,
    string[] PoolCommands)
{
    public PoolBehaviour Pool { get; init; } = new();

    /// <summary>How far after submission the deadline lies.</summary>
    public TimeSpan Deadline { get; init; } = TimeSpan.FromHours(2);

    /// <summary>The lifecycle settings the scenario runs under (node agents on or off, their timeouts).</summary>
    public LifecycleOptions Lifecycle { get; init; } = Scenarios.Lifecycle;

    /// <summary>The job's <c>workload.maxRetries</c>: restarts after a non-zero exit.</summary>
    public int MaxRetries { get; init; }

    /// <summary>Extra checks on the final state and the hosts' records.</summary>
    public Action<JobState, ScriptedPlanSource>? Check { get; init; }

    public override string ToString() => Name;
}

/// <summary>The planner behind the port: answers call n with plan n (the last one repeats), built at the submission time.</summary>
internal sealed class ScriptedPlanSource(DateTimeOffset submittedAt, Func<DateTimeOffset, TrainingJob, JobPlan>[] plans) : IJobPlanSource
{
    private int _calls;

    public int Calls => _calls;

    public Task<JobPlan> PlanAsync(TrainingJob job, JobState? state, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var call = Interlocked.Increment(ref _calls);
        return Task.FromResult(plans[Math.Min(call, plans.Length) - 1](submittedAt, job));
    }
}

internal static class Scenarios
{
    public static LifecycleOptions Lifecycle { get; } = new()
    {
        PoolPollInterval = TimeSpan.FromSeconds(1),
        PoolStartTimeout = TimeSpan.FromSeconds(20),
        MaxStartAttempts = 2,
        MaxPlanAttempts = 2,
        RetryInterval = TimeSpan.FromSeconds(1),
    };

    private static readonly TimeSpan Long = TimeSpan.FromMinutes(10);

    /// <summary>Node agents on: checkpoints before pauses and planned stops; the hung check is far off unless a scenario is about it.</summary>
    public static LifecycleOptions WithAgents { get; } = Lifecycle with
    {
        WorkloadAgents = true,
        CheckpointTimeout = TimeSpan.FromSeconds(8),
        HeartbeatTimeout = TimeSpan.FromSeconds(30),
    };

    public static IReadOnlyList<Scenario> All { get; } =
    [
        new("happy-path-run-now", [Plan((0, Long, 2))], async (h, job) =>
            {
                await h.SubmitAsync(job);
                await h.WaitForAsync(job.Id, s => s.Status == Running);
                await h.SignalAsync(job.Id, JobSignal.Complete, "loss converged");
            },
            [Planned, StartingPool, Running, Stopping, Completed],
            ["start 2", "stop"])
        {
            Check = (final, _) => Assert.Equal("loss converged", final.Reason),
        },

        new("best-window-waits-for-its-slot", [Plan((3, Long, 2))], async (h, job) =>
            {
                await h.SubmitAsync(job);
                await h.WaitForAsync(job.Id, s => s.Status == Running);
                await h.SignalAsync(job.Id, JobSignal.Complete, null);
            },
            [Planned, StartingPool, Running, Stopping, Completed],
            ["start 2", "stop"])
        {
            Check = (final, _) => Assert.True(final.History.First(t => t.To == StartingPool).At >= final.Plan!.Slots[0].Start, "the pool was asked for before its slot"),
        },

        new("suspend-resume-pauses-and-resumes", [Plan((0, TimeSpan.FromSeconds(3), 2), (7, Long, 2))], async (h, job) =>
            {
                await h.SubmitAsync(job);
                await h.WaitForAsync(job.Id, s => s.Status == Running && s.History.Any(t => t.To == Paused));
                await h.SignalAsync(job.Id, JobSignal.Complete, null);
            },
            [Planned, StartingPool, Running, Pausing, Paused, StartingPool, Running, Stopping, Completed],
            ["start 2", "pause", "start 2", "stop"]),

        new("elastic-resizes-between-contiguous-slots", [Plan((0, TimeSpan.FromSeconds(3), 2), (3, Long, 4))], async (h, job) =>
            {
                await h.SubmitAsync(job);
                await h.WaitForAsync(job.Id, s => s.Status == Running && s.Nodes == 4);
                await h.SignalAsync(job.Id, JobSignal.Complete, null);
            },
            [Planned, StartingPool, Running, Stopping, Completed],
            ["start 2", "start 4", "stop"]),

        new("cancel-while-planned-touches-no-pool", [Plan((3600, Long, 2))], async (h, job) =>
            {
                await h.SubmitAsync(job);
                await h.WaitForAsync(job.Id, s => s.Status == Planned);
                await h.SignalAsync(job.Id, JobSignal.Cancel, "budget freeze");
            },
            [Planned, Cancelled],
            [])
        {
            Check = (final, _) => Assert.Equal("cancelled: budget freeze", final.Reason),
        },

        new("cancel-while-starting-stops-the-pool", [Plan((0, Long, 2))], async (h, job) =>
            {
                await h.SubmitAsync(job);
                await h.WaitForAsync(job.Id, s => s.Status == StartingPool);
                await h.SignalAsync(job.Id, JobSignal.Cancel, null);
            },
            [Planned, StartingPool, Stopping, Cancelled],
            ["start 2", "stop"])
        {
            Pool = new PoolBehaviour { NeverRunning = true },
        },

        new("cancel-while-running-stops-the-pool", [Plan((0, Long, 2))], async (h, job) =>
            {
                await h.SubmitAsync(job);
                await h.WaitForAsync(job.Id, s => s.Status == Running);
                await h.SignalAsync(job.Id, JobSignal.Cancel, null);
            },
            [Planned, StartingPool, Running, Stopping, Cancelled],
            ["start 2", "stop"]),

        new("cancel-while-paused-stops-the-paused-pool", [Plan((0, TimeSpan.FromSeconds(2), 2), (3600, Long, 2))], async (h, job) =>
            {
                await h.SubmitAsync(job);
                await h.WaitForAsync(job.Id, s => s.Status == Paused);
                await h.SignalAsync(job.Id, JobSignal.Cancel, null);
            },
            [Planned, StartingPool, Running, Pausing, Paused, Stopping, Cancelled],
            ["start 2", "pause", "stop"]),

        new("start-failures-give-up-after-the-allowed-attempts", [Plan((0, Long, 2))], async (h, job) => await h.SubmitAsync(job),
            [Planned, StartingPool, Stopping, Failed],
            ["start 2", "stop"])
        {
            Pool = new PoolBehaviour { StartFailures = int.MaxValue },
            Check = (final, _) =>
            {
                Assert.Equal(1, final.History.Count(t => t.Reason.StartsWith("pool start attempt 1 failed", StringComparison.Ordinal)));
                Assert.StartsWith("the pool did not start after 2 attempt(s): StartPool: QuotaExceeded", final.Reason, StringComparison.Ordinal);
            },
        },

        new("a-failed-start-is-retried-and-runs", [Plan((0, Long, 2))], async (h, job) =>
            {
                await h.SubmitAsync(job);
                await h.WaitForAsync(job.Id, s => s.Status == Running);
                await h.SignalAsync(job.Id, JobSignal.Complete, null);
            },
            [Planned, StartingPool, Running, Stopping, Completed],
            ["start 2", "stop"])
        {
            Pool = new PoolBehaviour { StartFailures = 1 },
            Check = (final, _) => Assert.Contains(final.History, t => t.Reason.StartsWith("pool start attempt 1 failed", StringComparison.Ordinal)),
        },

        new("pause-and-stop-failing-are-retried-until-confirmed", [Plan((0, TimeSpan.FromSeconds(3), 2), (8, Long, 2))], async (h, job) =>
            {
                await h.SubmitAsync(job);
                await h.WaitForAsync(job.Id, s => s.Status == Running && s.History.Any(t => t.To == Paused));
                await h.SignalAsync(job.Id, JobSignal.Complete, null);
            },
            [Planned, StartingPool, Running, Pausing, Paused, StartingPool, Running, Stopping, Completed],
            ["start 2", "pause", "start 2", "stop"])
        {
            Pool = new PoolBehaviour { PauseFailures = 1, StopFailures = 1 },
            Check = (final, _) => Assert.Equal(2, final.History.Count(t => t.Reason.StartsWith("pool command failed, will retry", StringComparison.Ordinal))),
        },

        new("deadline-missed-while-running-stops-the-pool", [Plan((0, Long, 2))], async (h, job) => await h.SubmitAsync(job),
            [Planned, StartingPool, Running, Stopping, DeadlineMissed],
            ["start 2", "stop"])
        {
            Deadline = TimeSpan.FromSeconds(6),
        },

        new("replan-on-new-forecasts-moves-a-waiting-job", [Plan((3600, Long, 2)), Plan((2, Long, 2))], async (h, job) =>
            {
                await h.SubmitAsync(job);
                await h.WaitForAsync(job.Id, s => s.Status == Planned);
                await h.SignalAsync(job.Id, JobSignal.Replan, null);
                await h.WaitForAsync(job.Id, s => s.Status == Running);
                await h.SignalAsync(job.Id, JobSignal.Complete, null);
            },
            [Planned, StartingPool, Running, Stopping, Completed],
            ["start 2", "stop"])
        {
            Check = (final, planner) =>
            {
                Assert.Equal(2, planner.Calls);
                Assert.Contains(final.History, t => t.Reason.StartsWith("re-planned: 1 slot(s)", StringComparison.Ordinal));
            },
        },

        new("a-duplicate-submission-starts-nothing-new", [Plan((2, Long, 2))], async (h, job) =>
            {
                await h.SubmitAsync(job);
                await h.WaitForAsync(job.Id, s => s.Status == Planned);
                await h.SubmitAsync(job);
                await h.WaitForAsync(job.Id, s => s.Status == Running);
                await h.SubmitAsync(job);
                await h.SignalAsync(job.Id, JobSignal.Complete, null);
            },
            [Planned, StartingPool, Running, Stopping, Completed],
            ["start 2", "stop"])
        {
            Check = (_, planner) => Assert.Equal(1, planner.Calls),
        },

        new("signals-twice-and-out-of-order-keep-the-first-outcome", [Plan((0, Long, 2))], async (h, job) =>
            {
                await h.SubmitAsync(job);
                await h.WaitForAsync(job.Id, s => s.Status == Running);
                await h.SignalAsync(job.Id, JobSignal.Complete, "loss converged");
                await h.SignalAsync(job.Id, JobSignal.Complete, "again");
                await h.SignalAsync(job.Id, JobSignal.Cancel, "too late");
                await h.WaitForAsync(job.Id, s => s.IsTerminal);
                await h.SignalAsync(job.Id, JobSignal.Fail, "after the end");
            },
            [Planned, StartingPool, Running, Stopping, Completed],
            ["start 2", "stop"])
        {
            Check = (final, _) => Assert.Equal("loss converged", final.Reason),
        },

        new("continue-as-new-keeps-buffered-signals", [Plan((0, TimeSpan.FromSeconds(2), 2), (4, TimeSpan.FromSeconds(2), 2), (8, Long, 2))], async (h, job) =>
            {
                await h.SubmitAsync(job);
                await h.WaitForAsync(job.Id, s => s.Status == Running && s.History.Count(t => t.To == Paused) == 2);
                await h.SignalAsync(job.Id, JobSignal.Replan, null);
                await h.SignalAsync(job.Id, JobSignal.Replan, null);
                await h.SignalAsync(job.Id, JobSignal.Complete, "done after two restarts");
            },
            [Planned, StartingPool, Running, Pausing, Paused, StartingPool, Running, Pausing, Paused, StartingPool, Running, Stopping, Completed],
            ["start 2", "pause", "start 2", "pause", "start 2", "stop"])
        {
            Check = (final, _) => Assert.Equal("done after two restarts", final.Reason),
        },

        new("agents-checkpoint-before-the-pause-and-the-workload-finishing-completes-the-job", [Plan((0, TimeSpan.FromSeconds(3), 2), (7, Long, 2))], async (h, job) =>
            {
                await h.SubmitAsync(job);
                await h.WaitForAsync(job.Id, s => s.Status == Running);
                await h.AgentAsync(job.Id, "started", "0");
                await h.AgentAsync(job.Id, "started", "1");
                await h.WaitForAsync(job.Id, s => s.Status == Checkpointing);
                await h.AgentAsync(job.Id, "checkpointed", "0", requestId: job.Id + "-c1");
                await h.AgentAsync(job.Id, "checkpointed", "1", requestId: job.Id + "-c1");

                // Acknowledgements, the pause, the next slot's timer and the restart all go through the host: on two
                // loaded cores that once took longer than the default 40 s.
                await h.WaitForAsync(job.Id, s => s.Status == Running && s.History.Any(t => t.To == Paused), TimeSpan.FromSeconds(90));
                await h.AgentAsync(job.Id, "finished", "0", exitCode: 0);
            },
            [Planned, StartingPool, Running, Checkpointing, Pausing, Paused, StartingPool, Running, Stopping, Completed],
            ["start 2", "pause", "start 2", "stop"])
        {
            // The acknowledgements go through the host's queue and table: on a loaded machine that takes seconds.
            Lifecycle = WithAgents with { CheckpointTimeout = TimeSpan.FromSeconds(60) },
            Check = (final, _) =>
            {
                Assert.Equal((1, 0), (final.CheckpointsAcknowledged, final.CheckpointsMissed));
                Assert.Equal("the workload finished on node 0 (exit code 0)", final.Reason);
            },
        },

        new("agents-silent-on-a-checkpoint-the-pool-pauses-anyway", [Plan((0, TimeSpan.FromSeconds(2), 2), (3600, Long, 2))], async (h, job) =>
            {
                await h.SubmitAsync(job);
                await h.WaitForAsync(job.Id, s => s.Status == Paused);
                await h.SignalAsync(job.Id, JobSignal.Cancel, null);
            },
            [Planned, StartingPool, Running, Checkpointing, Pausing, Paused, Stopping, Cancelled],
            ["start 2", "pause", "stop"])
        {
            Lifecycle = WithAgents,
            Check = (final, _) => Assert.Equal((0, 1), (final.CheckpointsAcknowledged, final.CheckpointsMissed)),
        },

        new("agents-a-crashing-workload-fails-the-job-and-stops-the-pool", [Plan((0, Long, 2))], async (h, job) =>
            {
                await h.SubmitAsync(job);
                await h.WaitForAsync(job.Id, s => s.Status == Running);
                await h.AgentAsync(job.Id, "finished", "1", exitCode: 137, reason: "killed");
            },
            [Planned, StartingPool, Running, Stopping, Failed],
            ["start 2", "stop"])
        {
            Lifecycle = WithAgents,
            Check = (final, _) => Assert.Equal("the workload exited with code 137 on node 1: killed", final.Reason),
        },

        new("agents-that-fall-silent-count-as-hung-and-the-pool-is-stopped", [Plan((0, Long, 2))], async (h, job) =>
            {
                await h.SubmitAsync(job);
                await h.WaitForAsync(job.Id, s => s.Status == Running);
                await h.AgentAsync(job.Id, "heartbeat", "0");
            },
            [Planned, StartingPool, Running, Stopping, Failed],
            ["start 2", "stop"])
        {
            Lifecycle = WithAgents with { HeartbeatTimeout = TimeSpan.FromSeconds(3) },
            Check = (final, _) => Assert.StartsWith("no heartbeat from the node agents", final.Reason, StringComparison.Ordinal),
        },

        new("agents-cancel-while-running-checkpoints-then-stops", [Plan((0, Long, 2))], async (h, job) =>
            {
                await h.SubmitAsync(job);
                await h.WaitForAsync(job.Id, s => s.Status == Running);
                await h.SignalAsync(job.Id, JobSignal.Cancel, "budget freeze");
                await h.WaitForAsync(job.Id, s => s.Status == Checkpointing);
                await h.AgentAsync(job.Id, "checkpointed", "0", requestId: job.Id + "-c1");
                await h.AgentAsync(job.Id, "checkpointed", "1", requestId: job.Id + "-c1");
            },
            [Planned, StartingPool, Running, Checkpointing, Stopping, Cancelled],
            ["start 2", "stop"])
        {
            Lifecycle = WithAgents,
            Check = (final, _) => Assert.Equal((1, "cancelled: budget freeze"), (final.CheckpointsAcknowledged, final.Reason)),
        },

        new("agents-a-crash-with-a-retry-left-restarts-the-pool-and-the-next-crash-fails-the-job", [Plan((0, Long, 2))], async (h, job) =>
            {
                await h.SubmitAsync(job);
                await h.WaitForAsync(job.Id, s => s.Status == Running);
                await h.AgentAsync(job.Id, "finished", "1", exitCode: 137, reason: "killed");
                await h.WaitForAsync(job.Id, s => s.Status == Running && s.WorkloadRestarts == 1);
                await h.AgentAsync(job.Id, "finished", "0", exitCode: 3);
            },
            [Planned, StartingPool, Running, Pausing, Paused, StartingPool, Running, Stopping, Failed],
            ["start 2", "pause", "start 2", "stop"])
        {
            Lifecycle = WithAgents,
            MaxRetries = 1,
            Check = (final, _) =>
            {
                Assert.Equal(1, final.WorkloadRestarts);
                Assert.Contains(final.History, t => t.Reason == "the workload exited with code 137 on node 1: killed; restart 1 of 1: pausing the pool to start the workload again");
                Assert.Equal("the workload exited with code 3 on node 0 (no restart left: 1 of 1 used)", final.Reason);
            },
        },
    ];

    public static Scenario Named(string name) => All.Single(s => s.Name == name);

    public static TheoryData<string> Names()
    {
        var data = new TheoryData<string>();
        foreach (var scenario in All)
        {
            data.Add(scenario.Name);
        }

        return data;
    }

    /// <summary>A job as a team would enqueue it; the deadline comes from the scenario.</summary>
    public static string JobJson(string id, DateTimeOffset deadline, int maxRetries = 0) => $$"""
        {
          "schemaVersion": 1,
          "id": "{{id}}",
          "name": "scenario",
          "owner": "team-ml@example.org",
          "pool": { "kind": "gpu", "provider": "azure", "nodeSize": "Standard_NC24ads_A100_v4", "minNodes": 2, "maxNodes": 4 },
          "regions": ["uksouth"],
          "estimatedDurationMinutes": 0.05,
          "deadline": "{{deadline.UtcDateTime:yyyy-MM-dd'T'HH:mm:ss.fff'Z'}}",
          "interruptible": true,
          "workload": { "image": "example.azurecr.io/train:1", "maxRetries": {{maxRetries}} }
        }
        """;

    /// <summary>A plan whose slots start the given seconds after submission.</summary>
    private static Func<DateTimeOffset, TrainingJob, JobPlan> Plan(params (double StartSeconds, TimeSpan Length, int Nodes)[] slots) => (t0, job) => new JobPlan
    {
        JobId = job.Id,
        Policy = "scripted",
        Region = "uksouth",
        PlannedAt = t0,
        Slots = [.. slots.Select(s => new PlannedSlot(t0.AddSeconds(s.StartSeconds), t0.AddSeconds(s.StartSeconds) + s.Length, s.Nodes, "uksouth", 100))],
        ExpectedGramsCo2e = 1_000,
        RunNowGramsCo2e = 2_000,
        MeetsDeadline = true,
    };
}
