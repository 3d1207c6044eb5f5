using CarbonFunctions.Core.Emissions;
using CarbonFunctions.Core.Forecasts;
using CarbonFunctions.Core.Jobs;
using CarbonFunctions.Core.Lifecycle;
using CarbonFunctions.Core.Planning;
using CarbonFunctions.Core.Simulation;
using CarbonFunctions.Core.Telemetry;

namespace CarbonFunctions.Core.Tests.Emissions;

/// <summary>Forecast regret of an ended job: the measured run against its policy's hindsight plan, on the same actuals.</summary>
public sealed class ForecastRegretTests
{
    private static readonly DateTimeOffset T0 = new(2022, 6, 6, 0, 0, 0, TimeSpan.Zero);

    // California, 2022-06-06 00:00-11:00 UTC shape (gCO2e/kWh), then a flat tail past the deadline.
    private static readonly double[] Hours = [260, 248, 231, 190, 142, 96, 88, 101, 150, 205, 240, 255];

    private static readonly PlannerOptions Planner = new() { MinimumRunLength = TimeSpan.Zero, StartupAllowance = TimeSpan.Zero, DeadlineMargin = TimeSpan.Zero };

    private static CarbonIntensitySeries Actuals(int hours = 60)
    {
        var values = Hours.Concat(Enumerable.Repeat(300.0, 48)).Take(hours);
        return new CarbonIntensitySeries
        {
            Region = "westus",
            Kind = SeriesKind.Actual,
            Signal = SignalKind.Average,
            Source = "test",
            GeneratedAt = T0.AddDays(3),
            Points = [.. values.Select((g, i) => new CarbonIntensityPoint(T0.AddHours(i), TimeSpan.FromHours(1), g))],
        };
    }

    private static TrainingJob Job(int hours, bool interruptible) =>
        JobTrace.Job("regret-job", T0, TimeSpan.FromHours(hours), TimeSpan.FromHours(Hours.Length - hours), interruptible, PoolKind.Gpu, 1, 1, 1000, TimeSpan.Zero, null, "westus");

    private static JobPlan Plan(string policy, params (int From, int To)[] slots) => new()
    {
        JobId = "regret-job",
        Policy = policy,
        Region = "westus",
        PlannedAt = T0,
        Slots = [.. slots.Select(s => new PlannedSlot(T0.AddHours(s.From), T0.AddHours(s.To), 1, "westus", null))],
        ExpectedGramsCo2e = null,
        RunNowGramsCo2e = null,
        MeetsDeadline = true,
        ForecastGeneratedAt = T0.AddMinutes(-29),
    };

    private static JobState Completed(string policy, params (int From, int To)[] slots) => new()
    {
        JobId = "regret-job",
        UpdatedAt = T0.AddHours(12),
        Phase = new EndedPhase(new JobEnding(TerminalStatus.Completed, "the workload finished"), Plan(policy, slots), new PoolInUse("westus", 1)),
    };

    /// <summary>A report whose run drew <paramref name="kwhPerHour"/> in each of the given hours.</summary>
    private static EmissionsReport Report(double pue, double kwhPerHour, params int[] hours) => new()
    {
        JobId = "regret-job",
        Status = ReportStatus.Ok,
        Format = TelemetryFormat.NvidiaSmiCsv,
        Coverage = new Coverage(1, 0, []),
        Timezone = "UTC",
        Pue = pue,
        Start = T0.AddHours(hours[0]),
        End = T0.AddHours(hours[^1] + 1),
        Intervals = [.. hours.Select(h => new IntensityInterval(T0.AddHours(h), T0.AddHours(h + 1), kwhPerHour, Hours[h], IntensitySource.Actual, "test", SignalKind.Average, T0, kwhPerHour * Hours[h] * pue / 1000))],
    };

