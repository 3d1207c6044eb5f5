using CarbonFunctions.Core.Jobs;
using CarbonFunctions.Core.Lifecycle;
using CarbonFunctions.Handlers.Jobs;
using CarbonFunctions.Handlers.Lifecycle;
using CarbonFunctions.Local.Hosting;
using CarbonFunctions.Storage;
using CarbonFunctions.Storage.Jobs;
using CarbonFunctions.Storage.Queues;
using CarbonFunctions.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace CarbonFunctions.Integration.Tests;

public sealed class LifecycleOnAzuriteTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>
{
    private static readonly DateTimeOffset Start = new(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);

    private sealed record Rig(StorageClients Clients, JobStore Store, TrainingJobQueue Intake, JobEventQueue Events, DeadLetterQueue DeadLetters, JobIntake JobIntake, LocalHost Host, StoredJobLifecycle Lifecycle, Reconciler Reconciler, VirtualClock Clock, CarbonFunctions.Storage.Planning.StartupTimeStore StartupTimes, TrainingRunStandIn Runs)
    {
        /// <summary>Runs the host until the job has ended; the stand-in completes a job whose planned work is over.</summary>
        public Task RunUntilEndedAsync(string jobId) =>
            Host.RunAsync(async () =>
            {
                await Runs.FinishPlannedWorkAsync();
                return (await Store.GetAsync(jobId))?.State.IsTerminal == true;
            });
    }

    private async Task<StorageClients> NewAccountAsync()
    {
        var options = new StorageOptions
        {
            ConnectionString = azurite.ConnectionString,
            JobsQueue = AzuriteFixture.UniqueName("jobs"),
            EventsQueue = AzuriteFixture.UniqueName("events"),
            JobsTable = AzuriteFixture.UniqueName("jobs"),
            TelemetryContainer = AzuriteFixture.UniqueName("telemetry"),
            ReportsContainer = AzuriteFixture.UniqueName("reports"),
            MaxDequeueCount = 2,
        };
        var clients = new StorageClients(options);
        await clients.EnsureCreatedAsync();
        return clients;
    }

    private static Rig Build(StorageClients clients, CountingPoolProvider pools, IJobPlanSource planner, VirtualClock clock)
    {
        var lifecycle = new LifecycleOptions();
        var store = new JobStore(clients);
        var providers = new PoolProviders(new Dictionary<CloudProvider, Core.Pools.IPoolProvider> { [CloudProvider.Azure] = pools, [CloudProvider.Aws] = pools });
        var startupTimes = new CarbonFunctions.Storage.Planning.StartupTimeStore(clients, AzuriteFixture.UniqueName("startup"));
        var executor = new JobCommandExecutor(providers, planner, new CarbonFunctions.Storage.Agents.AgentControlTable(clients), startupTimes, clock, NullLogger<JobCommandExecutor>.Instance);
        var runner = new StoredJobLifecycle(store, executor, lifecycle, clock, NullLogger<StoredJobLifecycle>.Instance);
        var intakeQueue = new TrainingJobQueue(clients);
        var events = new JobEventQueue(clients);
        var deadLetters = new DeadLetterQueue(clients, clock);
        var intake = new JobIntake(store, deadLetters, new JobLimits(), new Core.Planning.PlannerOptions(), clients.Options, clock, NullLogger<JobIntake>.Instance);
        var reconciler = new Reconciler(store, providers, lifecycle, clock, NullLogger<Reconciler>.Instance);
        var host = new LocalHost(intakeQueue, events, intake, runner, store, [], clock, new LocalHostOptions(), NullLogger<LocalHost>.Instance);
        return new Rig(clients, store, intakeQueue, events, deadLetters, intake, host, runner, reconciler, clock, startupTimes, new TrainingRunStandIn(store, runner, clock));
    }

    private static string JobJson(string id, DateTimeOffset deadline) => $$$"""
        {"schemaVersion":1,"id":"{{{id}}}","name":"test","owner":"team","pool":{"kind":"gpu","provider":"azure","nodeSize":"Standard_NC24ads_A100_v4","minNodes":2},
         "regions":["westeurope"],"estimatedDurationMinutes":120,"deadline":"{{{deadline.UtcDateTime:yyyy-MM-ddTHH:mm:ssZ}}}","interruptible":true,"workload":{"image":"img"}}
        """;

