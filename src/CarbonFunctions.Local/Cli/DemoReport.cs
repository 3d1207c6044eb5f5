using CarbonFunctions.Core.Emissions;
using CarbonFunctions.Core.Forecasts;
using CarbonFunctions.Core.Planning;
using CarbonFunctions.Core.Reporting;
using CarbonFunctions.Handlers.Emissions;
using CarbonFunctions.Local.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace CarbonFunctions.Local.Cli;

/// <summary><c>carbonctl demo --html FILE</c>: the demo's jobs, plans, runs, emissions and regret as one HTML file.</summary>
internal static class DemoReport
{
    /// <summary>Writes the report and returns its full path.</summary>
    public static async Task<string> WriteAsync(string path, LocalComposition local, IReadOnlyList<string> ids, IReadOnlyDictionary<string, JobPlan> firstPlans, CancellationToken cancellationToken)
    {
        var reports = local.Services.GetRequiredService<IEmissionsReportStore>();
        var forecasts = local.Services.GetRequiredService<IForecastStore>();

        // A job that completed after its last telemetry upload has a report without regret: compute it now, as 'emissions show' does.
        var regret = ForecastRegretHandler.For(local.Jobs, forecasts, local.Services.GetRequiredService<PlannerOptions>());
        var jobs = new List<ServiceJob>();
        var missing = new List<string>();
        foreach (var id in ids)
        {
            if (await local.Jobs.GetAsync(id, cancellationToken) is { } record)
            {
                var report = await reports.GetAsync(id, cancellationToken);
                if (report is { ForecastRegret: null })
                {
                    var outcome = await regret.ComputeAsync(report, cancellationToken);
                    report = report with { ForecastRegret = outcome.Regret };
                    if (outcome.WhyNot is not null)
                    {
                        missing.Add($"{id}: no forecast regret, {outcome.WhyNot}.");
                    }
                }

                jobs.Add(new ServiceJob(record.Job, record.State, firstPlans.GetValueOrDefault(id), report));
            }
        }

        // One curve per chart: the actuals of the region most jobs ran in, over the demo's span.
        CarbonIntensitySeries? intensity = null;
        var region = jobs.Where(j => j.State.Region is not null).GroupBy(j => j.State.Region!).OrderByDescending(g => g.Count()).Select(g => g.Key).FirstOrDefault();
        if (region is not null && jobs.Count > 0)
        {
            var from = jobs.Min(j => j.Job.SubmittedAt ?? j.State.UpdatedAt);
            var to = jobs.Max(j => j.Job.Deadline > j.State.UpdatedAt ? j.Job.Deadline : j.State.UpdatedAt);
            var actuals = await forecasts.GetActualsAsync(region, from, to, cancellationToken);
            intensity = actuals is { Points.Count: >= 2 } ? actuals : null;
        }

        var full = Path.GetFullPath(path);
        var model = ServiceReport.ToModel("CarbonFunctions demo: sample jobs on replayed carbon data", jobs, intensity);
        await File.WriteAllTextAsync(full, HtmlReport.Write(model with { Notes = [.. model.Notes, .. missing] }), cancellationToken);
        return full;
    }
}
