namespace CarbonFunctions.Core.Jobs;

/// <summary>
/// Budget guards applied to every submitted job (the deadline check's start-up allowance and margin are
/// the planner's, <see cref="Planning.PlannerOptions"/>, so that the contract and the planner agree). Bound from configuration section
/// <c>Carbon:Jobs</c> and validated at start-up.
/// </summary>
public sealed record JobLimits
{
    public const string SectionName = "Carbon:Jobs";

    /// <summary>The Azure Storage queue message limit is 64 KiB; the contract stays well under it.</summary>
    public int MaxMessageBytes { get; init; } = 48 * 1024;

    public int MaxNodesPerJob { get; init; } = 16;

    /// <summary>How far ahead a deadline may be.</summary>
    public TimeSpan MaxDeadlineHorizon { get; init; } = TimeSpan.FromDays(14);

    public TimeSpan MaxEstimatedDuration { get; init; } = TimeSpan.FromDays(7);

    /// <summary>Allowed node sizes per provider; empty means any.</summary>
    public IReadOnlyList<string> AllowedAzureSizes { get; init; } = [];

    public IReadOnlyList<string> AllowedAwsInstanceTypes { get; init; } = [];

    /// <summary>Allowed regions (Azure and AWS names); empty means any.</summary>
    public IReadOnlyList<string> AllowedRegions { get; init; } = [];

    /// <summary>Returns the problems with these limits themselves, for start-up validation.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (MaxMessageBytes is < 256 or > 64 * 1024)
        {
            problems.Add($"{SectionName}:MaxMessageBytes must be between 256 and 65536, was {MaxMessageBytes}.");
        }

        if (MaxNodesPerJob < 1)
        {
            problems.Add($"{SectionName}:MaxNodesPerJob must be at least 1, was {MaxNodesPerJob}.");
        }

        if (MaxDeadlineHorizon <= TimeSpan.Zero)
        {
            problems.Add($"{SectionName}:MaxDeadlineHorizon must be positive.");
        }

        if (MaxEstimatedDuration <= TimeSpan.Zero)
        {
            problems.Add($"{SectionName}:MaxEstimatedDuration must be positive.");
        }

        return problems;
    }
}
