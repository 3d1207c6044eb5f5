using System.Globalization;
using CarbonFunctions.Core.Jobs;
using CarbonFunctions.Storage.Jobs;

namespace CarbonFunctions.Handlers.Emissions;

/// <summary>
/// What both hosts' blob triggers call for <c>telemetry/{jobId}/{name}</c>: adds what the job record knows
/// (region, provider, submission time, functional unit) to the blob's own metadata — metadata set by the
/// uploader wins — and hands the upload to <see cref="TelemetryReportHandler"/>, which counts it once in the
/// job's report with the job's other blobs.
/// </summary>
public sealed class TelemetryIntake(JobStore jobs, TelemetryReportHandler handler)
{
    public async Task<TelemetryReportOutcome> HandleAsync(string blobPath, Stream content, IDictionary<string, string> metadata, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(blobPath);
        ArgumentNullException.ThrowIfNull(metadata);
        var merged = new Dictionary<string, string>(metadata, StringComparer.OrdinalIgnoreCase);
        var relative = blobPath.StartsWith("telemetry/", StringComparison.Ordinal) ? blobPath["telemetry/".Length..] : blobPath;
        var slash = relative.IndexOf('/', StringComparison.Ordinal);
        if (slash > 0 && await jobs.GetAsync(relative[..slash], cancellationToken) is { } record)
        {
            var job = record.Job;
            merged.TryAdd("region", record.State.Region ?? job.Regions[0]);
            merged.TryAdd("provider", job.Pool.Provider == CloudProvider.Azure ? "azure" : "aws");
            merged.TryAdd("submittedAt", (job.SubmittedAt ?? (record.State.History is [var first, ..] ? first.At : record.State.UpdatedAt)).ToString("O", CultureInfo.InvariantCulture));
            if (job.FunctionalUnit is { } unit)
            {
                merged.TryAdd("functionalUnit", unit);
            }
        }

        return await handler.HandleAsync(blobPath, content, merged, cancellationToken);
    }

    /// <summary>True when the blob's content with this ETag is counted in its job's report already.</summary>
    public Task<bool> IsCountedAsync(string blobPath, string etag, CancellationToken cancellationToken) =>
        handler.IsCountedAsync(blobPath, etag, cancellationToken);
}
