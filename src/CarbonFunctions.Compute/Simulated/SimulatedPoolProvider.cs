using System.Globalization;
using System.Text;
using Azure;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using CarbonFunctions.Core.Agents;
using CarbonFunctions.Core.Pools;

namespace CarbonFunctions.Compute.Simulated;

/// <summary>
/// A pool provider that behaves like a cloud in time (starts take <see cref="SimulatedPoolOptions.StartDelay"/>
/// of <see cref="TimeProvider"/> time, quota failures, throttling), keeps its state in a table so that it
/// survives restarts, and on stop uploads the run's power telemetry as
/// <c>{container}/{poolId}/{runStart:yyyyMMddTHHmmssZ}.csv</c> — the blob the emissions trigger reads.
/// </summary>
public sealed class SimulatedPoolProvider : IPoolProvider, IDisposable
{
    private readonly TableClient _table;
    private readonly BlobContainerClient _container;
    private readonly SimulatedPoolOptions _options;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly SimulatedAgents _agents;
    private readonly HashSet<ITimer> _watches = [];
    private readonly Lock _throttleGate = new();
    private long _throttleMinute = long.MinValue;
    private int _callsThisMinute;
    private bool _created;

    public SimulatedPoolProvider(TableServiceClient tables, BlobServiceClient blobs, SimulatedPoolOptions options, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(tables);
        ArgumentNullException.ThrowIfNull(blobs);
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _time = timeProvider ?? throw new ArgumentNullException(nameof(timeProvider));
        _table = tables.GetTableClient(options.TableName);
        _container = blobs.GetBlobContainerClient(options.TelemetryContainer);
        _agents = new SimulatedAgents(options, timeProvider);
    }

    /// <summary>The node agents this provider started (when <see cref="SimulatedPoolOptions.AgentCommand"/> is set).</summary>
    public SimulatedAgents Agents => _agents;

    public string Name => "simulated";

    /// <summary>The blob name a run's telemetry is uploaded under (inside the telemetry container).</summary>
    public static string TelemetryBlobName(string poolId, DateTimeOffset runStart) =>
        $"{poolId}/{runStart.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture)}.csv";

    public async Task<PoolStatus> EnsureRunningAsync(PoolSpec spec, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentOutOfRangeException.ThrowIfNegative(spec.Nodes);
        if (spec.Nodes == 0)
        {
            await _agents.StopAllAsync(spec.PoolId).ConfigureAwait(false);
        }

        return await SyncAgentsAsync(await MutateAsync(spec.PoolId, async (pool, now, ct) =>
        {
            if (spec.Nodes == 0)
            {
                pool.Pause(now);
                return;
            }

            var others = (await LoadAllAsync(now, ct).ConfigureAwait(false)).Where(p => p.PoolId != spec.PoolId).Sum(p => p.HeldNodes);
            if (others + spec.Nodes > _options.QuotaNodes)
            {
                // As a cloud answers an over-quota request: the request fails, nodes already running keep running.
                if (pool.State is not (PoolState.Running or PoolState.Starting))
                {
                    pool.State = PoolState.Failed;
                    pool.Kind = spec.Kind;
                    pool.NodeSize = spec.NodeSize;
                    pool.Region = spec.Region;
                    pool.TargetNodes = spec.Nodes;
                }

                pool.Detail = $"QuotaExceeded: {spec.Nodes} node(s) requested, {others} in use by other pools, quota {_options.QuotaNodes}.";
                return;
            }

            pool.Ensure(spec, now, _options.StartDelay);
        }, cancellationToken).ConfigureAwait(false)).ConfigureAwait(false) is var status && status.RequestedNodes > status.RunningNodes
            ? WatchStart(status)
            : status;
    }

