using System.Text.Json.Nodes;
using CarbonFunctions.Compute.Azure;
using CarbonFunctions.Compute.Resilience;
using CarbonFunctions.Core.Jobs;
using CarbonFunctions.Core.Pools;
using Polly.CircuitBreaker;

namespace CarbonFunctions.Compute.Tests.Azure;

public sealed class AzurePoolProviderTests : IAsyncLifetime
{
    private FakeArm _arm = null!;

    public async Task InitializeAsync() => _arm = await FakeArm.StartAsync();

    public async Task DisposeAsync() => await _arm.DisposeAsync();

    private static PoolSpec Spec(string poolId, int nodes) => new()
    {
        PoolId = poolId,
        Kind = PoolKind.Gpu,
        Provider = CloudProvider.Azure,
        Region = "westeurope",
        NodeSize = "Standard_ND96asr_v4",
        Nodes = nodes,
    };

    private AzurePoolProvider ScaleSetProvider(PoolResilienceOptions? resilience = null) =>
        _arm.Provider(new AzurePoolOptions { Mode = AzurePoolMode.ScaleSet }, PoolResilience.ForAzure(resilience ?? TestResilience.Fast));

    private AzurePoolProvider VmProvider() =>
        _arm.Provider(new AzurePoolOptions { Mode = AzurePoolMode.TaggedVms }, PoolResilience.ForAzure(TestResilience.Fast));

    [Fact]
    public async Task Scale_set_is_resized_to_the_requested_nodes_and_a_second_call_changes_nothing()
    {
        _arm.ScaleSets["cf-job1"] = new FakeArm.ScaleSet("cf-job1", "Standard_ND96asr_v4", 0);
        var provider = ScaleSetProvider();

        var status = await provider.EnsureRunningAsync(Spec("job1", 3), CancellationToken.None);

        Assert.Equal(PoolState.Running, status.State);
        Assert.Equal(3, status.RunningNodes);
        Assert.Equal(3, status.RequestedNodes);
        var patch = Assert.Single(_arm.Requests, r => r.Method == "PATCH");
        Assert.Equal(3, JsonNode.Parse(patch.Body)!["sku"]!["capacity"]!.GetValue<int>());
        Assert.Equal("job1", JsonNode.Parse(patch.Body)!["tags"]!["carbon-pool"]!.GetValue<string>());

        var writesBefore = _arm.Requests.Count(r => r.Method is "PATCH" or "POST");
        var again = await provider.EnsureRunningAsync(Spec("job1", 3), CancellationToken.None);

        Assert.Equal(3, again.RunningNodes);
        Assert.Equal(writesBefore, _arm.Requests.Count(r => r.Method is "PATCH" or "POST"));
    }

    [Fact]
    public async Task Pause_deallocates_keeping_capacity_and_resume_starts_without_resizing()
    {
        _arm.ScaleSets["cf-job2"] = new FakeArm.ScaleSet("cf-job2", "Standard_ND96asr_v4", 2) { Tags = { ["carbon-pool"] = "job2" } };
        var provider = ScaleSetProvider();

        var paused = await provider.PauseAsync("job2", CancellationToken.None);

        Assert.Equal(PoolState.Paused, paused.State);
        Assert.Equal(0, paused.RunningNodes);
        Assert.Equal(1, _arm.Count("POST", "/cf-job2/deallocate"));
        Assert.Equal(2, _arm.ScaleSets["cf-job2"].Capacity);

        var resumed = await provider.EnsureRunningAsync(Spec("job2", 2), CancellationToken.None);

        Assert.Equal(PoolState.Running, resumed.State);
        Assert.Equal(2, resumed.RunningNodes);
        Assert.Equal(1, _arm.Count("POST", "/cf-job2/start"));
        Assert.Equal(0, _arm.Count("PATCH", "cf-job2"));
    }

    [Fact]
    public async Task Stop_scales_to_zero_and_stopping_again_is_a_no_op()
    {
        _arm.ScaleSets["cf-job3"] = new FakeArm.ScaleSet("cf-job3", "Standard_ND96asr_v4", 2) { Tags = { ["carbon-pool"] = "job3" } };
        var provider = ScaleSetProvider();

        var stopped = await provider.StopAsync("job3", CancellationToken.None);
        var again = await provider.StopAsync("job3", CancellationToken.None);

        Assert.Equal(PoolState.Stopped, stopped.State);
        Assert.Equal(0, _arm.ScaleSets["cf-job3"].Capacity);
        Assert.Equal(PoolState.Stopped, again.State);
        Assert.Equal(1, _arm.Count("PATCH", "cf-job3"));
    }

