using CarbonFunctions.Compute.Aws;
using CarbonFunctions.Compute.Resilience;
using CarbonFunctions.Core.Jobs;
using CarbonFunctions.Core.Pools;

namespace CarbonFunctions.Compute.Tests.Aws;

public sealed class AwsGaudiPoolProviderTests : IAsyncLifetime
{
    private FakeEc2 _ec2 = null!;

    public async Task InitializeAsync() => _ec2 = await FakeEc2.StartAsync();

    public async Task DisposeAsync() => await _ec2.DisposeAsync();

    private static PoolSpec Spec(string poolId, int nodes) => new()
    {
        PoolId = poolId,
        Kind = PoolKind.Gaudi,
        Provider = CloudProvider.Aws,
        Region = "us-east-1",
        NodeSize = "dl1.24xlarge",
        Nodes = nodes,
    };

    private AwsGaudiPoolProvider Provider(AwsPoolOptions? options = null, PoolResilienceOptions? resilience = null) =>
        _ec2.Provider(options ?? new AwsPoolOptions(), PoolResilience.ForAws(resilience ?? TestResilience.Fast));

    [Fact]
    public async Task Tagged_instances_of_the_pool_are_started_and_a_second_call_starts_nothing()
    {
        var a = _ec2.Add("job1", "stopped");
        var b = _ec2.Add("job1", "stopped");
        var c = _ec2.Add("job1", "stopped");
        var other = _ec2.Add("job2", "stopped");
        var provider = Provider();

        var starting = await provider.EnsureRunningAsync(Spec("job1", 2), CancellationToken.None);

        Assert.Equal(PoolState.Starting, starting.State);
        Assert.Equal(2, starting.RequestedNodes);
        var start = Assert.Single(_ec2.Calls, c => c.Action == "StartInstances");
        Assert.Equal(a.Id, start.Form["InstanceId.1"]);
        Assert.Equal(b.Id, start.Form["InstanceId.2"]);
        Assert.False(start.Form.ContainsKey("InstanceId.3"));
        Assert.Equal("stopped", c.State);
        Assert.Equal("stopped", other.State);

        var running = await provider.GetStatusAsync("job1", CancellationToken.None);
        var again = await provider.EnsureRunningAsync(Spec("job1", 2), CancellationToken.None);

        Assert.Equal(PoolState.Running, running.State);
        Assert.Equal(2, running.RunningNodes);
        Assert.Equal(PoolState.Running, again.State);
        Assert.Equal(1, _ec2.CallsOf("StartInstances"));
    }

