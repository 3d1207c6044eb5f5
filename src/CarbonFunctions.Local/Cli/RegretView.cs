using CarbonFunctions.Core.Emissions;
using CarbonFunctions.Core.Planning;
using CarbonFunctions.Handlers.Emissions;
using CarbonFunctions.Storage;
using CarbonFunctions.Storage.Forecasts;
using CarbonFunctions.Storage.Jobs;
using CarbonFunctions.Storage.Reports;
using Microsoft.Extensions.Configuration;
using Spectre.Console;

namespace CarbonFunctions.Local.Cli;

/// <summary>
/// Forecast regret in <c>emissions show</c> and <c>jobs show</c>. The service attaches it when it rebuilds a report
/// after the job completed; a job that completed after its last telemetry upload gets it computed here, on read.
/// </summary>
internal static class RegretView
{
    public static async Task<EmissionsReport> EnsureAsync(IConfiguration configuration, StorageClients clients, EmissionsReport report, CancellationToken cancellationToken)
    {
        if (report.ForecastRegret is not null)
        {
            return report;
        }

        var planner = CliSettings.Bind<PlannerOptions>(configuration, PlannerOptions.SectionName, o => o.Validate());
        var store = CliSettings.Bind<ForecastStoreOptions>(configuration, ForecastStoreOptions.SectionName, o => o.Validate());
        var handler = ForecastRegretHandler.For(new JobStore(clients), new TableForecastStore(clients.Tables, store), planner);
        var outcome = await handler.ComputeAsync(report, cancellationToken);
        if (outcome.Regret is null)
        {
            Output.Note($"forecast regret: {outcome.WhyNot}");
        }

        return report with { ForecastRegret = outcome.Regret };
    }

    /// <summary>One line: the regret, or nothing when it is not known.</summary>
    public static void Write(EmissionsReport report)
    {
        if (report.ForecastRegret is { } regret)
        {
            AnsiConsole.MarkupLineInterpolated($"Forecast regret: {regret.Summary}");
        }
    }

    /// <summary>For <c>jobs show</c>: the job's measured emissions and regret, when a report exists.</summary>
    public static async Task WriteForJobAsync(string? connection, JobRecord record, CancellationToken cancellationToken)
    {
        var configuration = CliSettings.Load();
        var clients = new StorageClients(CliSettings.Storage(configuration, CliSettings.ResolveConnection(connection, configuration)));
        var report = await new EmissionsReportStore(clients.Blobs, clients.Tables, clients.Options.ReportsContainer).GetAsync(record.Job.Id, cancellationToken);
        if (report is null)
        {
            return;
        }

        report = await EnsureAsync(configuration, clients, report, cancellationToken);
        AnsiConsole.MarkupLineInterpolated($"Measured: {report.EmissionsKg:0.###} kg CO2e ({report.EnergyKwh:0.###} kWh × PUE {report.Pue:0.##}; intensity {report.IntensitySource}); run at submission: {(report.CounterfactualKg is { } c ? c.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture) + " kg" : "-")}");
        Write(report);
    }
}
