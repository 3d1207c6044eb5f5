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
    public string EventsQueue { get; init; } = "job-events";

    /// <summary>
    /// Dead-letter queues are named as the Functions runtime names them (<c>{queue}-poison</c>), so that what it moves
    /// after its own retries and what the pipeline dead-letters with a reason land in the same place.
    /// </summary>
    public string JobsPoisonQueue => JobsQueue + PoisonSuffix;

    public string EventsPoisonQueue => EventsQueue + PoisonSuffix;

    /// <summary>Where a dead-lettered body too large for a queue message is kept (the poison record points to it).</summary>
    public string PoisonContainer { get; init; } = "poison";

    private const string PoisonSuffix = "-poison";
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

        foreach (var (name, value, max) in new[] { ("JobsQueue", JobsQueue, 63 - PoisonSuffix.Length), ("EventsQueue", EventsQueue, 63 - PoisonSuffix.Length), ("TelemetryContainer", TelemetryContainer, 63), ("ReportsContainer", ReportsContainer, 63), ("PoisonContainer", PoisonContainer, 63) })
        {
            if (string.IsNullOrWhiteSpace(value) || value.Length < 3 || value.Length > max || value.Any(c => !(char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-')))
            {
                problems.Add($"{SectionName}:{name} '{value}' must be 3-{max} lower-case letters, digits or '-'.");
            }
        }

        if (string.IsNullOrWhiteSpace(JobsTable) || !JobsTable.All(char.IsAsciiLetterOrDigit))
        {
            problems.Add($"{SectionName}:JobsTable '{JobsTable}' must be letters and digits.");
        }

        return problems;
    }
}
