using System.CommandLine;
using System.Globalization;
using CarbonFunctions.Core.Forecasts;
using CarbonFunctions.Core.Jobs;
using CarbonFunctions.Core.Planning;
using Spectre.Console;

namespace CarbonFunctions.Local.Cli;

/// <summary><c>carbonctl plan</c>: plans one job against a trace file, offline (no storage).</summary>
public static class PlanCommand
{
    public static Command Create()
    {
        var jobFile = new Option<FileInfo>("--job") { Description = "The job file (training-job contract)", Required = true };
        var trace = new Option<FileInfo>("--trace") { Description = "Intensity trace: CSV of start,gCO2e/kWh or an Electricity Maps export", Required = true };
        var at = new Option<string>("--at") { Description = "Plan as of this instant (ISO 8601 with offset); the trace is the forecast known then", Required = true };
        var policy = new Option<string?>("--policy") { Description = "Override the job's policy: " + string.Join(", ", JobContract.KnownPolicies) };
        var json = new Option<bool>("--json") { Description = "Print the plan as JSON" };
        var command = new Command("plan", "Plan a job against a carbon-intensity trace, without any storage") { jobFile, trace, at, policy, json };
        command.SetAction(async (parse, cancellationToken) =>
        {
            if (!DateTimeOffset.TryParse(parse.GetValue(at), CultureInfo.InvariantCulture, DateTimeStyles.None, out var now))
            {
                Output.Error($"--at '{parse.GetValue(at)}' is not an ISO 8601 timestamp");
                return Output.InvalidInput;
            }

            var requested = parse.GetValue(policy);
            if (requested is not null && !JobContract.KnownPolicies.Contains(requested))
            {
                Output.Error($"--policy '{requested}' is not one of {string.Join(", ", JobContract.KnownPolicies)}");
                return Output.InvalidInput;
            }

            var jobPath = parse.GetValue(jobFile)!;
            var tracePath = parse.GetValue(trace)!;
            foreach (var file in new[] { jobPath, tracePath })
            {
                if (!file.Exists)
                {
                    Output.Error($"{file.FullName} does not exist");
                    return Output.InvalidInput;
                }
            }

            var configuration = CliSettings.Load();
            var parsed = JobContract.Parse(await File.ReadAllTextAsync(jobPath.FullName, cancellationToken), CliSettings.Limits(configuration), now);
            if (!parsed.IsValid)
            {
                Output.Error($"{jobPath.Name} is not a valid job at {Output.Time(now)}:");
                foreach (var error in parsed.Errors)
                {
                    AnsiConsole.MarkupLineInterpolated($"  [yellow]{error.Field}[/]: {error.Reason}");
                }

                return Output.InvalidInput;
            }

            var job = parsed.Job!;
            CarbonIntensitySeries series;
            try
            {
                using var reader = new StreamReader(tracePath.FullName);
                series = TraceCsv.Read(reader, job.Regions[0], now, tracePath.Name);
            }
            catch (FormatException ex)
            {
                Output.Error($"{tracePath.Name}: {ex.Message}");
                return Output.InvalidInput;
            }

            var plannerOptions = CliSettings.Bind<PlannerOptions>(configuration, PlannerOptions.SectionName, o => o.Validate());
            var plan = JobPlanner.Plan(job, new PlanningInput { Now = now, Forecasts = new Dictionary<string, CarbonIntensitySeries> { [job.Regions[0]] = series }, PolicyOverride = requested }, plannerOptions);
            if (parse.GetValue(json))
            {
                Output.Json(plan);
                return Output.Ok;
            }

            AnsiConsole.MarkupLineInterpolated($"[bold]{job.Id}[/]: {plan.Policy} in {plan.Region}; expected {Output.Kg(plan.ExpectedGramsCo2e)} kg CO2e vs {Output.Kg(plan.RunNowGramsCo2e)} kg running now; meets deadline: {plan.MeetsDeadline}");
            if (plan.Warning is not null)
            {
                AnsiConsole.MarkupLineInterpolated($"[yellow]warning:[/] {plan.Warning}");
            }

            var table = new Table().AddColumns("Start", "End", "Nodes", "Region", "Expected kg");
            foreach (var slot in plan.Slots)
            {
                table.AddRow(Output.Time(slot.Start), Output.Time(slot.End), slot.Nodes.ToString(CultureInfo.InvariantCulture), slot.Region, Output.Kg(slot.ExpectedGramsCo2e));
            }

            AnsiConsole.Write(table);
            return Output.Ok;
        });
        return command;
    }
}
