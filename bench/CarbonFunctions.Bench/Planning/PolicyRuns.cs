using CarbonFunctions.Core.Jobs;
using CarbonFunctions.Core.Planning;

namespace CarbonFunctions.Bench.Planning;

/// <summary>
/// One policy over every region of a job, the way the planner loops over regions: the least emissions
/// (intensity × node-hours, known forecast only in this workload) over the regions, first region on ties.
/// Used to compare the exact programme with the legacy heuristic on exactly the same contexts.
/// </summary>
internal static class PolicyRuns
{
    public static double BestOverRegions(TrainingJob job, PlannerWorkload w, Func<PlanContext, Timeline, List<Run>?> policy)
    {
        var c = JobPlanner.ContextFor(job, w.Input(), w.Options);
        var best = double.PositiveInfinity;
        foreach (var region in job.Regions)
        {
            var t = Timeline.For(w.Forecasts[region]);
            var runs = policy(c, t);
            if (runs is null)
            {
                continue;
            }

            best = Math.Min(best, Cost(t, runs));
        }

        return best;
    }

    /// <summary>Intensity × node-hours of the runs (g/kWh × h per node): grams per kW of node power.</summary>
    public static double Cost(Timeline t, List<Run> runs)
    {
        double total = 0;
        foreach (var r in runs)
        {
            total += r.Nodes * t.Cost(r.Start, r.End);
        }

        return total;
    }

    /// <summary>Running at once (after the start-up allowance) in the job's first region, as the planner's baseline.</summary>
    public static double RunNow(TrainingJob job, PlannerWorkload w)
    {
        var c = JobPlanner.ContextFor(job, w.Input(), w.Options);
        var t = Timeline.For(w.Forecasts[job.Regions[0]]);
        return c.MinNodes * t.Cost(c.EarliestStart, c.EarliestStart + c.SingleRunTime);
    }
}
