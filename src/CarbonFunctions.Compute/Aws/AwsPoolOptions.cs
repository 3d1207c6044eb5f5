namespace CarbonFunctions.Compute.Aws;

/// <summary>Where and how the Gaudi (DL1) pools run on AWS. Bound from <c>Carbon:Pools:Aws</c>.</summary>
public sealed record AwsPoolOptions
{
    public const string SectionName = "Carbon:Pools:Aws";

    /// <summary>Region system name; DL1 is offered in a few regions only (e.g. us-east-1, us-west-2).</summary>
    public string Region { get; init; } = "us-east-1";

    /// <summary>Endpoint override (VPC endpoint, tests); the region's public endpoint when null.</summary>
    public Uri? ServiceUrl { get; init; }

    /// <summary>Tag whose value is the pool id, on every instance of a pool.</summary>
    public string PoolTagName { get; init; } = "carbon-pool";

    public string InstanceType { get; init; } = "dl1.24xlarge";

    /// <summary>When set (id or name), pools are launched from this template and terminated on stop; otherwise pre-created tagged instances are started and stopped.</summary>
    public string? LaunchTemplateId { get; init; }

    public string? LaunchTemplateName { get; init; }

    /// <summary>Template version; "$Default" when null.</summary>
    public string? LaunchTemplateVersion { get; init; }

    public int MaxNodesPerPool { get; init; } = 4;

    /// <summary>Instances that may be pending or running across all AWS pools at once.</summary>
    public int MaxTotalNodes { get; init; } = 8;

    public bool LaunchesInstances => !string.IsNullOrWhiteSpace(LaunchTemplateId) || !string.IsNullOrWhiteSpace(LaunchTemplateName);

    /// <summary>Returns the problems with these settings, for start-up validation.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(Region))
        {
            problems.Add($"{SectionName}:Region is required.");
        }

        if (string.IsNullOrWhiteSpace(PoolTagName) || string.IsNullOrWhiteSpace(InstanceType))
        {
            problems.Add($"{SectionName}:PoolTagName and InstanceType are required.");
        }

        if (MaxNodesPerPool < 1 || MaxTotalNodes < MaxNodesPerPool)
        {
            problems.Add($"{SectionName}:MaxNodesPerPool must be at least 1 and not above MaxTotalNodes.");
        }

        return problems;
    }
}
