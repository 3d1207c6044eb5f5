using System.Globalization;
using CarbonFunctions.Core.Forecasts;
using CarbonFunctions.Core.Jobs;
using CarbonFunctions.Core.Lifecycle;
using CarbonFunctions.Core.Planning;

namespace CarbonFunctions.Core.Emissions;

/// <summary>
/// What the forecasts cost an ended job: the run as it happened (planned and re-planned on forecasts), against the plan
/// the same policy would have made at submission had it known the actual intensities (the hindsight plan). Both sides
/// carry the same measured energy and the same PUE and are valued on the same actuals, so the difference is only where
/// the energy was placed in time.
/// </summary>
public sealed record ForecastRegret
{
    /// <summary>The policy the job ran under; the hindsight plan keeps it.</summary>
    public required string Policy { get; init; }

    public required string Region { get; init; }

    /// <summary>The measured run valued on actual intensity, PUE included (kg CO2e).</summary>
    public required double ForecastPlanKg { get; init; }

    /// <summary>The same measured energy laid into the hindsight plan's slots, valued on actual intensity, PUE included.</summary>
    public required double HindsightPlanKg { get; init; }

    /// <summary>ForecastPlanKg − HindsightPlanKg: positive when forecast error cost carbon.</summary>
    public double RegretKg => ForecastPlanKg - HindsightPlanKg;

    /// <summary>The hindsight plan's run windows.</summary>
    public IReadOnlyList<TimeRange> HindsightWindows { get; init; } = [];

    /// <summary>When the forecast the job was last planned on was published (null when the plan does not say).</summary>
    public DateTimeOffset? LastForecastAt { get; init; }

    /// <summary>One line for people.</summary>
    public string Summary { get; init; } = "";
}

/// <summary>The regret of an ended job, or why it cannot be known yet.</summary>
public sealed record ForecastRegretOutcome(ForecastRegret? Regret, string? WhyNot);

/// <summary>
/// Computes <see cref="ForecastRegret"/> from a job, its final state, its emissions report and stored actuals. Pure.
/// </summary>
public static class ForecastRegretCalculator
{
    /// <summary>How far past the deadline the hindsight plan may see (the planner values time past its series at the mean).</summary>
    public static readonly TimeSpan Lookahead = TimeSpan.FromDays(1);

    /// <summary>The actuals window the hindsight plan needs: from submission to a day past the deadline or the run's end.</summary>
    public static (DateTimeOffset From, DateTimeOffset To)? ActualsWindow(TrainingJob job, EmissionsReport report)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(report);
        if (job.SubmittedAt is not { } submitted)
        {
            return null;
        }

