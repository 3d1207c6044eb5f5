namespace CarbonFunctions.Core.Agents;

/// <summary>What the lifecycle can ask every agent of a job to do.</summary>
public static class ControlKinds
{
    /// <summary>Signal the workload, wait for it to checkpoint and exit, acknowledge with <c>checkpointed</c>; the agent stays up.</summary>
    public const string Checkpoint = "checkpoint";

    /// <summary>The same as <see cref="Checkpoint"/>, then the agent exits.</summary>
    public const string Stop = "stop";

    public static IReadOnlyList<string> All { get; } = [Checkpoint, Stop];
}

/// <summary>
/// The one standing request for a job's agents (a broadcast: every node polls it). A newer request replaces the
/// older one; agents act on each <see cref="RequestId"/> once.
/// </summary>
public sealed record ControlRequest(string JobId, string Kind, string RequestId, DateTimeOffset RequestedAt);
