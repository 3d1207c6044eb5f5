using System.Text.Json;

namespace CarbonFunctions.Core.Agents;

/// <summary>
/// Reads the status file a workload keeps in its checkpoint folder (CARBON_STATUS_FILE): a JSON object with the
/// cumulative counters <c>stepsDone</c>, <c>checkpoints</c>, <c>resumes</c> and <c>lostSteps</c> (other fields ignored).
/// </summary>
public static class WorkloadStatus
{
    /// <summary>The report in <paramref name="json"/> with the exit code the agent saw, or null when it is not a status object.</summary>
    public static WorkloadReport? TryRead(string? json, int? exitCode)
    {
        if (string.IsNullOrWhiteSpace(json))
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(json);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("stepsDone", out _))
            {
                return null;
            }

            return new WorkloadReport(exitCode, Count(root, "stepsDone"), Count(root, "checkpoints"), Count(root, "resumes"), Count(root, "lostSteps"));
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static long Count(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var n) && n >= 0 ? n : 0;
}