    [Fact]
    public async Task A_queued_job_goes_through_its_whole_lifecycle_on_a_virtual_clock()
    {
        var clients = await NewAccountAsync();
        var pools = new CountingPoolProvider();
        var rig = Build(clients, pools, new FixedPlanSource((TimeSpan.FromHours(2), TimeSpan.FromHours(1), 2), (TimeSpan.FromHours(5), TimeSpan.FromHours(1), 2)), new VirtualClock(Start));

        await rig.Intake.SendAsync(JobJson("lifecycle-1", Start.AddHours(12)));
        await rig.RunUntilEndedAsync("lifecycle-1");

        var record = (await rig.Store.GetAsync("lifecycle-1"))!;
        Assert.Equal(JobStatus.Completed, record.State.Status);
        Assert.Equal(["start lifecycle-1 2", "pause lifecycle-1", "start lifecycle-1 2", "stop lifecycle-1"], pools.Calls.ToArray());
        Assert.Equal(Start.AddHours(6), rig.Clock.GetUtcNow());
        Assert.Equal(TimeSpan.FromHours(2), record.State.RunTime);
        Assert.Equal(
            [JobStatus.Planned, JobStatus.StartingPool, JobStatus.Running, JobStatus.Pausing, JobStatus.Paused, JobStatus.StartingPool, JobStatus.Running, JobStatus.Stopping, JobStatus.Completed],
            record.State.History.Where(h => h.From != h.To).Select(h => h.To).ToArray());
    }

    [Fact]
    public async Task Observed_pool_start_times_are_recorded_and_raise_the_planners_start_up_allowance_to_their_p95()
    {
        var clients = await NewAccountAsync();
        var rig = Build(clients, new CountingPoolProvider(), new FixedPlanSource((TimeSpan.FromHours(1), TimeSpan.FromHours(1), 2), (TimeSpan.FromHours(3), TimeSpan.FromHours(1), 2)), new VirtualClock(Start));
        await rig.Intake.SendAsync(JobJson("startup-1", Start.AddHours(12)));
        await rig.RunUntilEndedAsync("startup-1");

        // Both starts of the job were recorded (the counting provider is up at once: 0 s each).
        var store = new CarbonFunctions.Storage.Planning.StartupTimeStore(clients, AzuriteFixture.UniqueName("startup"));
        Assert.Equal([TimeSpan.Zero, TimeSpan.Zero], await rig.StartupTimes.GetAsync(CloudProvider.Azure, "Standard_NC24ads_A100_v4"));

        // Twenty starts between 10 and 29 minutes: p95 (nearest rank) is the 19th, 28 minutes, above the configured 15.
        foreach (var minutes in Enumerable.Range(10, 20))
        {
            await store.RecordAsync(CloudProvider.Azure, "Standard_NC24ads_A100_v4", TimeSpan.FromMinutes(minutes));
        }

        var forecasts = new CarbonFunctions.Storage.Forecasts.TableForecastStore(clients.Tables, new CarbonFunctions.Storage.Forecasts.ForecastStoreOptions { TableName = AzuriteFixture.UniqueName("forecasts") });
        var planner = new CarbonFunctions.Handlers.Planning.ForecastJobPlanSource(forecasts, store, new Core.Planning.PlannerOptions());
        var job = JobContract.ReadStored(JobJson("startup-2", DateTimeOffset.UtcNow.AddHours(12)));
        var plan = await planner.PlanAsync(job, null, DateTimeOffset.UtcNow, CancellationToken.None);

        Assert.Equal(TimeSpan.FromMinutes(28), plan.StartupAllowance);
    }

