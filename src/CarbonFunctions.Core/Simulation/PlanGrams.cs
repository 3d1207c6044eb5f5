using CarbonFunctions.Core.Planning;

namespace CarbonFunctions.Core.Simulation;

/// <summary>
/// The one place the simulator, the report and the demo read a plan's emission figures: null where no forecast covered
/// the time (unknown, not zero), as <see cref="JobPlan"/> carries them.
/// </summary>
public static class PlanGrams
{
    /// <summary>The plan's expected grams CO2e (operational, before PUE), or null when unknown.</summary>
    public static double? Expected(JobPlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        return plan.ExpectedGramsCo2e;
    }

    /// <summary>What the planner estimated running at once would emit, by the same forecast, or null when unknown.</summary>
    public static double? RunNow(JobPlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        return plan.RunNowGramsCo2e;
    }
}