    /// <summary>
    /// A cloud node boots its agent by itself once it is up; a simulated node only comes up when the provider is next
    /// asked. With agents on the nodes, the provider asks itself once the start delay has passed, so that a scale-out of
    /// a running pool (which the lifecycle does not poll) gets its agents on time.
    /// </summary>
    private PoolStatus WatchStart(PoolStatus status)
    {
        if (_options.AgentCommand is not { Count: > 0 })
        {
            return status;
        }

        ITimer? timer = null;
        timer = _time.CreateTimer(
            _ =>
            {
                _ = Task.Run(async () =>
                {
                    try
                    {
                        await GetStatusAsync(status.PoolId, CancellationToken.None).ConfigureAwait(false);
                    }
#pragma warning disable CA1031 // a background look at the pool: a failure only delays the agents to the next status call
                    catch (Exception)
#pragma warning restore CA1031
                    {
                    }
                    finally
                    {
                        lock (_watches)
                        {
                            _watches.Remove(timer!);
                        }

                        timer?.Dispose();
                    }
                });
            },
            null,
            _options.StartDelay + TimeSpan.FromSeconds(1),
            Timeout.InfiniteTimeSpan);
        lock (_watches)
        {
            _watches.Add(timer);
        }

        return status;
    }

    public async Task<PoolStatus> PauseAsync(string poolId, CancellationToken cancellationToken)
    {
        // The nodes go away: their agents checkpoint and acknowledge first (SIGTERM), as on a VM shutdown.
        await _agents.StopAllAsync(poolId).ConfigureAwait(false);
        return await MutateAsync(poolId, (pool, now, _) =>
        {
            pool.Pause(now);
            return Task.CompletedTask;
        }, cancellationToken).ConfigureAwait(false);
    }

    public async Task<PoolStatus> StopAsync(string poolId, CancellationToken cancellationToken)
    {
        await _agents.StopAllAsync(poolId).ConfigureAwait(false);
        return await MutateAsync(poolId, async (pool, now, ct) =>
        {
            var kind = pool.Kind;
            var nodeSize = pool.NodeSize;
            var (runStart, segments) = pool.Stop(now);
            // With agents on the nodes the power readings come from them (telemetry/{job}/{node}/...); a second,
            // pool-level file for the same run would count the energy twice.
            if (runStart is { } start && segments.Count > 0 && _options.AgentCommand is not { Count: > 0 })
            {
                await UploadTelemetryAsync(pool.PoolId, start, AcceleratorPowerProfile.For(kind, nodeSize), segments, ct).ConfigureAwait(false);
            }
        }, cancellationToken).ConfigureAwait(false);
    }

