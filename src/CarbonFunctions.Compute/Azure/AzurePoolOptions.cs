namespace CarbonFunctions.Compute.Azure;

/// <summary>How Azure pools map onto compute resources.</summary>
public enum AzurePoolMode
{
    /// <summary>One VM scale set per pool (named by <see cref="AzurePoolOptions.ScaleSetNamePattern"/>, or one configured scale set).</summary>
    ScaleSet,

    /// <summary>Pre-created VMs carrying the pool tag; the first N by name are started.</summary>
    TaggedVms,
}

/// <summary>Where the Azure pools live. Bound from <c>Carbon:Pools:Azure</c>.</summary>
public sealed record AzurePoolOptions
{
    public const string SectionName = "Carbon:Pools:Azure";

    public string SubscriptionId { get; init; } = string.Empty;

    public string ResourceGroup { get; init; } = string.Empty;

    public AzurePoolMode Mode { get; init; } = AzurePoolMode.ScaleSet;

    /// <summary>Scale-set name for a pool; <c>{poolId}</c> is replaced by the pool id.</summary>
    public string ScaleSetNamePattern { get; init; } = "cf-{poolId}";

    /// <summary>An existing scale set used for every pool instead of the pattern (one pool at a time).</summary>
    public string? ScaleSetName { get; init; }

    /// <summary>Tag whose value is the pool id, on tagged VMs and on scale sets this adapter resized.</summary>
    public string PoolTagName { get; init; } = "carbon-pool";

    /// <summary>Stop sets the scale set's capacity to 0 (instances deleted, nothing billed); false deallocates and keeps them.</summary>
    public bool StopScalesToZero { get; init; } = true;

    /// <summary>Azure Resource Manager endpoint; the public cloud's unless set (sovereign clouds, tests).</summary>
    public Uri? ArmEndpoint { get; init; }

    /// <summary>Token audience for <see cref="ArmEndpoint"/>; defaults to the endpoint itself.</summary>
    public string? ArmAudience { get; init; }

    /// <summary>How often a long-running operation (start, deallocate, resize) is polled.</summary>
    public TimeSpan OperationPollInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Longest wait for one long-running operation before the call gives up (the operation goes on in Azure).</summary>
    public TimeSpan OperationTimeout { get; init; } = TimeSpan.FromMinutes(20);

    /// <summary>Returns the problems with these settings, for start-up validation.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(SubscriptionId))
        {
            problems.Add($"{SectionName}:SubscriptionId is required.");
        }

        if (string.IsNullOrWhiteSpace(ResourceGroup))
        {
            problems.Add($"{SectionName}:ResourceGroup is required.");
        }

        if (Mode == AzurePoolMode.ScaleSet && string.IsNullOrWhiteSpace(ScaleSetName) && !ScaleSetNamePattern.Contains("{poolId}", StringComparison.Ordinal))
        {
            problems.Add($"{SectionName}:ScaleSetNamePattern must contain {{poolId}} unless ScaleSetName is set.");
        }

        if (string.IsNullOrWhiteSpace(PoolTagName))
        {
            problems.Add($"{SectionName}:PoolTagName is required.");
        }

        if (OperationPollInterval <= TimeSpan.Zero || OperationTimeout <= OperationPollInterval)
        {
            problems.Add($"{SectionName}:OperationPollInterval must be positive and below OperationTimeout.");
        }

        return problems;
    }
}
