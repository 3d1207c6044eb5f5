using CarbonFunctions.Core.Jobs;
using CarbonFunctions.Core.Lifecycle;
using CarbonFunctions.Core.Planning;

namespace CarbonFunctions.Handlers.Lifecycle;

/// <summary>Plans (or re-plans the remaining work of) a job against the forecasts known now.</summary>
public interface IJobPlanSource
{
    /// <param name="state">Null for a new job; the current state when re-planning.</param>
    Task<JobPlan> PlanAsync(TrainingJob job, JobState? state, DateTimeOffset now, CancellationToken cancellationToken);
}
