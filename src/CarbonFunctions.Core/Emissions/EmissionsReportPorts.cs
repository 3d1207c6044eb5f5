namespace CarbonFunctions.Core.Emissions;

/// <summary>
/// Keeps emissions reports (one per job) and the shares of the telemetry blobs they are built from (one per blob).
/// </summary>
public interface IEmissionsReportStore
{
    /// <summary>Saves a report unconditionally.</summary>
    Task SaveAsync(EmissionsReport report, CancellationToken cancellationToken);

    Task<EmissionsReport?> GetAsync(string jobId, CancellationToken cancellationToken);

    /// <summary>The report with a version token for <see cref="TrySaveAsync"/>; (null, null) when there is none.</summary>
    Task<(EmissionsReport? Report, string? Version)> GetVersionedAsync(string jobId, CancellationToken cancellationToken);

    /// <summary>
    /// Saves a report only if the stored one is still <paramref name="expectedVersion"/> (null: only if none is
    /// stored); false when another writer got there first, so that two blobs of one job handled at once cannot
    /// leave a report that misses one of them.
    /// </summary>
    Task<bool> TrySaveAsync(EmissionsReport report, string? expectedVersion, CancellationToken cancellationToken);

    /// <summary>Saves (replaces) the share of one telemetry blob.</summary>
    Task SaveShareAsync(TelemetryShare share, CancellationToken cancellationToken);

    Task<TelemetryShare?> GetShareAsync(string jobId, string blob, CancellationToken cancellationToken);

    /// <summary>Every share of a job.</summary>
    Task<IReadOnlyList<TelemetryShare>> ListSharesAsync(string jobId, CancellationToken cancellationToken);
}
