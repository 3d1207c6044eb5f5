namespace CarbonFunctions.Storage;

/// <summary>
/// Where the pipeline's tables, queues and blobs live. Bound from <c>Carbon:Storage</c>. Locally a connection
/// string (Azurite); in Azure an account name reached with a managed identity (no keys).
/// </summary>
public sealed record StorageOptions
{
    public const string SectionName = "Carbon:Storage";

    /// <summary>A connection string, e.g. UseDevelopmentStorage=true; takes precedence over <see cref="AccountName"/>.</summary>
    public string? ConnectionString { get; init; }

    /// <summary>The storage account name for identity-based access (DefaultAzureCredential).</summary>
    public string? AccountName { get; init; }

    /// <summary>"managedidentity" to use the managed identity only (as in Azure); the default credential chain otherwise.</summary>
    public string? Credential { get; init; }

    /// <summary>Client id of a user-assigned managed identity.</summary>
    public string? ClientId { get; init; }

    public string JobsQueue { get; init; } = "training-jobs";
    public string PoisonQueue { get; init; } = "training-jobs-poison";
    public string EventsQueue { get; init; } = "job-events";
    public string JobsTable { get; init; } = "jobs";
    public string TelemetryContainer { get; init; } = "telemetry";
    public string ReportsContainer { get; init; } = "reports";

    /// <summary>Deliveries of one message after which it is dead-lettered (the Functions host's maxDequeueCount is the same).</summary>
    public int MaxDequeueCount { get; init; } = 5;

    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(ConnectionString) && string.IsNullOrWhiteSpace(AccountName))
        {
            problems.Add($"{SectionName}: set ConnectionString (local) or AccountName (managed identity).");
        }

        if (MaxDequeueCount < 1)
        {
            problems.Add($"{SectionName}:MaxDequeueCount must be at least 1.");
        }

        foreach (var (name, value) in new[] { ("JobsQueue", JobsQueue), ("PoisonQueue", PoisonQueue), ("EventsQueue", EventsQueue), ("TelemetryContainer", TelemetryContainer), ("ReportsContainer", ReportsContainer) })
        {
            if (string.IsNullOrWhiteSpace(value) || value.Length < 3 || value.Length > 63 || value.Any(c => !(char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-')))
            {
                problems.Add($"{SectionName}:{name} '{value}' must be 3-63 lower-case letters, digits or '-'.");
            }
        }

        if (string.IsNullOrWhiteSpace(JobsTable) || !JobsTable.All(char.IsAsciiLetterOrDigit))
        {
            problems.Add($"{SectionName}:JobsTable '{JobsTable}' must be letters and digits.");
        }

        return problems;
    }
}
