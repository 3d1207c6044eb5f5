using System.Globalization;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using CarbonFunctions.Compute.Simulated;
using CarbonFunctions.Core.Jobs;
using CarbonFunctions.Core.Pools;
using CarbonFunctions.Testing;
using Microsoft.Extensions.Time.Testing;

namespace CarbonFunctions.Compute.Tests.Simulated;

public sealed class SimulatedPoolProviderTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 8, 0, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _time = new(T0);
    private readonly SimulatedPoolOptions _options = new()
    {
        TableName = AzuriteFixture.UniqueName("simpools"),
        TelemetryContainer = AzuriteFixture.UniqueName("telemetry"),
    };

    private SimulatedPoolProvider Provider(SimulatedPoolOptions? options = null) =>
        new(new TableServiceClient(azurite.ConnectionString), new BlobServiceClient(azurite.ConnectionString), options ?? _options, _time);

    private static PoolSpec Spec(string poolId, int nodes, PoolKind kind = PoolKind.Gpu) => new()
    {
        PoolId = poolId,
        Kind = kind,
        Provider = kind == PoolKind.Gaudi ? CloudProvider.Aws : CloudProvider.Azure,
        Region = "westeurope",
        NodeSize = kind == PoolKind.Gaudi ? "dl1.24xlarge" : "Standard_ND96asr_v4",
        Nodes = nodes,
    };

    [Fact]
    public async Task A_start_takes_the_configured_delay_and_a_repeated_request_does_not_restart_it()
    {
        using var pool = Provider();

        var first = await pool.EnsureRunningAsync(Spec("job1", 2), CancellationToken.None);
        _time.Advance(TimeSpan.FromMinutes(2));
        var repeated = await pool.EnsureRunningAsync(Spec("job1", 2), CancellationToken.None);
        _time.Advance(TimeSpan.FromSeconds(59));
        var almost = await pool.GetStatusAsync("job1", CancellationToken.None);
        _time.Advance(TimeSpan.FromSeconds(1));
        var up = await pool.GetStatusAsync("job1", CancellationToken.None);

        Assert.Equal((PoolState.Starting, 0), (first.State, first.RunningNodes));
        Assert.Equal(PoolState.Starting, repeated.State);
        Assert.Equal(PoolState.Starting, almost.State);
        Assert.Equal((PoolState.Running, 2), (up.State, up.RunningNodes));
    }

    [Fact]
    public async Task State_survives_a_restart_of_the_provider()
    {
        using (var before = Provider())
        {
            await before.EnsureRunningAsync(Spec("job2", 3), CancellationToken.None);
        }

        _time.Advance(TimeSpan.FromMinutes(3));
        using var after = Provider();

        var status = await after.GetStatusAsync("job2", CancellationToken.None);
        var active = await after.ListActiveAsync(CancellationToken.None);

        Assert.Equal((PoolState.Running, 3), (status.State, status.RunningNodes));
        Assert.Equal("job2", Assert.Single(active).PoolId);
    }

    [Fact]
    public async Task Asking_beyond_the_quota_fails_that_pool_only()
    {
        using var pool = Provider(_options with { QuotaNodes = 4 });

        await pool.EnsureRunningAsync(Spec("big", 3), CancellationToken.None);
        var refused = await pool.EnsureRunningAsync(Spec("extra", 2), CancellationToken.None);
        _time.Advance(TimeSpan.FromMinutes(3));
        var big = await pool.GetStatusAsync("big", CancellationToken.None);
        var fits = await pool.EnsureRunningAsync(Spec("extra", 1), CancellationToken.None);

        Assert.Equal(PoolState.Failed, refused.State);
        Assert.Contains("QuotaExceeded", refused.Detail, StringComparison.Ordinal);
        Assert.Equal((PoolState.Running, 3), (big.State, big.RunningNodes));
        Assert.Equal(PoolState.Starting, fits.State);
    }

    [Fact]
    public async Task Calls_beyond_the_rate_are_throttled_until_the_minute_turns()
    {
        using var pool = Provider(_options with { MaxCallsPerMinute = 2 });

        await pool.GetStatusAsync("job3", CancellationToken.None);
        await pool.GetStatusAsync("job3", CancellationToken.None);
        await Assert.ThrowsAsync<PoolThrottledException>(() => pool.GetStatusAsync("job3", CancellationToken.None));
        _time.Advance(TimeSpan.FromMinutes(1));
        var status = await pool.GetStatusAsync("job3", CancellationToken.None);

        Assert.Equal(PoolState.Stopped, status.State);
    }

    [Fact]
    public async Task Gpu_telemetry_covers_exactly_the_running_intervals_in_nvidia_smi_format()
    {
        using var pool = Provider();
        await pool.EnsureRunningAsync(Spec("gpujob", 2), CancellationToken.None); // up at T0+3m
        _time.Advance(TimeSpan.FromMinutes(33));
        await pool.PauseAsync("gpujob", CancellationToken.None);                 // ran 30 min
        _time.Advance(TimeSpan.FromMinutes(10));
        await pool.EnsureRunningAsync(Spec("gpujob", 2), CancellationToken.None); // up at T0+46m
        _time.Advance(TimeSpan.FromMinutes(23));
        var stopped = await pool.StopAsync("gpujob", CancellationToken.None);    // ran 20 min

        var blob = new BlobServiceClient(azurite.ConnectionString).GetBlobContainerClient(_options.TelemetryContainer).GetBlobClient("gpujob/20260301T080000Z.csv");
        var properties = (await blob.GetPropertiesAsync()).Value;
        var lines = (await blob.DownloadContentAsync()).Value.Content.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

        Assert.Equal(PoolState.Stopped, stopped.State);
        Assert.Equal("UTC", properties.Metadata["timezone"]);
        Assert.Equal("gpujob", properties.Metadata["jobId"]);
        Assert.Equal("timestamp, index, power.draw [W], utilization.gpu [%]", lines[0]);

        var rows = lines.Skip(1).Select(l => l.Split(", ")).ToList();
        var stamps = rows.Select(r => DateTimeOffset.ParseExact(r[0], "yyyy/MM/dd HH:mm:ss.fff", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal)).ToList();
        var watts = rows.Select(r => double.Parse(r[2].TrimEnd('W', ' '), CultureInfo.InvariantCulture)).ToList();
        var utilization = rows.Select(r => int.Parse(r[3].TrimEnd('%', ' '), CultureInfo.InvariantCulture)).ToList();

        // (30 + 20) minutes of running at one sample a minute, 2 nodes x 8 GPUs per sample.
        Assert.Equal(50, stamps.Distinct().Count());
        Assert.Equal(50 * 16, rows.Count);
        Assert.All(rows, r => Assert.EndsWith(" W", r[2], StringComparison.Ordinal));
        Assert.All(stamps, t => Assert.True(
            (t >= T0.AddMinutes(3) && t < T0.AddMinutes(33)) || (t >= T0.AddMinutes(46) && t < T0.AddMinutes(66)),
            $"sample at {t:u} is outside the running intervals"));
        Assert.Equal(Enumerable.Range(0, 16), rows.Select(r => int.Parse(r[1], CultureInfo.InvariantCulture)).Distinct().Order());

        // A100 SXM: about 60 W idle (less than that with noise), 400 W board limit; training keeps it mostly busy.
        Assert.All(watts, w => Assert.InRange(w, 50, 400));
        Assert.InRange(watts.Average(), 250, 380);
        Assert.All(utilization, u => Assert.InRange(u, 0, 100));
    }

    [Fact]
    public async Task Gaudi_telemetry_is_hl_smi_like_with_hl205_power()
    {
        using var pool = Provider();
        await pool.EnsureRunningAsync(Spec("gaudijob", 1, PoolKind.Gaudi), CancellationToken.None);
        _time.Advance(TimeSpan.FromMinutes(13));
        await pool.StopAsync("gaudijob", CancellationToken.None);

        var container = new BlobServiceClient(azurite.ConnectionString).GetBlobContainerClient(_options.TelemetryContainer);
        var text = (await container.GetBlobClient("gaudijob/20260301T080000Z.csv").DownloadContentAsync()).Value.Content.ToString();
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var rows = lines.Skip(1).Select(l => l.Split(", ")).ToList();

        Assert.Equal("timestamp, module_id, name, power.draw [W], utilization.aip [%]", lines[0]);
        Assert.Equal(10 * 8, rows.Count);
        Assert.All(rows, r => Assert.Equal("HL-205", r[2]));

        // HL-205: about 100 W idle, about 300 W busy, 350 W limit; hl-smi with nounits prints whole numbers.
        var watts = rows.Select(r => int.Parse(r[3], CultureInfo.InvariantCulture)).ToList();
        Assert.All(watts, w => Assert.InRange(w, 85, 350));
        Assert.InRange(watts.Average(), 220, 330);
    }

    [Fact]
    public async Task Stopping_a_stopped_pool_uploads_nothing_more()
    {
        using var pool = Provider();
        await pool.EnsureRunningAsync(Spec("job4", 1), CancellationToken.None);
        _time.Advance(TimeSpan.FromMinutes(5));
        await pool.StopAsync("job4", CancellationToken.None);
        _time.Advance(TimeSpan.FromMinutes(5));
        var again = await pool.StopAsync("job4", CancellationToken.None);
        var never = await pool.StopAsync("never-started", CancellationToken.None);

        var container = new BlobServiceClient(azurite.ConnectionString).GetBlobContainerClient(_options.TelemetryContainer);
        var names = new List<string>();
        await foreach (var item in container.GetBlobsAsync())
        {
            names.Add(item.Name);
        }

        Assert.Equal(PoolState.Stopped, again.State);
        Assert.Equal(PoolState.Stopped, never.State);
        Assert.Equal(["job4/20260301T080000Z.csv"], names);
    }
}