    [Fact]
    public async Task An_instance_without_capacity_leaves_a_partial_pool_with_the_reason()
    {
        _ec2.Add("job3", "stopped");
        var starved = _ec2.Add("job3", "stopped");
        _ec2.Add("job3", "stopped");
        _ec2.NoCapacity.Add(starved.Id);
        var provider = Provider();

        await provider.EnsureRunningAsync(Spec("job3", 3), CancellationToken.None);
        var status = await provider.GetStatusAsync("job3", CancellationToken.None);
        var ensured = await provider.EnsureRunningAsync(Spec("job3", 3), CancellationToken.None);

        Assert.Equal(2, status.RunningNodes);
        Assert.Equal(2, ensured.RunningNodes);
        Assert.Equal(3, ensured.RequestedNodes);
        Assert.NotNull(ensured.Detail);
        Assert.Contains(starved.Id, ensured.Detail, StringComparison.Ordinal);
        Assert.Contains("InsufficientInstanceCapacity", ensured.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Request_limit_exceeded_and_server_errors_are_retried()
    {
        _ec2.Add("job4", "stopped");
        _ec2.Fault(a => a == "DescribeInstances", FakeEc2.Error(503, "RequestLimitExceeded"));
        _ec2.Fault(a => a == "DescribeInstances", FakeEc2.Error(503, "RequestLimitExceeded"));
        var provider = Provider();

        var first = await provider.EnsureRunningAsync(Spec("job4", 1), CancellationToken.None);

        _ec2.Fault(a => a == "StopInstances", FakeEc2.Error(500, "InternalError"));
        var paused = await provider.PauseAsync("job4", CancellationToken.None);

        Assert.Equal(1, first.RequestedNodes);
        Assert.Equal(1, _ec2.CallsOf("StartInstances"));
        Assert.Equal(2, _ec2.CallsOf("StopInstances"));
        Assert.Equal(PoolState.Stopping, paused.State);
    }

    [Fact]
    public async Task Throttling_beyond_the_retry_budget_surfaces_the_ec2_error()
    {
        for (var i = 0; i < 4; i++)
        {
            _ec2.Fault(_ => true, FakeEc2.Error(503, "RequestLimitExceeded"));
        }

        var provider = Provider();

        var error = await Assert.ThrowsAsync<Amazon.EC2.AmazonEC2Exception>(() => provider.GetStatusAsync("job5", CancellationToken.None));

        Assert.Equal("RequestLimitExceeded", error.ErrorCode);
        Assert.Equal(4, _ec2.CallsOf("DescribeInstances"));
    }

    [Fact]
    public async Task A_hung_call_times_out_and_is_retried()
    {
        _ec2.Add("job6", "running");
        _ec2.Fault(_ => true, async ctx => await Task.Delay(TimeSpan.FromSeconds(3), ctx.RequestAborted));
        var provider = Provider(resilience: TestResilience.Fast with { AttemptTimeout = TimeSpan.FromMilliseconds(300) });

        var status = await provider.GetStatusAsync("job6", CancellationToken.None);

        Assert.Equal(1, status.RunningNodes);
        Assert.Equal(2, _ec2.CallsOf("DescribeInstances"));
    }

    [Fact]
    public async Task Stopping_a_stopped_pool_calls_nothing()
    {
        _ec2.Add("job7", "running");
        var provider = Provider();

        await provider.StopAsync("job7", CancellationToken.None);
        var stopped = await provider.GetStatusAsync("job7", CancellationToken.None);
        var again = await provider.StopAsync("job7", CancellationToken.None);

        Assert.Equal(PoolState.Stopped, stopped.State);
        Assert.Equal(PoolState.Stopped, again.State);
        Assert.Equal(1, _ec2.CallsOf("StopInstances"));
    }

    [Fact]
    public async Task With_a_launch_template_instances_are_launched_tagged_as_capacity_allows_and_terminated_on_stop()
    {
        _ec2.LaunchCapacity = 2;
        var options = new AwsPoolOptions { LaunchTemplateId = "lt-0abc", MaxNodesPerPool = 4, MaxTotalNodes = 8 };
        var provider = Provider(options);

        var status = await provider.EnsureRunningAsync(Spec("job8", 3), CancellationToken.None);

        var run = Assert.Single(_ec2.Calls, c => c.Action == "RunInstances");
        Assert.Equal("1", run.Form["MinCount"]);
        Assert.Equal("3", run.Form["MaxCount"]);
        Assert.Equal("lt-0abc", run.Form["LaunchTemplate.LaunchTemplateId"]);
        Assert.Equal("dl1.24xlarge", run.Form["InstanceType"]);
        Assert.Equal(2, _ec2.Instances.Count(i => i.Tags.GetValueOrDefault("carbon-pool") == "job8"));
        Assert.Equal(PoolState.Starting, status.State);
        Assert.Equal(3, status.RequestedNodes);
        Assert.Contains("launched 2 of 3", status.Detail, StringComparison.Ordinal);

        var stopped = await provider.StopAsync("job8", CancellationToken.None);

        Assert.Equal(1, _ec2.CallsOf("TerminateInstances"));
        Assert.Equal(PoolState.Stopping, stopped.State);

        // The describe that produced the status was the poll after which shutting-down instances are gone.
        Assert.All(_ec2.Instances, i => Assert.Equal("terminated", i.State));
        var gone = await provider.GetStatusAsync("job8", CancellationToken.None);
        Assert.Equal(PoolState.Stopped, gone.State);
    }

    [Fact]
    public async Task Per_pool_and_total_caps_refuse_before_anything_starts()
    {
        _ec2.Add("busy", "running");
        _ec2.Add("busy", "running");
        _ec2.Add("busy", "running");
        _ec2.Add("job9", "stopped");
        _ec2.Add("job9", "stopped");
        var provider = Provider(new AwsPoolOptions { MaxNodesPerPool = 2, MaxTotalNodes = 4 });

        await Assert.ThrowsAsync<PoolBudgetExceededException>(() => provider.EnsureRunningAsync(Spec("job9", 3), CancellationToken.None));
        var total = await Assert.ThrowsAsync<PoolBudgetExceededException>(() => provider.EnsureRunningAsync(Spec("job9", 2), CancellationToken.None));
        var fits = await provider.EnsureRunningAsync(Spec("job9", 1), CancellationToken.None);

        Assert.Equal(3, total.OtherPoolsNodes);
        Assert.Equal(1, fits.RequestedNodes);
        Assert.Equal(1, _ec2.CallsOf("StartInstances"));
    }

    [Fact]
    public async Task List_active_groups_running_instances_by_pool()
    {
        _ec2.Add("p1", "running");
        _ec2.Add("p1", "running");
        _ec2.Add("p2", "pending");
        _ec2.Add("p3", "stopped");
        var provider = Provider();

        var active = await provider.ListActiveAsync(CancellationToken.None);

        Assert.Equal(["p1", "p2"], active.Select(p => p.PoolId).Order(StringComparer.Ordinal));
        Assert.Equal(2, active.Single(p => p.PoolId == "p1").RunningNodes);
        Assert.Equal(PoolState.Starting, active.Single(p => p.PoolId == "p2").State);
    }
}
