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
/// figures for queries; the blob's ETag is the report's version for conditional saves. The share of each
/// telemetry blob is <c>reports/{jobId}/shares/{hash of the blob name}.json</c> (names can be long and nested).
/// </summary>
public sealed class EmissionsReportStore : IEmissionsReportStore
{
    public const string ContainerName = "reports";
    public const string TableName = "emissions";
    private const string RowKey = "report";

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
        await _container.GetBlobClient(ShareName(share.JobId, share.Blob)).UploadAsync(
            BinaryData.FromString(share.ToJson()),
            new BlobUploadOptions { HttpHeaders = new BlobHttpHeaders { ContentType = "application/json" } },
            cancellationToken);
    }

    public async Task<TelemetryShare?> GetShareAsync(string jobId, string blob, CancellationToken cancellationToken)
    {
        try
        {
            var content = await _container.GetBlobClient(ShareName(jobId, blob)).DownloadContentAsync(cancellationToken);
            return TelemetryShare.FromJson(Encoding.UTF8.GetString(content.Value.Content.ToMemory().Span));
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            return null;
        }
    }

    public async Task<IReadOnlyList<TelemetryShare>> ListSharesAsync(string jobId, CancellationToken cancellationToken)
    {
        await EnsureCreatedAsync(cancellationToken);
        var shares = new List<TelemetryShare>();
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

        return shares;
    }

    /// <summary>Where the share of a telemetry blob is kept.</summary>
    public static string ShareName(string jobId, string blob) =>
        $"{jobId}/shares/{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(blob)))[..32]}.json";

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
