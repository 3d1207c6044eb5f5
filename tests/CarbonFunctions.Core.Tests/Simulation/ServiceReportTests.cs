using CarbonFunctions.Core.Emissions;
using CarbonFunctions.Core.Jobs;
using CarbonFunctions.Core.Lifecycle;
using CarbonFunctions.Core.Planning;
using CarbonFunctions.Core.Reporting;
using CarbonFunctions.Core.Simulation;
using CarbonFunctions.Core.Telemetry;

namespace CarbonFunctions.Core.Tests.Simulation;

/// <summary>The service's jobs as the HTML report's model: windows from plans and history, bars over the jobs that have each figure.</summary>
public sealed class ServiceReportTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);

    private static TrainingJob Job(string id) =>
        JobTrace.Job(id, T0, TimeSpan.FromHours(2), TimeSpan.FromHours(10), true, PoolKind.Gpu, 1, 1, 1000, TimeSpan.Zero, null, "westus");

    private static JobState State(string id, params JobTransition[] history) => new()
    {
        JobId = id,
        UpdatedAt = T0.AddHours(9),
        History = history,
        Phase = new EndedPhase(
            new JobEnding(TerminalStatus.Completed, "the workload finished"),
            new JobPlan
            {
                JobId = id, Policy = "suspend-resume", Region = "westus", PlannedAt = T0,
                Slots = [new PlannedSlot(T0.AddHours(3), T0.AddHours(4), 1, "westus", 100), new PlannedSlot(T0.AddHours(6), T0.AddHours(7), 1, "westus", 100)],
                ExpectedGramsCo2e = 200, RunNowGramsCo2e = 400, MeetsDeadline = true,
            },
            new PoolInUse("westus", 1)),
    };

    private static EmissionsReport Report(string id, double kg, double? counterfactual, ForecastRegret? regret) => new()
    {
        JobId = id, Status = ReportStatus.Ok, Format = TelemetryFormat.NvidiaSmiCsv, Coverage = new Coverage(1, 0, []), Timezone = "UTC",
        EmissionsKg = kg, CounterfactualKg = counterfactual, ForecastRegret = regret,
    };

    [Fact]
    public void Run_windows_come_from_the_history_and_each_pair_of_bars_counts_the_same_jobs()
    {
        var regret = new ForecastRegret { Policy = "suspend-resume", Region = "westus", ForecastPlanKg = 1.5, HindsightPlanKg = 1.2, Summary = "r" };
        var a = new ServiceJob(Job("a"), State("a",
            new JobTransition(T0, JobStatus.Queued, JobStatus.Planned, "planned"),
            new JobTransition(T0.AddHours(3), JobStatus.Planned, JobStatus.Running, "slot"),
            new JobTransition(T0.AddHours(4), JobStatus.Running, JobStatus.Paused, "pause"),
            new JobTransition(T0.AddHours(6), JobStatus.Paused, JobStatus.Running, "slot"),
            new JobTransition(T0.AddHours(7), JobStatus.Running, JobStatus.Completed, "done")), null, Report("a", 1.5, 2.5, regret));
        var b = new ServiceJob(Job("b"), State("b"), null, Report("b", 0.5, null, null));
        var c = new ServiceJob(Job("c"), State("c"), null, null);

        var model = ServiceReport.ToModel("t", [a, b, c], null);

        Assert.Equal([(T0.AddHours(3), T0.AddHours(4)), (T0.AddHours(6), T0.AddHours(7))], model.Jobs[0].Ran);
        Assert.Equal([(T0.AddHours(3), T0.AddHours(4)), (T0.AddHours(6), T0.AddHours(7))], model.Jobs[0].Planned);
        Assert.Equal(0.3, model.Jobs[0].RegretKg!.Value, 9);
        Assert.Null(model.Jobs[1].RegretKg);
        Assert.Null(model.Jobs[2].Kg);
        // Each pair of bars counts the same jobs: all measured ones with their counterfactual where known, and the one with regret.
        Assert.Equal([(ServiceReport.MeasuredBar, 2.0), (ServiceReport.CounterfactualBar, 2.5), ("measured (1 job)", 1.5), ("hindsight (1 job)", 1.2)], model.PolicyTotals);
        Assert.Contains("3 job(s); 2 with an emissions report, 1 with a forecast regret", model.Notes[0], StringComparison.Ordinal);
    }
}
