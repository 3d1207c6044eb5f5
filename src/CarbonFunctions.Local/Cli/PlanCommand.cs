using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using CarbonFunctions.Core.Forecasts;
using CarbonFunctions.Core.Jobs;
using CarbonFunctions.Core.Planning;
using CarbonFunctions.Storage;
using Spectre.Console;

namespace CarbonFunctions.Local.Cli;

/// <summary><c>carbonctl plan</c>: plans one job against a trace file, offline (no storage).</summary>
public static class PlanCommand
{
    private static readonly JsonSerializerOptions PlanJson = new(StorageJson.Options) { WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.Never };

    public static Command Create()
    {
        var jobFile = new Option<FileInfo>("--job") { Description = "The job file (training-job contract)", Required = true };
        var trace = new Option<string[]>("--trace")
        {
            Description = "Intensity trace per region, REGION=FILE (repeatable), or a bare FILE for the job's first region: CSV of start,gCO2e/kWh or an Electricity Maps export",
            Required = true,
            AllowMultipleArgumentsPerToken = false,
        };
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
            if (!jobPath.Exists)
            {
                Output.Error($"{jobPath.FullName} does not exist");
                return Output.InvalidInput;
            }

            var configuration = CliSettings.Load();
            var plannerOptions = CliSettings.Bind<PlannerOptions>(configuration, PlannerOptions.SectionName, o => o.Validate());
            var parsed = JobContract.Parse(await File.ReadAllTextAsync(jobPath.FullName, cancellationToken), CliSettings.Limits(configuration), now, plannerOptions);
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
            var forecasts = new Dictionary<string, CarbonIntensitySeries>(StringComparer.OrdinalIgnoreCase);
            foreach (var spec in parse.GetValue(trace) ?? [])
            {
                var (region, path, problem) = TraceSpec(spec, job);
                if (problem is not null)
                {
                    Output.Error(problem);
                    return Output.InvalidInput;
                }

                if (!File.Exists(path))
                {
                    Output.Error($"{Path.GetFullPath(path!)} does not exist");
                    return Output.InvalidInput;
                }

                try
                {
                    using var reader = new StreamReader(path!);
                    forecasts[region!] = TraceCsv.Read(reader, region!, now, Path.GetFileName(path!));
                }
                catch (FormatException ex)
                {
                    Output.Error($"{Path.GetFileName(path!)}: {ex.Message}");
                    return Output.InvalidInput;
                }
            }

            var plan = JobPlanner.Plan(job, new PlanningInput { Now = now, Forecasts = forecasts, PolicyOverride = requested }, plannerOptions);
            if (parse.GetValue(json))
            {
                // Unknown emissions are written as null, not left out: a reader must not mistake a missing figure for 0.
                Console.Out.WriteLine(JsonSerializer.Serialize(plan, PlanJson));
                return Output.Ok;
            }

            AnsiConsole.MarkupLineInterpolated($"[bold]{job.Id}[/]: {plan.Policy} in {plan.Region}; expected {Kg(plan.ExpectedGramsCo2e)} CO2e vs {Kg(plan.RunNowGramsCo2e)} running now; meets deadline: {plan.MeetsDeadline}");
            if (plan.Warning is not null)
            {
                AnsiConsole.MarkupLineInterpolated($"[yellow]warning:[/] {plan.Warning}");
            }

            var table = new Table().AddColumns("Start", "End", "Nodes", "Region", "Expected kg");
            foreach (var slot in plan.Slots)
            {
                table.AddRow(Output.Time(slot.Start), Output.Time(slot.End), slot.Nodes.ToString(CultureInfo.InvariantCulture), slot.Region, slot.ExpectedGramsCo2e is { } grams ? Output.Kg(grams) : "unknown");
            }

            AnsiConsole.Write(table);
            return Output.Ok;
        });
        return command;
    }

    /// <summary>A figure in kg, or "unknown" where the trace does not cover the run (never a 0 that only means missing).</summary>
    private static string Kg(double? grams) => grams is { } g ? Output.Kg(g) + " kg" : "unknown";

    /// <summary>REGION=FILE, or a bare FILE for the job's first region; the region must be one of the job's.</summary>
    private static (string? Region, string? Path, string? Problem) TraceSpec(string spec, TrainingJob job)
    {
        var equals = spec.IndexOf('=', StringComparison.Ordinal);
        if (equals < 0 || File.Exists(spec))
        {
            return (job.Regions[0], spec, null);
        }

        var region = spec[..equals].Trim();
        var path = spec[(equals + 1)..].Trim();
        if (region.Length == 0 || path.Length == 0)
        {
            return (null, null, $"--trace '{spec}' is not REGION=FILE");
        }

        var known = job.Regions.FirstOrDefault(r => string.Equals(r, region, StringComparison.OrdinalIgnoreCase));
        return known is null
            ? (null, null, $"--trace region '{region}' is not one of the job's regions ({string.Join(", ", job.Regions)})")
            : (known, path, null);
    }
}
