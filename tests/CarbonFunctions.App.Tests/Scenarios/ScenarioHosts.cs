using CarbonFunctions.App.Orchestration;
using CarbonFunctions.Core.Jobs;
using CarbonFunctions.Core.Lifecycle;
using CarbonFunctions.Core.Pools;
using CarbonFunctions.Handlers.Jobs;
using CarbonFunctions.Handlers.Lifecycle;
using CarbonFunctions.Local.Hosting;
using CarbonFunctions.Storage;
using CarbonFunctions.Storage.Jobs;
using CarbonFunctions.Storage.Queues;
using CarbonFunctions.Testing;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace CarbonFunctions.App.Tests.Scenarios;

/// <summary>What a scenario may do and see, whichever host runs the job.</summary>
internal interface IScenarioHost : IAsyncDisposable
{
    ScenarioPool Pool { get; }
    ScriptedPlanSource Planner { get; }
    JobStore Store { get; }
    DeadLetterQueue DeadLetters { get; }

    /// <summary>Puts the job on the jobs queue, as a team would.</summary>
    Task SubmitAsync(TrainingJob job);

    /// <summary>Puts a job event on the events queue, as a training run or carbonctl would.</summary>
    Task SignalAsync(string jobId, string kind, string? reason);

    /// <summary>Puts a node agent's event on the events queue, in the agents' wire format.</summary>
    Task AgentAsync(string jobId, string kind, string node, int? exitCode = null, string? requestId = null, string? reason = null);

    /// <summary>The state once the job has ended (and, on Durable, once its orchestration has completed).</summary>
    Task<JobState> WaitForEndAsync(string jobId, TimeSpan timeout);
}

internal static class ScenarioHostExtensions
{
    /// <summary>Polls the jobs table (both hosts record every state there) until the predicate holds.</summary>
    public static async Task<JobState> WaitForAsync(this IScenarioHost host, string jobId, Func<JobState, bool> until, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(40));
        JobState? last = null;
        while (DateTime.UtcNow < deadline)
        {
            last = (await host.Store.GetAsync(jobId))?.State ?? last;
            if (last is not null && until(last))
            {
                return last;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"job {jobId}: condition not reached; last status {last?.Status} ({(last?.History is [.., var latest] ? latest.Reason : null)})");
    }
}

/// <summary>The parts both hosts share: one Azurite account of their own, the real intake, the scripted planner and cloud.</summary>
internal abstract class ScenarioHostBase : IScenarioHost
{
    protected ScenarioHostBase(AzuriteFixture azurite, Scenario scenario, DateTimeOffset submittedAt)
    {
        Clients = new StorageClients(new StorageOptions
        {
            ConnectionString = azurite.ConnectionString,
            JobsQueue = AzuriteFixture.UniqueName("jobs"),
            EventsQueue = AzuriteFixture.UniqueName("events"),
            JobsTable = AzuriteFixture.UniqueName("jobs"),
            TelemetryContainer = AzuriteFixture.UniqueName("telemetry"),
            ReportsContainer = AzuriteFixture.UniqueName("reports"),
            PoisonContainer = AzuriteFixture.UniqueName("poison"),
        });
        Pool = new ScenarioPool(scenario.Pool);
        Planner = new ScriptedPlanSource(submittedAt, scenario.Plans);
        Store = new JobStore(Clients);
        DeadLetters = new DeadLetterQueue(Clients, TimeProvider.System);
        var providers = new PoolProviders(new Dictionary<CloudProvider, IPoolProvider> { [CloudProvider.Azure] = Pool, [CloudProvider.Aws] = Pool });
        Executor = new JobCommandExecutor(providers, Planner, new Storage.Agents.AgentControlTable(Clients), new Storage.Planning.StartupTimeStore(Clients), TimeProvider.System, NullLogger<JobCommandExecutor>.Instance);
        Lifecycle = scenario.Lifecycle;
        TableLifecycle = new StoredJobLifecycle(Store, Executor, Lifecycle, TimeProvider.System, NullLogger<StoredJobLifecycle>.Instance);

        // Deadlines seconds away are the point of some scenarios: no start-up allowance in the contract check.
        Intake = new JobIntake(Store, DeadLetters, new JobLimits(), new Core.Planning.PlannerOptions { StartupAllowance = TimeSpan.Zero, DeadlineMargin = TimeSpan.Zero }, Clients.Options, TimeProvider.System, NullLogger<JobIntake>.Instance);
        JobsQueue = new TrainingJobQueue(Clients);
        EventsQueue = new JobEventQueue(Clients);
    }

    public ScenarioPool Pool { get; }
    public ScriptedPlanSource Planner { get; }
    public JobStore Store { get; }
    public DeadLetterQueue DeadLetters { get; }
    protected StorageClients Clients { get; }
    public JobCommandExecutor Executor { get; }
    protected StoredJobLifecycle TableLifecycle { get; }
    protected JobIntake Intake { get; }
    protected TrainingJobQueue JobsQueue { get; }
    protected JobEventQueue EventsQueue { get; }

    protected LifecycleOptions Lifecycle { get; }

    public abstract Task SubmitAsync(TrainingJob job);
    public abstract Task SignalAsync(string jobId, string kind, string? reason);

    public Task AgentAsync(string jobId, string kind, string node, int? exitCode = null, string? requestId = null, string? reason = null) =>
        SendEventBodyAsync(Core.Agents.AgentEventContract.Serialize(new Core.Agents.AgentEvent
        {
            JobId = jobId,
            Kind = kind,
            Node = node,
            ExitCode = exitCode,
            RequestId = requestId,
            Reason = reason,
            SentAt = DateTimeOffset.UtcNow,
        }));