    public async Task<PoolStatus> GetStatusAsync(string poolId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(poolId);
        CountCall();
        await EnsureTableAsync(cancellationToken).ConfigureAwait(false);
        SimulatedPool? pool;
        try
        {
            pool = await LoadAsync(poolId, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException error) when (ForgetTableWhenMissing(error))
        {
            throw;
        }

        if (pool is null)
        {
            return PoolStatus.NotFound(poolId);
        }

        pool.Advance(_time.GetUtcNow());
        return await SyncAgentsAsync(pool.ToStatus()).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<PoolStatus>> ListActiveAsync(CancellationToken cancellationToken)
    {
        CountCall();
        await EnsureTableAsync(cancellationToken).ConfigureAwait(false);
        IReadOnlyList<SimulatedPool> pools;
        try
        {
            pools = await LoadAllAsync(_time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException error) when (ForgetTableWhenMissing(error))
        {
            throw;
        }

        var active = new List<PoolStatus>();
        foreach (var pool in pools.Where(p => p.State is PoolState.Starting or PoolState.Running))
        {
            active.Add(await SyncAgentsAsync(pool.ToStatus()).ConfigureAwait(false));
        }

        return active;
    }

    public void Dispose()
    {
        lock (_watches)
        {
            foreach (var watch in _watches)
            {
                watch.Dispose();
            }

            _watches.Clear();
        }

        _agents.Dispose();
        _gate.Dispose();
    }

    /// <summary>Nodes that came up (a start or scale-out whose delay passed) get their agents; fewer nodes, fewer agents.</summary>
    private async Task<PoolStatus> SyncAgentsAsync(PoolStatus status)
    {
        if (status.State == PoolState.Running)
        {
            await _agents.ReconcileAsync(status.PoolId, status.RunningNodes).ConfigureAwait(false);
        }
        else if (status.State != PoolState.Starting)
        {
            await _agents.StopAllAsync(status.PoolId).ConfigureAwait(false);
        }

        return status;
    }

    private async Task<PoolStatus> MutateAsync(string poolId, Func<SimulatedPool, DateTimeOffset, CancellationToken, Task> change, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(poolId);
        CountCall();
        await EnsureTableAsync(cancellationToken).ConfigureAwait(false);

        // One writer per process keeps quota checks consistent; the ETag catches a second process.
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var now = _time.GetUtcNow();
            var pool = await LoadAsync(poolId, cancellationToken).ConfigureAwait(false) ?? new SimulatedPool { PoolId = poolId };
            pool.Advance(now);
            await change(pool, now, cancellationToken).ConfigureAwait(false);
            var entity = pool.ToEntity();
            if (pool.ETag == default)
            {
                await _table.AddEntityAsync(entity, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await _table.UpdateEntityAsync(entity, pool.ETag, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
            }

            return pool.ToStatus();
        }
        catch (RequestFailedException error) when (ForgetTableWhenMissing(error))
        {
            throw;
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<SimulatedPool?> LoadAsync(string poolId, CancellationToken cancellationToken)
    {
        var response = await _table.GetEntityIfExistsAsync<TableEntity>("pool", poolId, cancellationToken: cancellationToken).ConfigureAwait(false);
        return response.HasValue && response.Value is { } entity ? SimulatedPool.FromEntity(entity) : null;
    }

    private async Task<List<SimulatedPool>> LoadAllAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var pools = new List<SimulatedPool>();
        await foreach (var entity in _table.QueryAsync<TableEntity>(e => e.PartitionKey == "pool", cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            var pool = SimulatedPool.FromEntity(entity);
            pool.Advance(now);
            pools.Add(pool);
        }

        return pools;
    }

    private async Task UploadTelemetryAsync(string poolId, DateTimeOffset runStart, AcceleratorPowerProfile profile, List<RunningSegment> segments, CancellationToken cancellationToken)
    {
        var csv = new StringBuilder();
        using (var writer = new StringWriter(csv, CultureInfo.InvariantCulture))
        {
            SimulatedTelemetry.Write(writer, profile, segments, _options.SampleInterval, Seed(poolId, runStart));
        }

        await _container.CreateIfNotExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        var blob = _container.GetBlobClient(TelemetryBlobName(poolId, runStart));
        await blob.UploadAsync(
            BinaryData.FromString(csv.ToString()),
            new BlobUploadOptions
            {
                HttpHeaders = new BlobHttpHeaders { ContentType = "text/csv" },
                Metadata = new Dictionary<string, string>
                {
                    ["timezone"] = "UTC",
                    ["jobId"] = poolId,
                    ["format"] = profile.Kind == Core.Jobs.PoolKind.Gaudi ? "hl-smi-csv" : "nvidia-smi-csv",
                    ["accelerator"] = profile.Model,
                    ["sampleIntervalSeconds"] = _options.SampleInterval.TotalSeconds.ToString(CultureInfo.InvariantCulture),
                    ["simulated"] = "true",
                },
            },
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A stable seed (string.GetHashCode is randomised per process), so a retried stop uploads the same file.</summary>
    private static int Seed(string poolId, DateTimeOffset runStart)
    {
        var hash = 17L;
        foreach (var c in poolId)
        {
            hash = unchecked((hash * 31) + c);
        }

        return unchecked((int)(hash ^ runStart.UtcTicks ^ (runStart.UtcTicks >> 32)));
    }

    private void CountCall()
    {
        if (_options.MaxCallsPerMinute <= 0)
        {
            return;
        }

        var minute = _time.GetUtcNow().UtcTicks / TimeSpan.TicksPerMinute;
        lock (_throttleGate)
        {
            if (minute != _throttleMinute)
            {
                _throttleMinute = minute;
                _callsThisMinute = 0;
            }

            if (++_callsThisMinute > _options.MaxCallsPerMinute)
            {
                throw new PoolThrottledException(
                    $"Simulated throttling: more than {_options.MaxCallsPerMinute} calls in one minute; retry after the minute turns.");
            }
        }
    }

    private async Task EnsureTableAsync(CancellationToken cancellationToken)
    {
        if (!_created)
        {
            await _table.CreateIfNotExistsAsync(cancellationToken).ConfigureAwait(false);
            _created = true;
        }
    }

    /// <summary>
    /// An exception filter: a "table not found" means the table this provider believed created is gone (seen under
    /// injected storage faults on a loaded machine), so the next call creates it again; the exception still propagates.
    /// </summary>
    private bool ForgetTableWhenMissing(RequestFailedException error)
    {
        if (error.Status == 404 && error.ErrorCode == "TableNotFound")
        {
            _created = false;
        }

        return false;
    }
}
