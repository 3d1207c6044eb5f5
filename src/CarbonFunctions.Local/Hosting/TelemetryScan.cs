using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using CarbonFunctions.Handlers.Emissions;
using Microsoft.Extensions.Logging;

namespace CarbonFunctions.Local.Hosting;

/// <summary>
/// The local stand-in for the Event Grid blob trigger: lists the telemetry container, runs the same use case as
/// the Functions app on every blob that is new or changed, and remembers each blob's ETag, so that a pass over
/// blobs already counted is one listing call (cheap enough to run every minute). After a restart the first pass
/// asks the report store whether a blob's ETag was counted, rather than reading the blob again.
/// </summary>
public sealed class TelemetryScan(BlobContainerClient telemetry, TelemetryIntake intake, ILogger<TelemetryScan> logger)
{
    private readonly Dictionary<string, string> _counted = new(StringComparer.Ordinal);

    /// <summary>Returns the outcomes of the blobs handled in this pass.</summary>
    public async Task<IReadOnlyList<TelemetryReportOutcome>> RunAsync(CancellationToken cancellationToken)
    {
        var outcomes = new List<TelemetryReportOutcome>();
        await telemetry.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        await foreach (var item in telemetry.GetBlobsAsync(BlobTraits.Metadata, BlobStates.None, prefix: null, cancellationToken))
        {
            var etag = item.Properties.ETag?.ToString();
            if (etag is null || (_counted.TryGetValue(item.Name, out var known) && known == etag))
            {
                continue;
            }

            // The name inside the container, as the Functions trigger gives it (the container may have any name).
            var path = item.Name;
            if (!_counted.ContainsKey(item.Name) && await intake.IsCountedAsync(path, etag, cancellationToken))
            {
                _counted[item.Name] = etag;
                continue;
            }

            var blob = telemetry.GetBlobClient(item.Name);
            TelemetryReportOutcome outcome;
            try
            {
                // Pinned to the listed version: a re-upload during the read fails it, and the next pass takes the new one.
                await using var content = await blob.OpenReadAsync(new BlobOpenReadOptions(allowModifications: false), cancellationToken);
                var metadata = new Dictionary<string, string>(item.Metadata, StringComparer.OrdinalIgnoreCase) { [TelemetryReportHandler.ETagKey] = etag };
                outcome = await intake.HandleAsync(path, content, metadata, cancellationToken);
            }
            catch (Azure.RequestFailedException ex) when (ex.Status is 404 or 412)
            {
                logger.LogInformation("Telemetry {Blob} changed or went away while being read; the next pass takes it", item.Name);
                continue;
            }

            _counted[item.Name] = etag;
            outcomes.Add(outcome);
            logger.LogInformation(
                "Telemetry {Blob}: {Outcome}",
                item.Name,
                outcome.AlreadyCounted ? "counted already" : outcome.Saved ? $"report for {outcome.JobId} ({outcome.Report!.Blobs.Count} blobs)" : outcome.Error);
        }

        return outcomes;
    }
}
