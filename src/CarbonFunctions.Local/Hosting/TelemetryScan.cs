using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using CarbonFunctions.Handlers.Emissions;
using Microsoft.Extensions.Logging;

namespace CarbonFunctions.Local.Hosting;

/// <summary>
/// The local stand-in for the Event Grid blob trigger: finds telemetry blobs that have no report yet, runs the
/// same use case as the Functions app on each, then marks the blob (metadata) so that it is handled once.
/// </summary>
public sealed class TelemetryScan(BlobContainerClient telemetry, TelemetryIntake intake, ILogger<TelemetryScan> logger)
{
    private const string HandledKey = "carbonreport";

    /// <summary>Returns the outcomes of the blobs handled in this pass.</summary>
    public async Task<IReadOnlyList<TelemetryReportOutcome>> RunAsync(CancellationToken cancellationToken)
    {
        var outcomes = new List<TelemetryReportOutcome>();
        await telemetry.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        await foreach (var item in telemetry.GetBlobsAsync(BlobTraits.Metadata, BlobStates.None, prefix: null, cancellationToken))
        {
            if (item.Metadata.ContainsKey(HandledKey))
            {
                continue;
            }

            var blob = telemetry.GetBlobClient(item.Name);
            await using (var content = await blob.OpenReadAsync(cancellationToken: cancellationToken))
            {
                var outcome = await intake.HandleAsync($"{telemetry.Name}/{item.Name}", content, item.Metadata, cancellationToken);
                outcomes.Add(outcome);
                logger.LogInformation("Telemetry {Blob}: {Outcome}", item.Name, outcome.Saved ? $"report for {outcome.JobId}" : outcome.Error);
            }

            var marked = new Dictionary<string, string>(item.Metadata) { [HandledKey] = "done" };
            await blob.SetMetadataAsync(marked, cancellationToken: cancellationToken);
        }

        return outcomes;
    }
}
