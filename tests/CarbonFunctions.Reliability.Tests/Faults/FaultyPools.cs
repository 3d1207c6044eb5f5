using System.Collections.Concurrent;
using System.Net;
using CarbonFunctions.Compute;
using CarbonFunctions.Core.Pools;

namespace CarbonFunctions.Reliability.Tests.Faults;

/// <summary>What <see cref="FaultyPools"/> did to one call.</summary>
internal enum CloudFault
{
    Throttled,
    ServerError,
    TimeoutBeforeCall,
    TimeoutAfterCall,
    PartialStart,
    NeverUp,
}

/// <summary>
/// A cloud behind the <see cref="IPoolProvider"/> port that fails a seeded share of calls as clouds do (throttling with
/// Retry-After, 5xx, timeouts before and after the call took effect, partial starts) and has one pool that never comes
/// up. It also watches the real cloud: the most nodes ever held at once, and every cold start (a start of a pool that
/// was not already starting or running), per pool, also told to <paramref name="onColdStart"/> (the crash host writes
/// them down before it can be killed). It can host the <see cref="CrashPoints"/> of the pool calls.
/// </summary>
internal sealed class FaultyPools(
    IPoolProvider inner,
    int seed = 0,
    double rate = 0,
    string? neverUpPool = null,
    CrashPoints? crashes = null,
    ConcurrentDictionary<string, int>? coldStarts = null,
    Action<string>? onColdStart = null) : IPoolProvider
{
    public const string BeforePoolStart = "before-pool-start";
    public const string AfterPoolStart = "after-pool-start";
    public const string AfterPoolPause = "after-pool-pause";
    public const string AfterPoolStop = "after-pool-stop";

    private readonly Random _random = new(seed);
    private readonly Lock _gate = new();
    private int _maxHeld;

    public string Name => inner.Name;

    public ConcurrentDictionary<CloudFault, int> Injected { get; } = new();

    /// <summary>Cold starts per pool id (shared by the hosts of one run when the caller passes its own).</summary>
    public ConcurrentDictionary<string, int> ColdStarts { get; } = coldStarts ?? new();

    /// <summary>The most nodes starting or running at once across all pools, as the cloud itself counts them.</summary>
    public int MaxHeld => Volatile.Read(ref _maxHeld);

    public int Calls => _calls;

    private int _calls;

    public async Task<PoolStatus> EnsureRunningAsync(PoolSpec spec, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var fault = Choose(start: true);
        ThrowBefore(fault);
        if (crashes is not null)
        {
            await crashes.PassAsync(BeforePoolStart);
        }

        var before = await inner.GetStatusAsync(spec.PoolId, cancellationToken);
        var status = await inner.EnsureRunningAsync(spec, cancellationToken);
        if (before.State is not (PoolState.Starting or PoolState.Running) && status.State is PoolState.Starting or PoolState.Running)
        {
            ColdStarts.AddOrUpdate(spec.PoolId, 1, (_, n) => n + 1);
            onColdStart?.Invoke(spec.PoolId);
        }

        await WatchAsync(cancellationToken);
        if (crashes is not null)
        {
            await crashes.PassAsync(AfterPoolStart);
        }

        ThrowAfter(fault);
        if (spec.PoolId == neverUpPool)
        {
            Count(CloudFault.NeverUp);
            return status with { State = PoolState.Starting, RunningNodes = 0, Detail = "injected: allocation pending (this pool never comes up)" };
        }

        return fault == CloudFault.PartialStart && status.RunningNodes > 1
            ? status with { State = PoolState.Starting, RunningNodes = status.RunningNodes - 1, Detail = "injected: partial start, one node still allocating" }
            : status;
    }

    public async Task<PoolStatus> PauseAsync(string poolId, CancellationToken cancellationToken)
    {
        var fault = Choose(start: false);
        ThrowBefore(fault);
        var status = await inner.PauseAsync(poolId, cancellationToken);
        await WatchAsync(cancellationToken);
        if (crashes is not null)
        {
            await crashes.PassAsync(AfterPoolPause);
        }

        ThrowAfter(fault);
        return status;
    }

    public async Task<PoolStatus> StopAsync(string poolId, CancellationToken cancellationToken)
    {
        var fault = Choose(start: false);
        ThrowBefore(fault);
        var status = await inner.StopAsync(poolId, cancellationToken);
        await WatchAsync(cancellationToken);
        if (crashes is not null)
        {
            await crashes.PassAsync(AfterPoolStop);
        }

        ThrowAfter(fault);
        return status;
    }

    public async Task<PoolStatus> GetStatusAsync(string poolId, CancellationToken cancellationToken)
    {
        var fault = Choose(start: false);
        ThrowBefore(fault);
        var status = await inner.GetStatusAsync(poolId, cancellationToken);
        if (poolId == neverUpPool && status.State is PoolState.Starting or PoolState.Running)
        {
            Count(CloudFault.NeverUp);
            return status with { State = PoolState.Starting, RunningNodes = 0, Detail = "injected: allocation pending (this pool never comes up)" };
        }

        return status;
    }

    // The reconciler's view is the truth: a pool that is up must be found, or an orphan could hide.
    public Task<IReadOnlyList<PoolStatus>> ListActiveAsync(CancellationToken cancellationToken) => inner.ListActiveAsync(cancellationToken);

    private async Task WatchAsync(CancellationToken cancellationToken)
    {
        var held = (await inner.ListActiveAsync(cancellationToken)).Sum(p => Math.Max(p.RunningNodes, p.State == PoolState.Starting ? p.RequestedNodes : 0));
        int seen;
        do
        {
            seen = Volatile.Read(ref _maxHeld);
        }
        while (held > seen && Interlocked.CompareExchange(ref _maxHeld, held, seen) != seen);
    }

    private CloudFault? Choose(bool start)
    {
        Interlocked.Increment(ref _calls);
        lock (_gate)
        {
            if (_random.NextDouble() >= rate)
            {
                return null;
            }

            var fault = (CloudFault)_random.Next(start ? 5 : 4);
            return fault;
        }
    }

    private void ThrowBefore(CloudFault? fault)
    {
        switch (fault)
        {
            case CloudFault.Throttled:
                Count(CloudFault.Throttled);
                throw new PoolThrottledException("injected: 429 Too Many Requests; Retry-After: 30");
            case CloudFault.ServerError:
                Count(CloudFault.ServerError);
                throw new HttpRequestException("injected: 503 Service Unavailable", null, HttpStatusCode.ServiceUnavailable);
            case CloudFault.TimeoutBeforeCall:
                Count(CloudFault.TimeoutBeforeCall);
                throw new TimeoutException("injected: the control plane did not answer");
        }
    }

    private void ThrowAfter(CloudFault? fault)
    {
        if (fault == CloudFault.TimeoutAfterCall)
        {
            Count(CloudFault.TimeoutAfterCall);
            throw new TimeoutException("injected: the call went through but its answer was lost");
        }

        if (fault == CloudFault.PartialStart)
        {
            Count(CloudFault.PartialStart);
        }
    }

    private void Count(CloudFault fault) => Injected.AddOrUpdate(fault, 1, (_, n) => n + 1);
}
