using System.Text.Json.Serialization;

namespace CarbonFunctions.Core.Planning;

/// <summary>One stretch of planned running: [Start, End) on <see cref="Nodes"/> nodes in <see cref="Region"/>.</summary>
/// <remarks><see cref="ExpectedGramsCo2e"/> is null when part of the slot has no forecast (unknown, not zero).</remarks>
public sealed record PlannedSlot(DateTimeOffset Start, DateTimeOffset End, int Nodes, string Region, double? ExpectedGramsCo2e)
{
    public TimeSpan Duration => End - Start;
}

/// <summary>
/// When, where and on how many nodes a job runs. Slots are sorted and do not overlap; the pool is
/// paused between slots that do not touch.
/// </summary>
public sealed record JobPlan
{
    public required string JobId { get; init; }
    public required string Policy { get; init; }
    public required string Region { get; init; }
    public required DateTimeOffset PlannedAt { get; init; }
    public required IReadOnlyList<PlannedSlot> Slots { get; init; }

    /// <summary>Expected emissions of the plan (operational, before PUE), in grams CO2e; null when part of the plan has no forecast.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)] // null means unknown: always written, so that it reads back as unknown
    public required double? ExpectedGramsCo2e { get; init; }

    /// <summary>
    /// What running immediately (once a pool asked for now is up) in the first candidate region with a forecast
    /// would emit, in grams CO2e; null when that forecast does not cover the whole run.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public required double? RunNowGramsCo2e { get; init; }

    /// <summary>True when the plan finishes by the deadline.</summary>
    public required bool MeetsDeadline { get; init; }

    /// <summary>The forecast vintage the plan was made from; null when it was made without a forecast.</summary>
    public DateTimeOffset? ForecastGeneratedAt { get; init; }

    /// <summary>True when the forecast covers the whole plan, so <see cref="ExpectedGramsCo2e"/> is a number.</summary>
    public bool EmissionsKnown => ExpectedGramsCo2e is not null;

    /// <summary>
    /// How long before a slot's start the pool is asked for, so that work starts on the slot's start (the
    /// start-up allowance the plan was made with; zero for plans made before allowances existed).
    /// </summary>
    public TimeSpan StartupAllowance { get; init; }

    /// <summary>Why the plan is not the policy's optimum (stale or missing forecast, deadline fallback), if it is not.</summary>
    public string? Warning { get; init; }

    public DateTimeOffset? Start => Slots.Count == 0 ? null : Slots[0].Start;
    public DateTimeOffset? End => Slots.Count == 0 ? null : Slots[^1].End;
}