    /// <summary>Delivers a raw job-events body the way this host receives it.</summary>
    protected abstract Task SendEventBodyAsync(string body);
    public abstract Task<JobState> WaitForEndAsync(string jobId, TimeSpan timeout);
    public abstract ValueTask DisposeAsync();

    protected static string EventJson(string jobId, string kind, string? reason) =>
        System.Text.Json.JsonSerializer.Serialize(new JobEventMessage(jobId, kind, reason, DateTimeOffset.UtcNow), StorageJson.Options);
}

/// <summary>
/// The Functions app's side: the real orchestrator and activities in the Durable Task in-process host, the shared
/// intake over <see cref="DurableJobHost"/> as the queue triggers call it, state mirrored to the Azurite jobs table.
/// ContinueAsNew every three events, so that every scenario crosses generations.
/// </summary>
internal sealed class DurableScenarioHost : ScenarioHostBase
{
    private readonly DurableTaskTestHost _durable;
    private readonly DurableJobHost _jobs;
    private long _messages;

    private DurableScenarioHost(AzuriteFixture azurite, Scenario scenario, DateTimeOffset submittedAt, DurableTaskTestHost durable, Func<ScenarioHostBase, JobActivities> activities)
        : base(azurite, scenario, submittedAt)
    {
        _durable = durable;
        _jobs = new DurableJobHost(durable.Client, Lifecycle, Settings, TableLifecycle);
        Activities = activities(this);
    }

    public static OrchestrationSettings Settings { get; } = new() { MaxEventsPerGeneration = 3, ActivityFirstRetryInterval = TimeSpan.FromMilliseconds(200) };

    public JobActivities? Activities { get; private set; }

    public DurableTaskClient Client => _durable.Client;

    public static async Task<DurableScenarioHost> StartAsync(AzuriteFixture azurite, Scenario scenario)
    {
        DurableScenarioHost? self = null;
        var durable = await DurableRegistration.StartHostAsync(registry => registry.AddJobOrchestration(() => self!.Activities!));
        self = new DurableScenarioHost(azurite, scenario, DateTimeOffset.UtcNow, durable, host => new JobActivities(host.Executor, host.Store));
        await self.Clients.EnsureCreatedAsync();
        return self;
    }

    public override async Task SubmitAsync(TrainingJob job) =>
        await Intake.HandleJobAsync(new ReceivedMessage($"m{Interlocked.Increment(ref _messages)}", Scenarios.JobJson(job.Id, job.Deadline, job.Workload.MaxRetries), 1, DateTimeOffset.UtcNow), _jobs);

    public override async Task SignalAsync(string jobId, string kind, string? reason) => await SendEventBodyAsync(EventJson(jobId, kind, reason));

    protected override async Task SendEventBodyAsync(string body) =>
        await Intake.HandleEventAsync(new ReceivedMessage($"e{Interlocked.Increment(ref _messages)}", body, 1, DateTimeOffset.UtcNow), _jobs);

    public override async Task<JobState> WaitForEndAsync(string jobId, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        var instance = await _durable.Client.WaitForInstanceCompletionAsync(jobId, getInputsAndOutputs: true, cts.Token);
        Assert.Equal(OrchestrationRuntimeStatus.Completed, instance.RuntimeStatus);
        var final = instance.ReadOutputAs<JobState>() ?? throw new InvalidOperationException($"job {jobId} ended without a state");

        // The table mirrors the orchestration: its last recorded state is the orchestration's result.
        var recorded = await this.WaitForAsync(jobId, s => s.IsTerminal, TimeSpan.FromSeconds(10));
        Assert.Equal(final.Status, recorded.Status);
        return final;
    }

    public override async ValueTask DisposeAsync() => await _durable.DisposeAsync();
}

/// <summary>The local side: the real <see cref="LocalHost"/> polling the Azurite queues and the jobs table on the real clock.</summary>
internal sealed class LocalScenarioHost : ScenarioHostBase
{
    private readonly CancellationTokenSource _stop = new();
    private Task? _loop;

    private LocalScenarioHost(AzuriteFixture azurite, Scenario scenario)
        : base(azurite, scenario, DateTimeOffset.UtcNow)
    {
    }

    public static async Task<LocalScenarioHost> StartAsync(AzuriteFixture azurite, Scenario scenario)
    {
        var self = new LocalScenarioHost(azurite, scenario);
        await self.Clients.EnsureCreatedAsync();
        var host = new LocalHost(self.JobsQueue, self.EventsQueue, self.Intake, self.TableLifecycle, self.Store, [], TimeProvider.System, new LocalHostOptions { PollInterval = TimeSpan.FromMilliseconds(100), VisibilityTimeout = TimeSpan.FromSeconds(5) }, NullLogger<LocalHost>.Instance);
        self._loop = host.RunAsync(() => Task.FromResult(false), self._stop.Token);
        return self;
    }

    public override async Task SubmitAsync(TrainingJob job) => await JobsQueue.SendAsync(Scenarios.JobJson(job.Id, job.Deadline, job.Workload.MaxRetries));

    public override async Task SignalAsync(string jobId, string kind, string? reason) =>
        await EventsQueue.SendAsync(new JobEventMessage(jobId, kind, reason, DateTimeOffset.UtcNow));

    protected override async Task SendEventBodyAsync(string body) =>
        await Clients.Queues.GetQueueClient(Clients.Options.EventsQueue).SendMessageAsync(body);

    public override async Task<JobState> WaitForEndAsync(string jobId, TimeSpan timeout) =>
        await this.WaitForAsync(jobId, s => s.IsTerminal, timeout);

    public override async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await (_loop ?? Task.CompletedTask);
        }
        catch (OperationCanceledException)
        {
            // The loop ends by cancellation.
        }

        _stop.Dispose();
    }
}
