using System.Globalization;
using CarbonFunctions.Core.Emissions;
using CarbonFunctions.Core.Forecasts;
using CarbonFunctions.Core.Jobs;
using CarbonFunctions.Core.Lifecycle;
using CarbonFunctions.Core.Planning;

namespace CarbonFunctions.Core.Reporting;

/// <summary>One job the service ran: its contract, final state, first plan (when observed) and emissions report (when measured).</summary>
public sealed record ServiceJob(TrainingJob Job, JobState State, JobPlan? FirstPlan, EmissionsReport? Report);

/// <summary>Turns jobs the service ran (the demo's, or a deployment's) into the HTML report's model.</summary>
public static class ServiceReport
{
    public const string MeasuredBar = "measured";
    public const string CounterfactualBar = "run at submission";

    /// <summary>
    /// Planned windows are the first plan's slots (else the last plan's); run windows are where telemetry was observed
    /// Run windows are the Running spans of the job's history (else where telemetry was observed). The bars compare the
    /// measured total with the same measured energy run at submission, and, over the jobs whose regret is known, the
    /// measured total of those jobs with their hindsight plans (so that each pair of bars counts the same jobs).
    /// </summary>
    public static ReportModel ToModel(string title, IReadOnlyList<ServiceJob> jobs, CarbonIntensitySeries? intensity)
    {
        ArgumentNullException.ThrowIfNull(jobs);
        var rows = jobs.Select(j => new ReportJob(
            j.Job.Id,
            (j.FirstPlan ?? j.State.Plan)?.Policy ?? "-",
            j.Job.SubmittedAt ?? (j.State.History.Count > 0 ? j.State.History[0].At : j.State.UpdatedAt),
            j.Job.Deadline,
            [.. ((j.FirstPlan ?? j.State.Plan)?.Slots ?? []).Select(s => (s.Start, s.End))],
            Ran(j),
            j.Report?.EmissionsKg,
            j.Report?.CounterfactualKg,
            j.Report?.ForecastRegret?.RegretKg)).ToList();
        var measured = jobs.Where(j => j.Report is not null).ToList();
        var totals = new List<(string, double)>();
        if (measured.Count > 0)
        {
            totals.Add((MeasuredBar, measured.Sum(j => j.Report!.EmissionsKg)));
        }

        var withCounterfactual = measured.Where(j => j.Report!.CounterfactualKg is not null).ToList();
        if (withCounterfactual.Count > 0)
        {
            totals.Add((CounterfactualBar, withCounterfactual.Sum(j => j.Report!.CounterfactualKg!.Value)));
        }

        var withRegret = measured.Where(j => j.Report!.ForecastRegret is not null).ToList();
        if (withRegret.Count > 0)
        {
            var same = string.Create(CultureInfo.InvariantCulture, $"{withRegret.Count} job{(withRegret.Count == 1 ? "" : "s")}");
            if (withRegret.Count < measured.Count)
            {
                totals.Add(($"measured ({same})", withRegret.Sum(j => j.Report!.EmissionsKg)));
            }

            totals.Add(($"hindsight ({same})", withRegret.Sum(j => j.Report!.ForecastRegret!.HindsightPlanKg)));
        }

        var notes = new List<string>
        {
            string.Create(CultureInfo.InvariantCulture, $"{jobs.Count} job(s); {measured.Count} with an emissions report, {withRegret.Count} with a forecast regret (known once a job has completed and actuals cover its window)."),
            "Measured: the pools' telemetry × actual intensity × PUE. Run at submission (the one counterfactual): the same measured energy profile started at submission, in the region the job ran in. Forecast regret: the measured run against the same energy laid into its policy's hindsight plan (planned at submission on actuals).",
        };
        if (intensity is not null)
        {
            notes.Add($"Intensity curve: {intensity.Region}, {intensity.Kind.ToString().ToLowerInvariant()} from {intensity.Source}.");
        }

        notes.AddRange(jobs.Where(j => j.Report?.ForecastRegret is not null).Select(j => $"{j.Job.Id}: {j.Report!.ForecastRegret!.Summary}."));
        return new ReportModel
        {
            Title = title,
            Notes = notes,
            Intensity = intensity is null ? [] : [.. intensity.Points.Select(p => (p.Start, p.GramsPerKwh))],
            PolicyTotals = totals,
            Jobs = rows,
        };
    }

    private static List<(DateTimeOffset Start, DateTimeOffset End)> Ran(ServiceJob j)
    {
        var spans = new List<(DateTimeOffset, DateTimeOffset)>();
        DateTimeOffset? since = null;
        foreach (var t in j.State.History)
        {
            if (t.To == JobStatus.Running && since is null)
            {
                since = t.At;
            }
            else if (t.From == JobStatus.Running && t.To != JobStatus.Running && since is { } s)
            {
                spans.Add((s, t.At));
                since = null;
            }
        }

        // Telemetry joins a node's chunks across pauses, so the history is the better record; telemetry where it is missing.
        return spans.Count > 0 || j.Report is null ? spans : [.. j.Report.Coverage.Observed.Select(r => (r.From, r.To))];
    }
}
