namespace CarbonFunctions.Core.Planning;

/// <summary>
/// Non-interruptible: the contiguous window with the lowest mean intensity that starts once a pool asked
/// for now is up and ends the margin before the deadline. Exact: every point boundary is a candidate start.
/// </summary>
internal static class BestWindowPolicy
{
    /// <summary>One run; null when the job cannot finish by the deadline.</summary>
    public static List<Run>? Plan(PlanContext c, Timeline t, int nodes, long runTime)
    {
        var from = c.EarliestStart;
        if (from + runTime > c.LatestEnd)
        {
            return null;
        }

        // A running job's current stretch is not moved, and an unforecast stretch is never waited for.
        var start = c.Running ? c.Now : WindowSearch.Best(t, from, c.LatestEnd, runTime) ?? from;
        return [new Run(start, start + runTime, nodes)];
    }
}