        var end = report.End is { } e && e > job.Deadline ? e : job.Deadline;
        return (submitted, end + Lookahead);
    }

    public static ForecastRegretOutcome Compute(TrainingJob job, JobState state, EmissionsReport report, CarbonIntensitySeries? actuals, PlannerOptions options)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(options);
        if (state.Status != JobStatus.Completed)
        {
            return new(null, $"the job is {state.Status}: regret is known once it has completed");
        }

        if (job.SubmittedAt is not { } submitted)
        {
            return new(null, "the job has no submission time");
        }

        if (state.Plan is not { } plan || state.Region is not { } region)
        {
            return new(null, "the job has no plan or region on record");
        }

        var measured = report.Intervals.Where(i => i.End > i.Start && i.EnergyKwh > 0).OrderBy(i => i.Start).ToList();
        if (measured.Count == 0 || report.Pue <= 0)
        {
            return new(null, "the report has no measured energy");
        }

        var (from, to) = ActualsWindow(job, report)!.Value;
        var runFrom = measured[0].Start < submitted ? measured[0].Start : submitted;
        if (actuals is null || !actuals.Covers(runFrom, job.Deadline > measured[^1].End ? job.Deadline : measured[^1].End))
        {
            return new(null, string.Create(CultureInfo.InvariantCulture, $"actual intensity for {region} does not cover {runFrom:yyyy-MM-dd HH:mm}Z to the deadline {job.Deadline:yyyy-MM-dd HH:mm}Z yet"));
        }

        // The hindsight plan: the same policy, at submission, with the actuals as its forecast.
        var known = actuals with { Kind = SeriesKind.Forecast, GeneratedAt = submitted, Points = [.. actuals.Between(from, to)] };
        var hindsight = JobPlanner.Plan(job, new PlanningInput
        {
            Now = submitted,
            Forecasts = new Dictionary<string, CarbonIntensitySeries>(StringComparer.Ordinal) { [region] = known },
            PolicyOverride = plan.Policy,
        }, options);
        if (hindsight.Slots.Count == 0)
        {
            return new(null, "the hindsight plan has no slots");
        }

        var pue = report.Pue;
        var forecastKg = measured.Sum(i => i.EnergyKwh * MeanIntensity(actuals, i.Start, i.End) * pue / 1000);
        var hindsightKg = Relocate(measured, hindsight.Slots).Sum(p => p.Kwh * MeanIntensity(actuals, p.Start, p.End) * pue / 1000);
        var regret = new ForecastRegret
        {
            Policy = plan.Policy,
            Region = region,
            ForecastPlanKg = forecastKg,
            HindsightPlanKg = hindsightKg,
            HindsightWindows = [.. hindsight.Slots.Select(s => new TimeRange(s.Start, s.End))],
            LastForecastAt = plan.ForecastGeneratedAt,
        };
        return new(regret with
        {
            Summary = string.Create(CultureInfo.InvariantCulture,
                $"forecast regret {regret.RegretKg:0.###} kg: the run as planned on forecasts emitted {forecastKg:0.###} kg on actuals; {plan.Policy} planned in hindsight on actuals at submission would have emitted {hindsightKg:0.###} kg with the same measured energy (PUE ×{pue:0.##})"),
        }, null);
    }

    /// <summary>
    /// Lays the measured energy, in run order, into the slots of another plan: the run's share of its active time maps to
    /// the same share of the plan's node-time (so a plan on more nodes takes the energy in less time, and a run slower than
    /// estimated fills the plan's slots rather than spilling past them). Energy is spread evenly within each measured interval.
    /// </summary>
    internal static List<(DateTimeOffset Start, DateTimeOffset End, double Kwh)> Relocate(IReadOnlyList<IntensityInterval> measured, IReadOnlyList<PlannedSlot> slots)
    {
        var activeTicks = measured.Sum(i => (double)(i.End - i.Start).Ticks);
        var weights = slots.Select(s => (double)(s.End - s.Start).Ticks * Math.Max(1, s.Nodes)).ToArray();
        var planWeight = weights.Sum();
        var pieces = new List<(DateTimeOffset, DateTimeOffset, double)>();
        var done = 0.0;
        foreach (var interval in measured)
        {
            var length = (double)(interval.End - interval.Start).Ticks;
            var lo = done / activeTicks * planWeight;
            var hi = (done + length) / activeTicks * planWeight;
            done += length;
            var cursor = 0.0;
            for (var s = 0; s < slots.Count && lo < hi; s++)
            {
                var slotLo = cursor;
                var slotHi = cursor + weights[s];
                cursor = slotHi;
                var a = Math.Max(lo, slotLo);
                var b = Math.Min(hi, slotHi);
                if (b <= a)
                {
                    continue;
                }

                var nodes = Math.Max(1, slots[s].Nodes);
                var start = slots[s].Start + TimeSpan.FromTicks((long)((a - slotLo) / nodes));
                var end = slots[s].Start + TimeSpan.FromTicks((long)((b - slotLo) / nodes));
                pieces.Add((start, end, interval.EnergyKwh * (b - a) / (hi - lo)));
            }
        }

        return pieces;
    }

    /// <summary>Time-weighted mean intensity over [from, to); the caller has checked that the series covers it.</summary>
    internal static double MeanIntensity(CarbonIntensitySeries series, DateTimeOffset from, DateTimeOffset to)
    {
        if (to <= from)
        {
            return series.IntensityAt(from) ?? 0;
        }

        double sum = 0, ticks = 0;
        foreach (var p in series.Between(from, to))
        {
            var a = p.Start > from ? p.Start : from;
            var b = p.End < to ? p.End : to;
            sum += p.GramsPerKwh * (b - a).Ticks;
            ticks += (b - a).Ticks;
        }

        return ticks > 0 ? sum / ticks : 0;
    }
}
