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
/// figures for queries. Saving again replaces both, so a retried trigger is harmless.
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
        await EnsureCreatedAsync(cancellationToken);
        var blob = _container.GetBlobClient(BlobName(report.JobId));
        await blob.UploadAsync(
            BinaryData.FromString(report.ToJson()),
            new BlobUploadOptions { HttpHeaders = new BlobHttpHeaders { ContentType = "application/json" } },
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
