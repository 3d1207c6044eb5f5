namespace CarbonFunctions.Compute.Budget;

/// <summary>Limits across every pool of every provider. Bound from <c>Carbon:Pools</c>.</summary>
public sealed record PoolsOptions
{
    public const string SectionName = "Carbon:Pools";

    /// <summary>Nodes that may run at once across all pools and providers; a request beyond it is refused.</summary>
    public int MaxTotalNodes { get; init; } = 32;

    /// <summary>Returns the problems with these limits, for start-up validation.</summary>
    public IReadOnlyList<string> Validate() =>
        MaxTotalNodes < 1 ? [$"{SectionName}:MaxTotalNodes must be at least 1, was {MaxTotalNodes}."] : [];
}
