using System.Collections.Concurrent;
using Azure.Core;
using Azure.Core.Pipeline;

namespace CarbonFunctions.Reliability.Tests.Faults;

/// <summary>What the storage fault policy did to one request.</summary>
internal enum StorageFault
{
    /// <summary>Answered 500 without sending.</summary>
    ServerError,

    /// <summary>Answered 503 (server busy) without sending.</summary>
    ServerBusy,

    /// <summary>Timed out before the request reached the service: nothing happened.</summary>
    TimeoutBeforeSend,

    /// <summary>Sent and applied, then the response was lost to a timeout: the client cannot know it happened.</summary>
    TimeoutAfterSend,

    /// <summary>A conditional write (If-Match) answered 412 as if another writer had won.</summary>
    EtagConflict,

    /// <summary>One request of an outage: every attempt fails with 503 until the outage ends, so the SDK's retries run out.</summary>
    Outage,
}

/// <summary>
/// An Azure.Core pipeline policy, placed per retry in every storage client, that fails a seeded share of requests the
/// ways a storage account does: 500 and 503 answers, timeouts before and after the service applied the request, 412
/// ETag conflicts on conditional writes, and short outages that outlast the SDK's retries.
/// </summary>
internal sealed class StorageFaults(int seed, double rate, double outageRate = 0, int outageLength = 6) : HttpPipelinePolicy
{
    private readonly Random _random = new(seed);
    private readonly Lock _gate = new();
    private int _outageLeft;

    /// <summary>Off while the test sets up and checks; on while the host runs.</summary>
    public volatile bool Enabled = true;

    public ConcurrentDictionary<StorageFault, int> Injected { get; } = new();

    public int Requests => _requests;

    private int _requests;

    public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline) =>
        throw new NotSupportedException("the pipeline is used asynchronously only");

    public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        Interlocked.Increment(ref _requests);
        var fault = Enabled ? Choose(message) : null;
        if (fault is not null)
        {
            Injected.AddOrUpdate(fault.Value, 1, (_, n) => n + 1);
        }

        switch (fault)
        {
            case StorageFault.ServerError:
                message.Response = new FakeResponse(500, "Injected server error");
                return;
            case StorageFault.ServerBusy or StorageFault.Outage:
                message.Response = new FakeResponse(503, "Injected: server busy");
                return;
            case StorageFault.EtagConflict:
                message.Response = new FakeResponse(412, "Injected: the condition specified using HTTP conditional header(s) is not met");
                return;
            case StorageFault.TimeoutBeforeSend:
                // What the transport throws when the network timeout passes; the caller's token is not cancelled.
                throw new TaskCanceledException("injected: the request timed out before it reached the service");
            case StorageFault.TimeoutAfterSend:
                await ProcessNextAsync(message, pipeline);
                throw new TaskCanceledException("injected: the response was lost after the service applied the request");
            default:
                await ProcessNextAsync(message, pipeline);
                return;
        }
    }

    private StorageFault? Choose(HttpMessage message)
    {
        lock (_gate)
        {
            if (_outageLeft > 0)
            {
                _outageLeft--;
                return StorageFault.Outage;
            }

            if (_random.NextDouble() < outageRate)
            {
                _outageLeft = outageLength - 1;
                return StorageFault.Outage;
            }

            // Conditional writes are few (the job rows' updates), so a seeded draw can miss them all: the first one is
            // always answered 412, and the scenario always meets a lost race.
            var conditional = message.Request.Headers.TryGetValue("If-Match", out var etag) && etag != "*";
            if (conditional && !Injected.ContainsKey(StorageFault.EtagConflict))
            {
                return StorageFault.EtagConflict;
            }

            if (_random.NextDouble() >= rate)
            {
                return null;
            }

            return _random.Next(conditional ? 5 : 4) switch
            {
                0 => StorageFault.ServerError,
                1 => StorageFault.ServerBusy,
                2 => StorageFault.TimeoutBeforeSend,
                3 => StorageFault.TimeoutAfterSend,
                _ => StorageFault.EtagConflict,
            };
        }
    }
}
