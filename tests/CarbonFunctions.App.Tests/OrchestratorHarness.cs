using System.Collections.Concurrent;
using CarbonFunctions.App.Orchestration;
using CarbonFunctions.Core.Jobs;
using CarbonFunctions.Core.Lifecycle;
using CarbonFunctions.Core.Planning;
using CarbonFunctions.Core.Pools;
using CarbonFunctions.Handlers.Lifecycle;
using CarbonFunctions.Storage;
using CarbonFunctions.Storage.Jobs;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace CarbonFunctions.App.Tests;

/// <summary>One call the orchestrator made on the pool, with the wall-clock time it arrived.</summary>
internal sealed record PoolCall(string Command, DateTimeOffset At, int Nodes, string? Region);

/// <summary>A pool provider behind the port: starts and stops instantly, or refuses every start when told to.</summary>
internal sealed class FakePoolProvider : IPoolProvider
{
    public ConcurrentQueue<PoolCall> Calls { get; } = new();

    public bool RefuseStarts { get; init; }

    public string Name => "fake";

    public Task<PoolStatus> EnsureRunningAsync(PoolSpec spec, CancellationToken cancellationToken)
    {
        Calls.Enqueue(new PoolCall("start", DateTimeOffset.UtcNow, spec.Nodes, spec.Region));
        if (RefuseStarts)
        {
            throw new InvalidOperationException("QuotaExceeded: no capacity for " + spec.NodeSize);
        }

        return Task.FromResult(new PoolStatus { PoolId = spec.PoolId, State = PoolState.Running, RunningNodes = spec.Nodes, RequestedNodes = spec.Nodes, Region = spec.Region });
    }

    public Task<PoolStatus> PauseAsync(string poolId, CancellationToken cancellationToken)
    {
        Calls.Enqueue(new PoolCall("pause", DateTimeOffset.UtcNow, 0, null));
        return Task.FromResult(new PoolStatus { PoolId = poolId, State = PoolState.Paused, RunningNodes = 0 });
    }

    public Task<PoolStatus> StopAsync(string poolId, CancellationToken cancellationToken)
    {
        Calls.Enqueue(new PoolCall("stop", DateTimeOffset.UtcNow, 0, null));
        return Task.FromResult(PoolStatus.NotFound(poolId));
    }

    public Task<PoolStatus> GetStatusAsync(string poolId, CancellationToken cancellationToken) => Task.FromResult(PoolStatus.NotFound(poolId));

    public Task<IReadOnlyList<PoolStatus>> ListActiveAsync(CancellationToken cancellationToken) => Task.FromResult<IReadOnlyList<PoolStatus>>([]);

    public IReadOnlyList<string> Commands => [.. Calls.Select(c => c.Command)];
}

/// <summary>A plan source that answers from a list of plans (the last one repeats) and counts its calls.</summary>
internal sealed class ScriptedPlanSource(params Func<TrainingJob, JobPlan>[] plans) : IJobPlanSource
{
    private int _calls;

    public int Calls => _calls;

    public Task<JobPlan> PlanAsync(TrainingJob job, JobState? state, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var call = Interlocked.Increment(ref _calls);
        return Task.FromResult(plans[Math.Min(call, plans.Length) - 1](job));
    }
}

/// <summary>
/// The real orchestrator function and the real activity bodies (<see cref="JobActivities"/> over the shared
/// <see cref="PoolCommandExecutor"/>) in the Durable Task in-process test host. Only the jobs-table write is
/// replaced by a list, so that no storage is needed. Timers run in real time: keep them to seconds.
/// </summary>
internal sealed class OrchestratorHarness : IAsyncDisposable
{
    private OrchestratorHarness(DurableTaskTestHost host, FakePoolProvider pool, IJobPlanSource planner, ConcurrentQueue<JobState> recorded)
    {
        Host = host;
        Pool = pool;
        Planner = planner;
        Recorded = recorded;
    }

    public DurableTaskTestHost Host { get; }
    public DurableTaskClient Client => Host.Client;
    public FakePoolProvider Pool { get; }
    public IJobPlanSource Planner { get; }
    public ConcurrentQueue<JobState> Recorded { get; }

    public static LifecycleOptions FastLifecycle { get; } = new()
    {
        PoolPollInterval = TimeSpan.FromSeconds(1),
        PoolStartTimeout = TimeSpan.FromSeconds(30),
        MaxStartAttempts = 2,
        RetryInterval = TimeSpan.FromSeconds(1),
    };

