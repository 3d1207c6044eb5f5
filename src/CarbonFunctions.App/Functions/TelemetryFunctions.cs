using Azure.Storage.Blobs;
using CarbonFunctions.Handlers.Emissions;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;

namespace CarbonFunctions.App.Functions;

/// <summary>
/// Telemetry uploads (<c>telemetry/{jobId}/{name}</c>, delivered by Event Grid) → the job's emissions report,
/// through the shared <see cref="TelemetryIntake"/> (as the local host). Named as the infra's Event Grid subscription expects.
/// </summary>
public sealed class TelemetryFunctions(TelemetryIntake intake, ILogger<TelemetryFunctions> logger)
{
    [Function("IngestTelemetry")]
    public async Task IngestTelemetryAsync(
        [BlobTrigger(Bindings.TelemetryBlobPath, Source = BlobTriggerSource.EventGrid, Connection = Bindings.Connection)] BlobClient blob,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(blob);

        // The client rather than a stream: the use case reads region, time zone and the like from the blob's metadata.
        var properties = await blob.GetPropertiesAsync(cancellationToken: cancellationToken);
        await using var content = await blob.OpenReadAsync(cancellationToken: cancellationToken);
        var outcome = await intake.HandleAsync(blob.Name, content, properties.Value.Metadata, cancellationToken);
        if (!outcome.Saved)
        {
            // Bad content is not retried (it would fail the same way); the use case logged why.
            logger.LogWarning("No emissions report from {Blob}: {Error}", blob.Name, outcome.Error);
        }
    }
}
