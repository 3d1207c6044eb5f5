using CarbonFunctions.Core.Planning;

namespace CarbonFunctions.Core.Simulation;

/// <summary>
/// The one place that reads a plan's emission figures: null where the plan was made without a forecast (the figures are
/// unknown, not zero). Every simulator, report and demo read goes through here, so that a change of
/// <see cref="JobPlan"/>'s grams to nullable numbers is adapted in one spot.
/// </summary>
public static class PlanGrams
{
    /// <summary>The plan's expected grams CO2e (operational, before PUE), or null when unknown.</summary>
    public static double? Expected(JobPlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        return plan.EmissionsKnown ? plan.ExpectedGramsCo2e : null;
    }

    /// <summary>What the planner estimated running at once would emit, by the same forecast, or null when unknown.</summary>
    public static double? RunNow(JobPlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        return plan.EmissionsKnown ? plan.RunNowGramsCo2e : null;
    }
}