    public static async Task<OrchestratorHarness> StartAsync(FakePoolProvider pool, IJobPlanSource planner)
    {
        var providers = new PoolProviders(new Dictionary<CloudProvider, IPoolProvider> { [CloudProvider.Azure] = pool });
        var executor = new PoolCommandExecutor(providers, TimeProvider.System, NullLogger<PoolCommandExecutor>.Instance);

        // The store is never reached (RecordJobState is replaced below); building it opens no connection.
        var unusedStore = new JobStore(new StorageClients(new StorageOptions { ConnectionString = "UseDevelopmentStorage=true" }));
        var activities = new JobActivities(executor, planner, unusedStore);
        var recorded = new ConcurrentQueue<JobState>();

        var host = await DurableTaskTestHost.StartAsync(registry => registry
            .AddOrchestratorFunc<JobOrchestrationInput, JobState>(OrchestrationNames.JobOrchestrator, (context, input) => JobOrchestration.RunAsync(context, input))
            .AddActivityFunc<PoolCommandRequest, PoolCommandOutcome>(OrchestrationNames.ExecutePoolCommand, (_, request) => activities.ExecutePoolCommandAsync(request, CancellationToken.None))
            .AddActivityFunc<PlanRequest, JobPlan>(OrchestrationNames.PlanJob, (_, request) => activities.PlanJobAsync(request, CancellationToken.None))
            .AddActivityFunc<JobStateRecord>(OrchestrationNames.RecordJobState, (_, record) => recorded.Enqueue(record.State)));
        return new OrchestratorHarness(host, pool, planner, recorded);
    }

    public Task<bool> StartJobAsync(TrainingJob job, OrchestrationSettings? settings = null) =>
        JobOrchestrationClient.StartAsync(Client, job, JobState.New(job.Id, DateTimeOffset.UtcNow), FastLifecycle, settings ?? new OrchestrationSettings { ActivityFirstRetryInterval = TimeSpan.FromMilliseconds(200) }, CancellationToken.None);

    /// <summary>Polls the orchestration's custom status until the job reaches <paramref name="status"/>.</summary>
    public async Task<JobStatusSummary> WaitForStatusAsync(string jobId, JobStatus status, TimeSpan? timeout = null)
    {
        var until = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        JobStatusSummary? last = null;
        while (DateTime.UtcNow < until)
        {
            var instance = await Client.GetInstanceAsync(jobId, getInputsAndOutputs: true, CancellationToken.None);
            last = instance?.ReadCustomStatusAs<JobStatusSummary>() ?? last;
            if (last?.Status == status)
            {
                return last;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"job {jobId} did not reach {status}; last status {last?.Status} ({last?.Reason})");
    }

    public async Task<(OrchestrationMetadata Instance, JobState Final)> WaitForEndAsync(string jobId, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(30));
        var instance = await Client.WaitForInstanceCompletionAsync(jobId, getInputsAndOutputs: true, cts.Token);
        return (instance, instance.ReadOutputAs<JobState>() ?? throw new InvalidOperationException($"job {jobId} ended without a state"));
    }

    /// <summary>The statuses the orchestration wrote to the jobs table, in order, with repeats collapsed.</summary>
    public IReadOnlyList<JobStatus> RecordedStatuses()
    {
        var statuses = new List<JobStatus>();
        foreach (var state in Recorded)
        {
            if (statuses.Count == 0 || statuses[^1] != state.Status)
            {
                statuses.Add(state.Status);
            }
        }

        return statuses;
    }

    public async ValueTask DisposeAsync() => await Host.DisposeAsync();

    public static TrainingJob Job(string id, DateTimeOffset deadline) => JobContract.ReadStored($$"""
        {
          "schemaVersion": 1,
          "id": "{{id}}",
          "name": "orchestrator test",
          "owner": "team-ml@example.org",
          "pool": { "kind": "gpu", "provider": "azure", "nodeSize": "Standard_NC24ads_A100_v4", "minNodes": 2 },
          "regions": ["uksouth"],
          "estimatedDurationMinutes": 30,
          "deadline": "{{deadline.UtcDateTime:yyyy-MM-dd'T'HH:mm:ss'Z'}}",
          "interruptible": true,
          "workload": { "image": "example.azurecr.io/train:1" }
        }
        """);

    public static JobPlan Plan(TrainingJob job, params PlannedSlot[] slots) => new()
    {
        JobId = job.Id,
        Policy = "best-window",
        Region = "uksouth",
        PlannedAt = DateTimeOffset.UtcNow,
        Slots = slots,
        ExpectedGramsCo2e = 1_000,
        RunNowGramsCo2e = 2_000,
        MeetsDeadline = true,
    };

    public static string UniqueId(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..Math.Min(prefix.Length + 13, 63)];
}