    [Fact]
    public void A_whole_window_run_at_the_forecasts_best_hours_is_compared_with_the_cheapest_window_on_actuals()
    {
        // The forecast put the 3 h job at 00:00-03:00; on actuals the cheapest 3 h are 05:00-08:00 (96 + 88 + 101).
        var outcome = ForecastRegretCalculator.Compute(Job(3, interruptible: false), Completed("best-window", (0, 3)), Report(1.2, 2, 0, 1, 2), Actuals(), Planner);

        Assert.Null(outcome.WhyNot);
        var regret = outcome.Regret!;
        Assert.Equal("best-window", regret.Policy);
        Assert.Equal(2 * (260 + 248 + 231) * 1.2 / 1000, regret.ForecastPlanKg, 9);
        Assert.Equal(2 * (96 + 88 + 101) * 1.2 / 1000, regret.HindsightPlanKg, 9);
        Assert.Equal(2 * ((260 + 248 + 231) - (96 + 88 + 101)) * 1.2 / 1000, regret.RegretKg, 9);
        Assert.Equal([new TimeRange(T0.AddHours(5), T0.AddHours(8))], regret.HindsightWindows);
        Assert.Equal(T0.AddMinutes(-29), regret.LastForecastAt);
        Assert.Contains("forecast regret 1.09 kg", regret.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public void A_paused_run_keeps_its_measured_energy_and_is_laid_into_the_cheapest_hours()
    {
        // Ran 00-02 and 09-11 (1 kWh an hour, PUE 1); without resume overhead the cheapest 4 hours are 04-08.
        var outcome = ForecastRegretCalculator.Compute(Job(4, interruptible: true), Completed("suspend-resume", (0, 2), (9, 11)), Report(1, 1, 0, 1, 9, 10), Actuals(), Planner);

        var regret = outcome.Regret!;
        Assert.Equal((260 + 248 + 205 + 240) / 1000.0, regret.ForecastPlanKg, 9);
        Assert.Equal((142 + 96 + 88 + 101) / 1000.0, regret.HindsightPlanKg, 9);
        Assert.Equal(0.526, regret.RegretKg, 9);
    }

    [Fact]
    public void A_run_that_was_at_the_best_hours_has_no_regret()
    {
        var outcome = ForecastRegretCalculator.Compute(Job(3, interruptible: false), Completed("best-window", (5, 8)), Report(1.5, 3, 5, 6, 7), Actuals(), Planner);

        Assert.Equal(0, outcome.Regret!.RegretKg, 9);
    }

    [Fact]
    public void Measured_energy_moves_into_a_plan_on_more_nodes_by_node_time()
    {
        // Four measured hours of 1 kWh at one node into one hour on four nodes: a quarter of an hour each.
        var measured = Enumerable.Range(0, 4).Select(h => new IntensityInterval(T0.AddHours(h), T0.AddHours(h + 1), 1, null, IntensitySource.Actual, null, null, null, 0)).ToList();
        var pieces = ForecastRegretCalculator.Relocate(measured, [new PlannedSlot(T0.AddHours(6), T0.AddHours(7), 4, "westus", null)]);

        Assert.Equal(
            [(T0.AddHours(6), T0.AddHours(6).AddMinutes(15), 1.0), (T0.AddHours(6).AddMinutes(15), T0.AddHours(6).AddMinutes(30), 1.0),
             (T0.AddHours(6).AddMinutes(30), T0.AddHours(6).AddMinutes(45), 1.0), (T0.AddHours(6).AddMinutes(45), T0.AddHours(7), 1.0)],
            pieces);
    }

    [Fact]
    public void Regret_waits_for_the_job_to_complete_and_for_actuals_to_cover_its_window()
    {
        var running = Completed("best-window", (0, 3)) with { Phase = new RunningPhase(Plan("best-window", (0, 3)), 0, new PoolInUse("westus", 1), T0, T0, T0.AddHours(3)) };
        Assert.Contains("Running", ForecastRegretCalculator.Compute(Job(3, false), running, Report(1, 1, 0, 1, 2), Actuals(), Planner).WhyNot, StringComparison.Ordinal);

        // Actuals up to 06:00 only: the deadline (12:00) is not covered.
        var early = ForecastRegretCalculator.Compute(Job(3, false), Completed("best-window", (0, 3)), Report(1, 1, 0, 1, 2), Actuals(hours: 6), Planner);
        Assert.Null(early.Regret);
        Assert.Contains("does not cover", early.WhyNot, StringComparison.Ordinal);
    }
}
