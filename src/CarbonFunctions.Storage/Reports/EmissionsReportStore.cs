using System.Security.Cryptography;
using System.Text;
using Azure;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using CarbonFunctions.Core.Emissions;

namespace CarbonFunctions.Storage.Reports;

/// <summary>
/// Keeps each job's emissions report as the blob <c>reports/{jobId}.json</c> (the full report) and a
/// row in the <c>emissions</c> table (PartitionKey = job id, RowKey = "report") with the headline
/// figures for queries; the blob's ETag is the report's version for conditional saves. The shares of a job's
/// telemetry blobs are kept together in <c>reports/{jobId}/shares.json</c>, saved conditionally on its ETag: a
/// blob's arrival reads and writes that one document, and the report is rebuilt from it, instead of listing and
/// downloading one share blob per telemetry blob each time (which made a job of N chunks cost N² downloads).
/// Shares kept one blob each by earlier versions (<c>reports/{jobId}/shares/{hash}.json</c>) are read while a
/// job has no set yet and carried into it by the next save.
/// </summary>
public sealed class EmissionsReportStore : IEmissionsReportStore
{
    public const string ContainerName = "reports";
    public const string TableName = "emissions";
    private const string RowKey = "report";

    /// <summary>Blobs of one job handled at once each win a round; a burst of this many is absorbed.</summary>
    private const int ShareSaveAttempts = 64;

    private readonly BlobContainerClient _container;
    private readonly TableClient _table;
    private bool _created;

    public EmissionsReportStore(BlobServiceClient blobs, TableServiceClient tables, string containerName = ContainerName, string tableName = TableName)
    {
        ArgumentNullException.ThrowIfNull(blobs);
        ArgumentNullException.ThrowIfNull(tables);
        _container = blobs.GetBlobContainerClient(containerName);
        _table = tables.GetTableClient(tableName);
    }

    public async Task SaveAsync(EmissionsReport report, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(report);
        await WriteAsync(report, null, cancellationToken);
    }

    public async Task<bool> TrySaveAsync(EmissionsReport report, string? expectedVersion, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(report);
        var conditions = expectedVersion is null
            ? new BlobRequestConditions { IfNoneMatch = ETag.All }
            : new BlobRequestConditions { IfMatch = new ETag(expectedVersion) };
        try
        {
            await WriteAsync(report, conditions, cancellationToken);
            return true;
        }
        catch (RequestFailedException ex) when (ex.Status is 409 or 412)
        {
            return false;
        }
    }

    public async Task<(EmissionsReport? Report, string? Version)> GetVersionedAsync(string jobId, CancellationToken cancellationToken)
    {
        var blob = _container.GetBlobClient(BlobName(jobId));
        try
        {
            var content = await blob.DownloadContentAsync(cancellationToken);
            return (EmissionsReport.FromJson(Encoding.UTF8.GetString(content.Value.Content.ToMemory().Span)), content.Value.Details.ETag.ToString());
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            return (null, null);
        }
    }

    public async Task SaveShareAsync(TelemetryShare share, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(share);
        await EnsureCreatedAsync(cancellationToken);
        var set = _container.GetBlobClient(ShareSetName(share.JobId));
        for (var attempt = 1; ; attempt++)
        {
            var (shares, version) = await ReadSetAsync(share.JobId, cancellationToken);
            var updated = shares.Where(s => s.Blob != share.Blob).Append(share).OrderBy(s => s.Blob, StringComparer.Ordinal).ToList();
            var conditions = version is null ? new BlobRequestConditions { IfNoneMatch = ETag.All } : new BlobRequestConditions { IfMatch = version.Value };
            try
            {
                await set.UploadAsync(
                    BinaryData.FromString(EmissionsJson.Serialize(updated)),
                    new BlobUploadOptions { HttpHeaders = new BlobHttpHeaders { ContentType = "application/json" }, Conditions = conditions },
                    cancellationToken);
                return;
            }
            catch (RequestFailedException ex) when (ex.Status is 409 or 412 && attempt < ShareSaveAttempts)
            {
                // Another blob of the job saved its share meanwhile: add this one to the set as it is now.
            }
        }
    }

    public async Task<TelemetryShare?> GetShareAsync(string jobId, string blob, CancellationToken cancellationToken)
    {
        var (shares, _) = await ReadSetAsync(jobId, cancellationToken);
        return shares.FirstOrDefault(s => s.Blob == blob);
    }

    public async Task<IReadOnlyList<TelemetryShare>> ListSharesAsync(string jobId, CancellationToken cancellationToken)
    {
        await EnsureCreatedAsync(cancellationToken);
        return (await ReadSetAsync(jobId, cancellationToken)).Shares;
    }

    /// <summary>Where the shares of a job's telemetry blobs are kept, all in one document.</summary>
    public static string ShareSetName(string jobId) => $"{jobId}/shares.json";

    /// <summary>Where a share was kept, one blob each, before the shares of a job were kept together.</summary>
    public static string ShareName(string jobId, string blob) =>
        $"{jobId}/shares/{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(blob)))[..32]}.json";

