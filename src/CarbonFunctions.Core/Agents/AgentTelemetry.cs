using System.Globalization;

namespace CarbonFunctions.Core.Agents;

/// <summary>Where a node agent puts its power readings in the telemetry container.</summary>
public static class AgentTelemetry
{
    /// <summary>
    /// <c>{jobId}/{node}/{segmentStart:yyyyMMddTHHmmssfffZ}-{chunk:D4}.csv</c> (milliseconds, so that two runs started in one second stay apart): one segment per workload run on a node
    /// (a resume opens a new one), numbered chunks within it, each a complete CSV with its own header.
    /// </summary>
    public static string BlobName(string jobId, string node, DateTimeOffset segmentStart, int chunk)
    {
        ArgumentException.ThrowIfNullOrEmpty(jobId);
        ArgumentException.ThrowIfNullOrEmpty(node);
        ArgumentOutOfRangeException.ThrowIfNegative(chunk);
        return string.Create(CultureInfo.InvariantCulture, $"{jobId}/{node}/{segmentStart.UtcDateTime:yyyyMMdd'T'HHmmssfff'Z'}-{chunk:D4}.csv");
    }
}