    [Fact]
    public async Task An_invalid_message_lands_in_the_poison_queue_with_its_field_errors_and_nothing_is_stored()
    {
        var clients = await NewAccountAsync();
        var rig = Build(clients, new CountingPoolProvider(), new FixedPlanSource((TimeSpan.Zero, TimeSpan.FromHours(1), 1)), new VirtualClock(Start));
        var body = """{"schemaVersion":1,"id":"bad-job","name":"x","owner":"y","pool":{"kind":"tpu","provider":"azure","nodeSize":"S","minNodes":1},"regions":["westeurope"],"estimatedDurationMinutes":60,"deadline":"2026-12-02T00:00:00Z","interruptible":false,"workload":{"image":"i"}}""";
        await rig.Intake.SendAsync(body);

        await rig.Host.PumpOnceAsync();

        var poison = Assert.Single(await rig.DeadLetters.PeekAsync());
        Assert.Contains("pool.kind: must be one of 'gpu', 'gaudi', was 'tpu'", poison.Reason, StringComparison.Ordinal);
        Assert.Equal(body, poison.Body);
        Assert.Null(await rig.Store.GetAsync("bad-job"));
        Assert.Empty(await rig.Intake.ReceiveAsync(1, TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public async Task A_base64_message_is_accepted_and_a_repeated_job_id_does_not_start_a_second_pool()
    {
        var clients = await NewAccountAsync();
        var pools = new CountingPoolProvider();
        var rig = Build(clients, pools, new FixedPlanSource((TimeSpan.Zero, TimeSpan.FromHours(1), 2)), new VirtualClock(Start));
        var json = JobJson("dup-1", Start.AddHours(12));
        await rig.Intake.SendAsync(Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(json)));
        await rig.Intake.SendAsync(json);

        await rig.Host.PumpOnceAsync();

        Assert.Equal(1, pools.Starts);
        Assert.Equal(JobStatus.Running, (await rig.Store.GetAsync("dup-1"))!.State.Status);
        Assert.Empty(await rig.DeadLetters.PeekAsync());
    }

    [Fact]
    public async Task A_job_whose_planning_keeps_failing_is_retried_on_its_timer_then_failed_with_the_reason()
    {
        var clients = await NewAccountAsync();
        var rig = Build(clients, new CountingPoolProvider(), new FailingPlanSource(), new VirtualClock(Start));
        await rig.Intake.SendAsync(JobJson("fails-1", Start.AddHours(12)));

        await rig.RunUntilEndedAsync("fails-1");

        var failed = (await rig.Store.GetAsync("fails-1"))!;
        Assert.Equal(JobStatus.Failed, failed.State.Status);
        Assert.Equal("could not be planned after 5 attempt(s): forecast store unreachable", failed.State.Reason);
        Assert.Equal(4, failed.State.History.Count(t => t.Reason.StartsWith("planning attempt ", StringComparison.Ordinal)));

        // Back-off 2, 4, 8, 16 minutes after the first try: the fifth attempt fails at 30 minutes.
        Assert.Equal(Start.AddMinutes(30), rig.Clock.GetUtcNow());
        Assert.Empty(await rig.DeadLetters.PeekAsync());
    }

    [Fact]
    public async Task A_message_that_keeps_failing_is_dead_lettered_on_its_last_delivery_and_its_stored_job_failed()
    {
        var clients = await NewAccountAsync();
        var rig = Build(clients, new CountingPoolProvider(), new FixedPlanSource(), new VirtualClock(Start));
        var body = JobJson("flaky-1", Start.AddHours(12));
        var host = new ThrowingLifecycleHost(rig.Lifecycle);

        // MaxDequeueCount is 2 here: the first delivery throws (left for a retry), the second is given up on.
        await Assert.ThrowsAsync<TimeoutException>(() => rig.JobIntake.HandleJobAsync(new ReceivedMessage("m1", body, 1, Start), host));
        var result = await rig.JobIntake.HandleJobAsync(new ReceivedMessage("m1", body, 2, Start), host);

        Assert.Equal(MessageOutcome.DeadLettered, result.Outcome);
        var poison = Assert.Single(await rig.DeadLetters.PeekAsync());
        Assert.Equal(DeadLetterSource.Jobs, poison.Source);
        Assert.Equal("failed on 2 deliveries; last error: TimeoutException: the orchestration service did not answer", poison.Reason);
        Assert.Equal(body, poison.Body);
        var abandoned = (await rig.Store.GetAsync("flaky-1"))!;
        Assert.Equal(JobStatus.Failed, abandoned.State.Status);
        Assert.Equal("could not be planned: " + poison.Reason, abandoned.State.Reason);
    }

    /// <summary>A lifecycle host whose hand-over always times out; signals and abandoning go to the real table lifecycle.</summary>
    private sealed class ThrowingLifecycleHost(StoredJobLifecycle inner) : IJobLifecycleHost
    {
        public Task StartAsync(JobRecord stored, CancellationToken cancellationToken) => throw new TimeoutException("the orchestration service did not answer");

        public Task<SignalOutcome> SignalAsync(string jobId, JobSignal signal, CancellationToken cancellationToken) => inner.SignalAsync(jobId, signal, cancellationToken);

        public Task AbandonAsync(string jobId, string reason, CancellationToken cancellationToken) => inner.AbandonAsync(jobId, reason, cancellationToken);
    }

    [Fact]
    public async Task Two_competing_hosts_on_one_account_never_double_start_a_pool()
    {
        var clients = await NewAccountAsync();
        var pools = new CountingPoolProvider { StartLatency = TimeSpan.FromMilliseconds(50) };
        var clock = new VirtualClock(Start);
        var plan = new FixedPlanSource((TimeSpan.FromHours(1), TimeSpan.FromHours(1), 2));
        var first = Build(clients, pools, plan, clock);
        var second = Build(clients, pools, plan, clock);
        for (var i = 0; i < 10; i++)
        {
            await first.Intake.SendAsync(JobJson($"race-{i}", Start.AddHours(12)));
        }

        await Task.WhenAll(first.Host.PumpOnceAsync(), second.Host.PumpOnceAsync());
        clock.AdvanceTo(Start.AddHours(1));
        await Task.WhenAll(first.Host.PumpOnceAsync(), second.Host.PumpOnceAsync(), first.Host.PumpOnceAsync(), second.Host.PumpOnceAsync());

        Assert.Equal(10, pools.Starts);
        for (var i = 0; i < 10; i++)
        {
            Assert.Equal(JobStatus.Running, (await first.Store.GetAsync($"race-{i}"))!.State.Status);
        }
    }

    [Fact]
    public async Task Cancel_through_the_events_queue_stops_the_pool_and_the_reconciler_stops_an_orphan()
    {
        var clients = await NewAccountAsync();
        var pools = new CountingPoolProvider();
        var rig = Build(clients, pools, new FixedPlanSource((TimeSpan.Zero, TimeSpan.FromHours(3), 2)), new VirtualClock(Start));
        await rig.Intake.SendAsync(JobJson("cancel-1", Start.AddHours(12)));
        await rig.Host.PumpOnceAsync();
        await rig.Events.SendAsync(new JobEventMessage("cancel-1", "cancel", "no longer needed", Start));
        await rig.Host.PumpOnceAsync();

        var record = (await rig.Store.GetAsync("cancel-1"))!;
        Assert.Equal(JobStatus.Cancelled, record.State.Status);
        Assert.Equal("stop cancel-1", pools.Calls.Last());

        pools.AddOrphan("left-by-hand", 4);
        pools.AddOrphan("cancel-1", 1);
        var report = await rig.Reconciler.RunAsync();
        Assert.Equal(["left-by-hand", "cancel-1"], report.StoppedOrphans.Select(p => p.PoolId).Order().Reverse().ToArray());
        Assert.Empty(await pools.ListActiveAsync(default));
    }

    private sealed class FailingPlanSource : IJobPlanSource
    {
        public Task<Core.Planning.JobPlan> PlanAsync(TrainingJob job, JobState? state, DateTimeOffset now, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("forecast store unreachable");
    }

    [Fact]
    public async Task Periodic_tasks_run_on_their_cron_schedule_on_the_virtual_clock()
    {
        var clients = await NewAccountAsync();
        var rig = Build(clients, new CountingPoolProvider(), new FixedPlanSource(), new VirtualClock(Start));
        var runs = new List<DateTimeOffset>();
        var schedule = new CarbonFunctions.Handlers.Hosting.CronSchedule("0 */30 * * * *");
        var ingestion = new PeriodicTask("forecast-ingestion", schedule.NextRunAfter, _ =>
        {
            runs.Add(rig.Clock.GetUtcNow());
            return Task.CompletedTask;
        });
        var host = new LocalHost(rig.Intake, rig.Events, rig.JobIntake, rig.Lifecycle, rig.Store, [ingestion], rig.Clock, new LocalHostOptions(), NullLogger<LocalHost>.Instance);

        await host.RunAsync(() => Task.FromResult(rig.Clock.GetUtcNow() >= Start.AddHours(3)));

        // At start-up, then every half hour on the clock: 00:00, 00:30, ... 02:30 (the loop stops on reaching 03:00).
        Assert.Equal(Enumerable.Range(0, 6).Select(i => Start.AddMinutes(30 * i)).ToArray(), runs.ToArray());
    }
}
