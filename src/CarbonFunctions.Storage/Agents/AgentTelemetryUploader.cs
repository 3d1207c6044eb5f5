using System.Text;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using CarbonFunctions.Core.Agents;

namespace CarbonFunctions.Storage.Agents;

/// <summary>
/// Uploads a node agent's power readings to the telemetry container as numbered chunks
/// (<see cref="AgentTelemetry.BlobName"/>), each a complete CSV with its header, so that every chunk parses alone.
/// </summary>
public sealed class AgentTelemetryUploader(StorageClients clients)
{
    private readonly BlobContainerClient _container = clients.Blobs.GetBlobContainerClient(clients.Options.TelemetryContainer);
    private bool _created;

    /// <summary>Uploads (overwrites: a retried chunk has the same name and content) and returns the blob name.</summary>
    public async Task<string> UploadAsync(
        string jobId,
        string node,
        DateTimeOffset segmentStart,
        int chunk,
        string header,
        IReadOnlyList<string> rows,
        IReadOnlyDictionary<string, string> metadata,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(metadata);
        var name = AgentTelemetry.BlobName(jobId, node, segmentStart, chunk);
        var text = new StringBuilder(header.Length + (rows.Count * 48));
        text.Append(header).Append('\n');
        foreach (var row in rows)
        {
            text.Append(row).Append('\n');
        }

        if (!_created)
        {
            await _container.CreateIfNotExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            _created = true;
        }

        await _container.GetBlobClient(name).UploadAsync(
            BinaryData.FromString(text.ToString()),
            new BlobUploadOptions
            {
                HttpHeaders = new BlobHttpHeaders { ContentType = "text/csv" },
                Metadata = new Dictionary<string, string>(metadata),
            },
            cancellationToken).ConfigureAwait(false);
        return name;
    }
}
