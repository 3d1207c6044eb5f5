using System.Text.Json;
using Azure.Data.Tables;
using CarbonFunctions.Core.Jobs;
using CarbonFunctions.Core.Pools;

namespace CarbonFunctions.Compute.Simulated;

/// <summary>
/// One simulated pool's state and its pure transitions; time is always passed in. Kept as one table
/// row so a restarted host carries on where it was.
/// </summary>
internal sealed class SimulatedPool
{
    public required string PoolId { get; init; }

    public PoolState State { get; set; } = PoolState.Stopped;

    public PoolKind Kind { get; set; }

    public string? NodeSize { get; set; }

    public string? Region { get; set; }

    /// <summary>Nodes running in the open segment.</summary>
    public int Nodes { get; set; }

    public DateTimeOffset? OpenSince { get; set; }

    /// <summary>Nodes asked for; differs from <see cref="Nodes"/> while a start or scale-out is under way.</summary>
    public int TargetNodes { get; set; }

    public DateTimeOffset? ReadyAt { get; set; }

    public DateTimeOffset? RunStart { get; set; }

    public List<RunningSegment> Closed { get; set; } = [];

    public string? Detail { get; set; }

    public global::Azure.ETag ETag { get; set; }

    /// <summary>Nodes this pool holds against the quota (running or being started).</summary>
    public int HeldNodes => State is PoolState.Starting or PoolState.Running ? Math.Max(Nodes, TargetNodes) : 0;

    /// <summary>Brings the pool to <paramref name="now"/>: a start or scale-out whose delay has passed completes at its ready time.</summary>
    public void Advance(DateTimeOffset now)
    {
        if (ReadyAt is { } ready && ready <= now && State is PoolState.Starting or PoolState.Running)
        {
            CloseSegment(ready);
            Nodes = TargetNodes;
            OpenSince = ready;
            ReadyAt = null;
            State = PoolState.Running;
        }
    }

    public void Ensure(PoolSpec spec, DateTimeOffset now, TimeSpan startDelay)
    {
        Kind = spec.Kind;
        NodeSize = spec.NodeSize;
        Region = spec.Region;
        Detail = null;
        switch (State)
        {
            case PoolState.Starting:
                TargetNodes = spec.Nodes;
                break;
            case PoolState.Running when spec.Nodes < Nodes:
                // Scale-in takes effect at once; the removed nodes stop drawing power now.
                CloseSegment(now);
                Nodes = TargetNodes = spec.Nodes;
                OpenSince = now;
                ReadyAt = null;
                break;
            case PoolState.Running when spec.Nodes > Nodes && (TargetNodes != spec.Nodes || ReadyAt is null):
                TargetNodes = spec.Nodes;
                ReadyAt = now + startDelay;
                break;
            case PoolState.Running:
                break;
            default:
                RunStart ??= now;
                State = PoolState.Starting;
                TargetNodes = spec.Nodes;
                Nodes = 0;
                ReadyAt = now + startDelay;
                break;
        }
    }

    public void Pause(DateTimeOffset now)
    {
        CloseSegment(now);
        if (State is PoolState.Starting or PoolState.Running)
        {
            State = PoolState.Paused;
        }

        Nodes = TargetNodes = 0;
        ReadyAt = null;
    }

    /// <summary>Stops the pool and hands back the run's segments (empty when it never ran) and its start.</summary>
    public (DateTimeOffset? RunStart, List<RunningSegment> Segments) Stop(DateTimeOffset now)
    {
        CloseSegment(now);
        var run = (RunStart, Closed);
        State = PoolState.Stopped;
        Nodes = TargetNodes = 0;
        ReadyAt = null;
        RunStart = null;
        Closed = [];
        Detail = null;
        return run;
    }

    public PoolStatus ToStatus() => new()
    {
        PoolId = PoolId,
        State = State,
        RunningNodes = State == PoolState.Running ? Nodes : 0,
        RequestedNodes = TargetNodes,
        Region = Region,
        NodeSize = NodeSize,
        Detail = Detail,
    };

    private void CloseSegment(DateTimeOffset end)
    {
        if (OpenSince is { } start && Nodes > 0 && end > start)
        {
            Closed.Add(new RunningSegment(start, end, Nodes));
        }

        OpenSince = null;
    }

    public TableEntity ToEntity() => new("pool", PoolId)
    {
        ["State"] = State.ToString(),
        ["Kind"] = Kind.ToString(),
        ["NodeSize"] = NodeSize,
        ["Region"] = Region,
        ["Nodes"] = Nodes,
        ["OpenSince"] = OpenSince,
        ["TargetNodes"] = TargetNodes,
        ["ReadyAt"] = ReadyAt,
        ["RunStart"] = RunStart,
        ["Closed"] = JsonSerializer.Serialize(Closed),
        ["Detail"] = Detail,
        ETag = ETag,
    };

    public static SimulatedPool FromEntity(TableEntity entity) => new()
    {
        PoolId = entity.RowKey,
        State = Enum.Parse<PoolState>(entity.GetString("State")),
        Kind = Enum.Parse<PoolKind>(entity.GetString("Kind")),
        NodeSize = entity.GetString("NodeSize"),
        Region = entity.GetString("Region"),
        Nodes = entity.GetInt32("Nodes") ?? 0,
        OpenSince = entity.GetDateTimeOffset("OpenSince"),
        TargetNodes = entity.GetInt32("TargetNodes") ?? 0,
        ReadyAt = entity.GetDateTimeOffset("ReadyAt"),
        RunStart = entity.GetDateTimeOffset("RunStart"),
        Closed = JsonSerializer.Deserialize<List<RunningSegment>>(entity.GetString("Closed") ?? "[]") ?? [],
        Detail = entity.GetString("Detail"),
        ETag = entity.ETag,
    };
}
