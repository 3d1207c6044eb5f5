using Azure.Core;
using Azure.Data.Tables;
using Azure.Identity;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;

namespace CarbonFunctions.Storage;

/// <summary>Creates the Azure Storage clients for <see cref="StorageOptions"/>: a connection string locally, managed identity in Azure.</summary>
public sealed class StorageClients
{
    /// <param name="options">Where the account is and how to reach it.</param>
    /// <param name="configureClients">
    /// Called on each client's options before the client is built (retry settings, an extra pipeline policy); the
    /// fault-injection tests put their failing policy in here.
    /// </param>
    public StorageClients(StorageOptions options, Action<ClientOptions>? configureClients = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        Options = options;
        var queueOptions = new QueueClientOptions { MessageEncoding = QueueMessageEncoding.None };
        var tableOptions = new TableClientOptions();
        var blobOptions = new BlobClientOptions();
        configureClients?.Invoke(queueOptions);
        configureClients?.Invoke(tableOptions);
        configureClients?.Invoke(blobOptions);
        if (!string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            Tables = new TableServiceClient(options.ConnectionString, tableOptions);
            Queues = new QueueServiceClient(options.ConnectionString, queueOptions);
            Blobs = new BlobServiceClient(options.ConnectionString, blobOptions);
        }
        else
        {
            // The same convention as the Functions host's AzureWebJobsStorage__credential / __clientId settings.
            Azure.Core.TokenCredential credential = string.Equals(options.Credential, "managedidentity", StringComparison.OrdinalIgnoreCase)
                ? new ManagedIdentityCredential(options.ClientId is null ? ManagedIdentityId.SystemAssigned : ManagedIdentityId.FromUserAssignedClientId(options.ClientId))
                : new DefaultAzureCredential(new DefaultAzureCredentialOptions { ManagedIdentityClientId = options.ClientId });
            var account = options.AccountName;
            Tables = new TableServiceClient(new Uri($"https://{account}.table.core.windows.net"), credential, tableOptions);
            Queues = new QueueServiceClient(new Uri($"https://{account}.queue.core.windows.net"), credential, queueOptions);
            Blobs = new BlobServiceClient(new Uri($"https://{account}.blob.core.windows.net"), credential, blobOptions);
        }
    }

    public StorageOptions Options { get; }
    public TableServiceClient Tables { get; }
    public QueueServiceClient Queues { get; }
    public BlobServiceClient Blobs { get; }

    /// <summary>Creates every queue, table and container the pipeline uses (idempotent; done up front by the infra in Azure).</summary>
    public async Task EnsureCreatedAsync(CancellationToken cancellationToken = default)
    {
        foreach (var queue in new[] { Options.JobsQueue, Options.JobsPoisonQueue, Options.EventsQueue, Options.EventsPoisonQueue })
        {
            await Queues.GetQueueClient(queue).CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        }

        await Tables.CreateTableIfNotExistsAsync(Options.JobsTable, cancellationToken);
        foreach (var container in new[] { Options.TelemetryContainer, Options.ReportsContainer, Options.PoisonContainer })
        {
            await Blobs.GetBlobContainerClient(container).CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        }
    }
}
