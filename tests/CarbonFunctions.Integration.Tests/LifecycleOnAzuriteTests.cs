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

    private sealed record Rig(StorageClients Clients, JobStore Store, TrainingJobQueue Intake, JobEventQueue Events, LocalHost Host, JobRunner Runner, Reconciler Reconciler, VirtualClock Clock);

    private async Task<StorageClients> NewAccountAsync()
    {
        var options = new StorageOptions
        {
            ConnectionString = azurite.ConnectionString,
            JobsQueue = AzuriteFixture.UniqueName("jobs"),
            PoisonQueue = AzuriteFixture.UniqueName("poison"),
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

    private static Rig Build(StorageClients clients, CountingPoolProvider pools, IJobPlanSource planner, VirtualClock clock, bool simulateWorkloads = true)
    {
        var lifecycle = new LifecycleOptions();
        var store = new JobStore(clients);
        var providers = new PoolProviders(new Dictionary<CloudProvider, Core.Pools.IPoolProvider> { [CloudProvider.Azure] = pools, [CloudProvider.Aws] = pools });
        var runner = new JobRunner(store, new PoolCommandExecutor(providers, clock, NullLogger<PoolCommandExecutor>.Instance), lifecycle, NullLogger<JobRunner>.Instance);
        var intakeQueue = new TrainingJobQueue(clients, clock);
        var events = new JobEventQueue(clients);
        var intake = new JobIntake(store, planner, runner, new JobLimits(), clock, NullLogger<JobIntake>.Instance);
        var reconciler = new Reconciler(store, providers, lifecycle, clock, NullLogger<Reconciler>.Instance);
        var host = new LocalHost(intakeQueue, events, intake, runner, store, [], clock, new LocalHostOptions { SimulateWorkloads = simulateWorkloads }, NullLogger<LocalHost>.Instance);
        return new Rig(clients, store, intakeQueue, events, host, runner, reconciler, clock);
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
        await rig.Host.RunAsync(async () => (await rig.Store.GetAsync("lifecycle-1"))?.State.IsTerminal == true);

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
    public async Task An_invalid_message_lands_in_the_poison_queue_with_its_field_errors_and_nothing_is_stored()
    {
        var clients = await NewAccountAsync();
        var rig = Build(clients, new CountingPoolProvider(), new FixedPlanSource((TimeSpan.Zero, TimeSpan.FromHours(1), 1)), new VirtualClock(Start));
        var body = """{"schemaVersion":1,"id":"bad-job","name":"x","owner":"y","pool":{"kind":"tpu","provider":"azure","nodeSize":"S","minNodes":1},"regions":["westeurope"],"estimatedDurationMinutes":60,"deadline":"2026-12-02T00:00:00Z","interruptible":false,"workload":{"image":"i"}}""";
        await rig.Intake.SendAsync(body);

        await rig.Host.PumpOnceAsync();

        var poison = Assert.Single(await rig.Intake.PeekPoisonAsync());
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
        var rig = Build(clients, pools, new FixedPlanSource((TimeSpan.Zero, TimeSpan.FromHours(1), 2)), new VirtualClock(Start), simulateWorkloads: false);
        var json = JobJson("dup-1", Start.AddHours(12));
        await rig.Intake.SendAsync(Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(json)));
        await rig.Intake.SendAsync(json);

        await rig.Host.PumpOnceAsync();

        Assert.Equal(1, pools.Starts);
        Assert.Equal(JobStatus.Running, (await rig.Store.GetAsync("dup-1"))!.State.Status);
        Assert.Empty(await rig.Intake.PeekPoisonAsync());
    }

    [Fact]
    public async Task A_message_that_keeps_failing_is_dead_lettered_after_the_dequeue_limit()
    {
        var clients = await NewAccountAsync();
        var rig = Build(clients, new CountingPoolProvider(), new FailingPlanSource(), new VirtualClock(Start));
        await rig.Intake.SendAsync(JobJson("fails-1", Start.AddHours(12)));

        // MaxDequeueCount is 2 here: two failed deliveries, then the third delivery is dead-lettered.
        var fast = new LocalHost(rig.Intake, rig.Events, new JobIntake(rig.Store, new FailingPlanSource(), rig.Runner, new JobLimits(), rig.Clock, NullLogger<JobIntake>.Instance), rig.Runner, rig.Store, [], rig.Clock, new LocalHostOptions { VisibilityTimeout = TimeSpan.FromSeconds(1) }, NullLogger<LocalHost>.Instance);
        for (var i = 0; i < 3; i++)
        {
            await fast.PumpOnceAsync();
            await Task.Delay(1100);
        }

        var poison = Assert.Single(await rig.Intake.PeekPoisonAsync());
        Assert.StartsWith("dequeued 3 times", poison.Reason, StringComparison.Ordinal);
        var abandoned = (await rig.Store.GetAsync("fails-1"))!;
        Assert.Equal(JobStatus.Failed, abandoned.State.Status);
        Assert.StartsWith("could not be planned: dequeued 3 times", abandoned.State.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Two_competing_hosts_on_one_account_never_double_start_a_pool()
    {
        var clients = await NewAccountAsync();
        var pools = new CountingPoolProvider { StartLatency = TimeSpan.FromMilliseconds(50) };
        var clock = new VirtualClock(Start);
        var plan = new FixedPlanSource((TimeSpan.FromHours(1), TimeSpan.FromHours(1), 2));
        var first = Build(clients, pools, plan, clock, simulateWorkloads: false);
        var second = Build(clients, pools, plan, clock, simulateWorkloads: false);
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
        var rig = Build(clients, pools, new FixedPlanSource((TimeSpan.Zero, TimeSpan.FromHours(3), 2)), new VirtualClock(Start), simulateWorkloads: false);
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
        var schedule = new CarbonFunctions.Handlers.Forecasts.ForecastSchedule("0 */30 * * * *");
        var ingestion = new PeriodicTask("forecast-ingestion", schedule.NextRunAfter, _ =>
        {
            runs.Add(rig.Clock.GetUtcNow());
            return Task.CompletedTask;
        });
        var host = new LocalHost(rig.Intake, rig.Events, new JobIntake(rig.Store, new FixedPlanSource(), rig.Runner, new JobLimits(), rig.Clock, NullLogger<JobIntake>.Instance), rig.Runner, rig.Store, [ingestion], rig.Clock, new LocalHostOptions(), NullLogger<LocalHost>.Instance);

        await host.RunAsync(() => Task.FromResult(rig.Clock.GetUtcNow() >= Start.AddHours(3)));

        // At start-up, then every half hour on the clock: 00:00, 00:30, ... 02:30 (the loop stops on reaching 03:00).
        Assert.Equal(Enumerable.Range(0, 6).Select(i => Start.AddMinutes(30 * i)).ToArray(), runs.ToArray());
    }
}