    [Fact]
    public async Task Throttling_with_retry_after_and_server_errors_are_retried()
    {
        _arm.ScaleSets["cf-job4"] = new FakeArm.ScaleSet("cf-job4", "Standard_ND96asr_v4", 0);
        _arm.Fault(r => r.Method == "GET", FakeArm.Status(429, "TooManyRequests", retryAfter: "0"));
        _arm.Fault(r => r.Method == "GET", FakeArm.Status(429, "TooManyRequests", retryAfter: "0"));
        _arm.Fault(r => r.Method == "PATCH", FakeArm.Status(503, "ServiceUnavailable"));
        var provider = ScaleSetProvider();

        var status = await provider.EnsureRunningAsync(Spec("job4", 2), CancellationToken.None);

        Assert.Equal(2, status.RunningNodes);

        // 2 throttled + 1 good GET of the scale set before the resize; 1 failed + 1 good PATCH.
        Assert.Equal(3, _arm.Requests.TakeWhile(r => r.Method != "PATCH").Count(r => r.Method == "GET" && r.PathAndQuery.Contains("/cf-job4?", StringComparison.Ordinal)));
        Assert.Equal(2, _arm.Count("PATCH", "cf-job4"));
    }

    [Fact]
    public async Task A_retry_waits_as_long_as_retry_after_asks()
    {
        _arm.ScaleSets["cf-slow"] = new FakeArm.ScaleSet("cf-slow", "Standard_ND96asr_v4", 1) { Tags = { ["carbon-pool"] = "slow" } };
        _arm.Fault(r => r.Method == "GET", FakeArm.Status(429, "TooManyRequests", retryAfter: "1"));
        var provider = ScaleSetProvider(TestResilience.Fast with { RetryMaxDelay = TimeSpan.FromSeconds(5) });

        var clock = System.Diagnostics.Stopwatch.StartNew();
        var status = await provider.GetStatusAsync("slow", CancellationToken.None);

        // The backoff alone would wait about 5 ms.
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(950), $"retried after {clock.Elapsed}");
        Assert.Equal(1, status.RunningNodes);
    }

    [Fact]
    public async Task List_active_finds_running_scale_sets_by_tag_or_name_pattern()
    {
        _arm.ScaleSets["cf-by-name"] = new FakeArm.ScaleSet("cf-by-name", "Standard_ND96asr_v4", 2);
        _arm.ScaleSets["custom"] = new FakeArm.ScaleSet("custom", "Standard_ND96asr_v4", 1) { Tags = { ["carbon-pool"] = "tagged" } };
        _arm.ScaleSets["cf-idle"] = new FakeArm.ScaleSet("cf-idle", "Standard_ND96asr_v4", 0);
        _arm.ScaleSets["cf-paused"] = new FakeArm.ScaleSet("cf-paused", "Standard_ND96asr_v4", 2, "PowerState/deallocated");
        _arm.ScaleSets["unrelated"] = new FakeArm.ScaleSet("unrelated", "Standard_D4s_v5", 3);
        var provider = ScaleSetProvider();

        var active = await provider.ListActiveAsync(CancellationToken.None);

        Assert.Equal(["by-name", "tagged"], active.Select(p => p.PoolId).Order(StringComparer.Ordinal));
        Assert.Equal(2, active.Single(p => p.PoolId == "by-name").RunningNodes);
    }

    [Fact]
    public async Task A_hung_call_times_out_and_is_retried()
    {
        _arm.ScaleSets["cf-job5"] = new FakeArm.ScaleSet("cf-job5", "Standard_ND96asr_v4", 1) { Tags = { ["carbon-pool"] = "job5" } };
        _arm.Fault(r => r.Method == "GET", async ctx => await Task.Delay(TimeSpan.FromSeconds(3), ctx.RequestAborted));
        var provider = ScaleSetProvider(TestResilience.Fast with { AttemptTimeout = TimeSpan.FromMilliseconds(300) });

        var status = await provider.GetStatusAsync("job5", CancellationToken.None);

        Assert.Equal(PoolState.Running, status.State);
        Assert.Equal(1, status.RunningNodes);
    }

    [Fact]
    public async Task The_circuit_opens_after_repeated_server_errors_and_then_fails_fast()
    {
        _arm.ScaleSets["cf-job6"] = new FakeArm.ScaleSet("cf-job6", "Standard_ND96asr_v4", 1);
        for (var i = 0; i < 10; i++)
        {
            _arm.Fault(_ => true, FakeArm.Status(500, "InternalServerError"));
        }

        var provider = ScaleSetProvider(TestResilience.Fast with { MaxRetryAttempts = 1, BreakerMinimumThroughput = 2, BreakerFailureRatio = 0.5 });

        await Assert.ThrowsAnyAsync<Exception>(() => provider.GetStatusAsync("job6", CancellationToken.None));
        var seen = _arm.Requests.Count;
        await Assert.ThrowsAsync<BrokenCircuitException>(() => provider.GetStatusAsync("job6", CancellationToken.None));

        Assert.Equal(seen, _arm.Requests.Count);
    }

    [Fact]
    public async Task Missing_scale_set_is_reported_not_created()
    {
        var provider = ScaleSetProvider();

        await Assert.ThrowsAsync<PoolNotFoundException>(() => provider.EnsureRunningAsync(Spec("nojob", 1), CancellationToken.None));
        var status = await provider.GetStatusAsync("nojob", CancellationToken.None);

        Assert.Equal(PoolState.Stopped, status.State);
        Assert.Equal(0, _arm.Requests.Count(r => r.Method is "PUT" or "PATCH" or "POST"));
    }

    [Fact]
    public async Task Tagged_vms_start_the_first_n_only_of_their_pool_and_a_second_call_starts_nothing()
    {
        foreach (var name in new[] { "gpu-c", "gpu-a", "gpu-b" })
        {
            _arm.Vms[name] = new FakeArm.Vm(name, "job7");
        }

        _arm.Vms["other-1"] = new FakeArm.Vm("other-1", "someone-else");
        var provider = VmProvider();

        var status = await provider.EnsureRunningAsync(Spec("job7", 2), CancellationToken.None);

        Assert.Equal(PoolState.Running, status.State);
        Assert.Equal(2, status.RunningNodes);
        Assert.Equal(1, _arm.Count("POST", "/gpu-a/start"));
        Assert.Equal(1, _arm.Count("POST", "/gpu-b/start"));
        Assert.Equal(0, _arm.Count("POST", "/gpu-c/start"));
        Assert.Equal("PowerState/deallocated", _arm.Vms["other-1"].Power);

        var posts = _arm.Requests.Count(r => r.Method == "POST");
        var again = await provider.EnsureRunningAsync(Spec("job7", 2), CancellationToken.None);

        Assert.Equal(2, again.RunningNodes);
        Assert.Equal(posts, _arm.Requests.Count(r => r.Method == "POST"));
    }

    [Fact]
    public async Task A_vm_that_cannot_be_allocated_leaves_a_partial_pool_with_the_reason()
    {
        foreach (var name in new[] { "gpu-a", "gpu-b", "gpu-c" })
        {
            _arm.Vms[name] = new FakeArm.Vm(name, "job8");
        }

        _arm.VmsWithoutCapacity.Add("gpu-b");
        var provider = VmProvider();

        var status = await provider.EnsureRunningAsync(Spec("job8", 3), CancellationToken.None);

        Assert.Equal(2, status.RunningNodes);
        Assert.Equal(3, status.RequestedNodes);
        Assert.NotNull(status.Detail);
        Assert.Contains("gpu-b", status.Detail, StringComparison.Ordinal);
        Assert.Contains("AllocationFailed", status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Stopping_tagged_vms_deallocates_running_ones_and_again_is_a_no_op()
    {
        _arm.Vms["gpu-a"] = new FakeArm.Vm("gpu-a", "job9", "PowerState/running");
        _arm.Vms["gpu-b"] = new FakeArm.Vm("gpu-b", "job9", "PowerState/deallocated");
        var provider = VmProvider();

        var active = await provider.ListActiveAsync(CancellationToken.None);
        var stopped = await provider.StopAsync("job9", CancellationToken.None);
        var posts = _arm.Requests.Count(r => r.Method == "POST");
        var again = await provider.StopAsync("job9", CancellationToken.None);

        Assert.Equal("job9", Assert.Single(active).PoolId);
        Assert.Equal(PoolState.Stopped, stopped.State);
        Assert.Equal(1, _arm.Count("POST", "/gpu-a/deallocate"));
        Assert.Equal(0, _arm.Count("POST", "/gpu-b/deallocate"));
        Assert.Equal(PoolState.Stopped, again.State);
        Assert.Equal(posts, _arm.Requests.Count(r => r.Method == "POST"));
    }
}
