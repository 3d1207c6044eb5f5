namespace CarbonFunctions.Core.Planning;

/// <summary>Non-interruptible: the contiguous window before the deadline with the lowest mean intensity.</summary>
internal static class BestWindowPolicy
{
    /// <summary>One run; null when the job cannot finish by the deadline.</summary>
    public static List<Run>? Plan(PlanContext c, Timeline t, int nodes, long runTime)
    {
        if (c.Now + runTime > c.Deadline)
        {
            return null;
        }

        // A running job's current stretch is not moved, and an unforecast stretch is never waited for.
        var start = c.Running ? c.Now : WindowSearch.Best(t, c.Now, c.Deadline, runTime) ?? c.Now;
        return [new Run(start, start + runTime, nodes)];
    }
}