    /// <summary>
    /// The job's shares with the set's version; without a set (a job none of whose blobs was counted yet, or one
    /// counted before the shares were kept together), the shares kept one blob each, and no version.
    /// </summary>
    private async Task<(IReadOnlyList<TelemetryShare> Shares, ETag? Version)> ReadSetAsync(string jobId, CancellationToken cancellationToken)
    {
        try
        {
            var content = await _container.GetBlobClient(ShareSetName(jobId)).DownloadContentAsync(cancellationToken);
            return (EmissionsJson.DeserializeShares(Encoding.UTF8.GetString(content.Value.Content.ToMemory().Span)) ?? [], content.Value.Details.ETag);
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            return (await ListSeparateSharesAsync(jobId, cancellationToken), null);
        }
    }

    private async Task<List<TelemetryShare>> ListSeparateSharesAsync(string jobId, CancellationToken cancellationToken)
    {
        var shares = new List<TelemetryShare>();
        try
        {
            await foreach (var item in _container.GetBlobsAsync(BlobTraits.None, BlobStates.None, prefix: $"{jobId}/shares/", cancellationToken))
            {
                try
                {
                    var content = await _container.GetBlobClient(item.Name).DownloadContentAsync(cancellationToken);
                    if (TelemetryShare.FromJson(Encoding.UTF8.GetString(content.Value.Content.ToMemory().Span)) is { } share)
                    {
                        shares.Add(share);
                    }
                }
                catch (RequestFailedException ex) when (ex.Status == 404)
                {
                    // Deleted between the listing and the download.
                }
            }
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            // No container yet: nothing was counted.
        }

        return shares;
    }

    private async Task WriteAsync(EmissionsReport report, BlobRequestConditions? conditions, CancellationToken cancellationToken)
    {
        await EnsureCreatedAsync(cancellationToken);
        var blob = _container.GetBlobClient(BlobName(report.JobId));
        await blob.UploadAsync(
            BinaryData.FromString(report.ToJson()),
            new BlobUploadOptions { HttpHeaders = new BlobHttpHeaders { ContentType = "application/json" }, Conditions = conditions },
            cancellationToken);

        var entity = new TableEntity(report.JobId, RowKey)
        {
            ["Status"] = report.Status.ToString(),
            ["Format"] = report.Format.ToString(),
            ["Source"] = report.Source,
            ["EnergyKwh"] = report.EnergyKwh,
            ["Pue"] = report.Pue,
            ["EmissionsKg"] = report.EmissionsKg,
            ["EmbodiedKg"] = report.EmbodiedKg,
            ["Sci"] = report.Sci,
            ["SciUnit"] = report.SciUnit,
            ["Devices"] = report.Devices.Count,
            ["Start"] = report.Start,
            ["End"] = report.End,
            ["Coverage"] = report.Coverage.Fraction,
            ["IntensitySource"] = report.IntensitySource.ToString(),
            ["Region"] = report.Region,
            ["Timezone"] = report.Timezone,
            ["CounterfactualKg"] = report.CounterfactualKg,
            ["SavingsKg"] = report.SavingsKg,
            ["ProblemCount"] = report.ProblemCount,
            ["FieldErrorCount"] = report.FieldErrorCount,
            ["Blobs"] = report.Blobs.Count,
            ["CoverageSummary"] = Truncate(report.Coverage.Summary),
            ["FirstProblem"] = report.Problems.Count > 0 ? Truncate(report.Problems[0].ToString()) : null,
            ["ReportBlob"] = $"{ContainerName}/{BlobName(report.JobId)}",
            ["ComputedAt"] = report.ComputedAt,
        };
        await _table.UpsertEntityAsync(entity, TableUpdateMode.Replace, cancellationToken);
    }

    public async Task<EmissionsReport?> GetAsync(string jobId, CancellationToken cancellationToken)
    {
        var blob = _container.GetBlobClient(BlobName(jobId));
        try
        {
            var content = await blob.DownloadContentAsync(cancellationToken);
            return EmissionsReport.FromJson(Encoding.UTF8.GetString(content.Value.Content.ToMemory().Span));
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            return null;
        }
    }

    /// <summary>The table row of a job's report, or null.</summary>
    public async Task<TableEntity?> GetRowAsync(string jobId, CancellationToken cancellationToken)
    {
        var row = await _table.GetEntityIfExistsAsync<TableEntity>(jobId, RowKey, cancellationToken: cancellationToken);
        return row.HasValue ? row.Value : null;
    }

    public static string BlobName(string jobId) => jobId + ".json";

    private static string Truncate(string text) => text.Length <= 1000 ? text : text[..1000];

    private async Task EnsureCreatedAsync(CancellationToken cancellationToken)
    {
        if (_created)
        {
            return;
        }

        await _container.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        await _table.CreateIfNotExistsAsync(cancellationToken);
        _created = true;
    }
}
