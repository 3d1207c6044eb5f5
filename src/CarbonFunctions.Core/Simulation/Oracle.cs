using CarbonFunctions.Core.Jobs;
using CarbonFunctions.Core.Planning;

namespace CarbonFunctions.Core.Simulation;

/// <summary>
/// Plans with perfect knowledge: the job's constraints planned by <see cref="JobPlanner"/> at submission on the actual
/// trace up to (and a day past) the deadline. The oracle takes the best policy the job allows; a hindsight plan keeps
/// one policy (the yardstick of forecast regret).
/// </summary>
public static class Oracle
{
    /// <summary>The policies a job's constraints allow: a single window always, pauses when interruptible, resizing when elastic.</summary>
    public static IReadOnlyList<string> PoliciesFor(TrainingJob job)
    {
        ArgumentNullException.ThrowIfNull(job);
        var policies = new List<string> { "run-now", "best-window" };
        if (job.Interruptible)
        {
            policies.Add("suspend-resume");
        }

        if (job.IsElastic)
        {
            policies.Add("elastic");
        }

        return policies;
    }

    /// <summary>The least-emission plan over every policy the job allows, on actuals.</summary>
    public static JobPlan Plan(TrainingJob job, IntensityTrace actuals, PlannerOptions options)
    {
        JobPlan? best = null;
        foreach (var policy in PoliciesFor(job))
        {
            var plan = Hindsight(job, policy, actuals, options);
            if (!plan.MeetsDeadline && best is not null)
            {
                continue;
            }

            if (best is null || (plan.MeetsDeadline && !best.MeetsDeadline) || (PlanGrams.Expected(plan) ?? double.MaxValue) < (PlanGrams.Expected(best) ?? double.MaxValue) - 1e-9)
            {
                best = plan;
            }
        }

        return best! with { Policy = "oracle:" + best!.Policy };
    }

    /// <summary>The plan <paramref name="policy"/> makes at submission knowing the actual intensities.</summary>
    public static JobPlan Hindsight(TrainingJob job, string policy, IntensityTrace actuals, PlannerOptions options)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(actuals);
        var submitted = job.SubmittedAt ?? throw new ArgumentException($"job {job.Id} has no submission time", nameof(job));
        var until = (job.Deadline > submitted + job.EstimatedDuration ? job.Deadline : submitted + job.EstimatedDuration) + TimeSpan.FromDays(1);
        var window = actuals.Window(submitted, until, submitted);
        return JobPlanner.Plan(job, new PlanningInput { Now = submitted, Forecasts = new Dictionary<string, Forecasts.CarbonIntensitySeries> { [job.Regions[0]] = window }, PolicyOverride = policy }, options);
    }
}
