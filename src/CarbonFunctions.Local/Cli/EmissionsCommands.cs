using System.CommandLine;
using System.Globalization;
using System.Text;
using CarbonFunctions.Core.Emissions;
using CarbonFunctions.Core.Forecasts;
using CarbonFunctions.Core.Planning;
using CarbonFunctions.Core.Telemetry;
using CarbonFunctions.Storage;
using CarbonFunctions.Storage.Reports;
using Spectre.Console;

namespace CarbonFunctions.Local.Cli;

/// <summary><c>carbonctl emissions compute|show</c>.</summary>
public static class EmissionsCommands
{
    public static Command Create(Option<string?> connection)
    {
        var emissions = new Command("emissions", "Energy and emissions from accelerator telemetry");
        emissions.Subcommands.Add(Compute());
        emissions.Subcommands.Add(Show(connection));
        return emissions;
    }

    private static Command Compute()
    {
        var telemetry = new Option<FileInfo>("--telemetry") { Description = "nvidia-smi / hl-smi CSV, DCGM exporter text or JSON lines", Required = true };
        var intensity = new Option<FileInfo>("--intensity") { Description = "Intensity trace: CSV of start,gCO2e/kWh or an Electricity Maps export", Required = true };
        var pue = new Option<double?>("--pue") { Description = "Power usage effectiveness (default from Carbon:Emissions)" };
        var tz = new Option<string?>("--tz") { Description = "IANA time zone of timestamps without an offset (default UTC)" };
        var submitted = new Option<string?>("--submitted") { Description = "When the job was submitted (ISO 8601), for the run-at-submission counterfactual" };
        var json = new Option<bool>("--json") { Description = "Print the report as JSON" };
        var command = new Command("compute", "Compute energy and emissions offline (no storage)") { telemetry, intensity, pue, tz, submitted, json };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var telemetryFile = parse.GetValue(telemetry)!;
            var traceFile = parse.GetValue(intensity)!;
            foreach (var file in new[] { telemetryFile, traceFile })
            {
                if (!file.Exists)
                {
                    Output.Error($"{file.FullName} does not exist");
                    return Output.InvalidInput;
                }
            }

            var zoneName = parse.GetValue(tz);
            var zone = zoneName is null ? TimeZoneInfo.Utc : TelemetryReadOptions.FindZone(zoneName);
            if (zone is null)
            {
                Output.Error($"--tz '{zoneName}' is not a known time zone (use an IANA name such as Europe/Berlin)");
                return Output.InvalidInput;
            }

            DateTimeOffset? submittedAt = null;
            if (parse.GetValue(submitted) is { } text)
            {
                if (!DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out var at))
                {
                    Output.Error($"--submitted '{text}' is not an ISO 8601 timestamp");
                    return Output.InvalidInput;
                }

                submittedAt = at;
            }

            // PUE is facility energy over IT energy: below 1.0 the data centre would give energy back.
            if (parse.GetValue(pue) is { } p && (!double.IsFinite(p) || p is < 1 or > 5))
            {
                Output.Error($"--pue must be between 1.0 and 5 (facility energy over IT energy), was {p.ToString(CultureInfo.InvariantCulture)}");
                return Output.InvalidInput;
            }

            CarbonIntensitySeries series;
            try
            {
                using var reader = new StreamReader(traceFile.FullName);
                series = TraceCsv.Read(reader, "trace", DateTimeOffset.UtcNow, traceFile.Name, kind: SeriesKind.Actual);
            }
            catch (FormatException ex)
            {
                Output.Error($"{traceFile.Name}: {ex.Message}");
                return Output.InvalidInput;
            }

            var options = CliSettings.Bind<EmissionsOptions>(CliSettings.Load(), EmissionsOptions.SectionName, o => o.Validate());
            var context = new EmissionsContext { JobId = Path.GetFileNameWithoutExtension(telemetryFile.Name), Source = telemetryFile.Name, Pue = parse.GetValue(pue), TimeZone = zone, SubmittedAt = submittedAt };
            EmissionsReport report;
            try
            {
                // One sequential pass: the reader reads half a megabyte at a time into its own buffer, so the stream keeps
                // none (no copy between two buffers), and the sequential hint lets the OS read ahead.
                await using var stream = new FileStream(telemetryFile.FullName, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0, FileOptions.SequentialScan);
                report = TelemetryEmissions.Compute(stream, series, context, options, DateTimeOffset.UtcNow);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or InvalidDataException or DecoderFallbackException)
            {
                // Bad content becomes problems in the report; what is left is a file that cannot be read at all.
                Output.Error($"{telemetryFile.Name} could not be read: {ex.Message}");
                return Output.InvalidInput;
            }

            if (parse.GetValue(json))
            {
                Console.Out.WriteLine(EmissionsJson.Serialize(report));
            }
            else
            {
                Write(report);
            }

            // A value that cannot be right (negative watts, a stray quote in a number) is an input error: the report
            // is printed with its line and field, and the exit code says the input needs fixing.
            if (report.FieldErrorCount > 0)
            {
                Output.Error($"{telemetryFile.Name}: {report.FieldErrorCount} field error(s), first: {report.Problems.FirstOrDefault(p => p.Field is not null)}");
                return Output.InvalidInput;
            }

            return report.Status == ReportStatus.Failed ? Output.InvalidInput : Output.Ok;
        });
        return command;
    }

    private static Command Show(Option<string?> connection)
    {
        var id = new Argument<string>("ID") { Description = "The job id" };
        var json = new Option<bool>("--json") { Description = "Print JSON" };
        var command = new Command("show", "Show a job's emissions report") { id, json };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var configuration = CliSettings.Load();
            var clients = new StorageClients(CliSettings.Storage(configuration, CliSettings.ResolveConnection(parse.GetValue(connection), configuration)));
            var report = await new EmissionsReportStore(clients.Blobs, clients.Tables, clients.Options.ReportsContainer).GetAsync(parse.GetValue(id)!, cancellationToken);
            if (report is null)
            {
                Output.Error($"no emissions report for '{parse.GetValue(id)}' (telemetry arrives when the job's pool stops)");
                return Output.NotFound;
            }

            report = await RegretView.EnsureAsync(configuration, clients, report, cancellationToken);
            if (parse.GetValue(json))
            {
                Console.Out.WriteLine(EmissionsJson.Serialize(report));
            }
            else
            {
                Write(report);
            }

            return Output.Ok;
        });
        return command;
    }

    private static void Write(EmissionsReport r)
    {
        AnsiConsole.MarkupLineInterpolated($"[bold]{r.JobId}[/] ({r.Format}, {r.Status}): {r.Devices.Count} device(s), {Output.Time(r.Start)} → {Output.Time(r.End)} ({r.Timezone})");
        AnsiConsole.MarkupLineInterpolated($"Energy {r.EnergyKwh:0.###} kWh × PUE {r.Pue:0.##} = {r.FacilityEnergyKwh:0.###} kWh; emissions {r.EmissionsKg:0.###} kg CO2e (intensity: {r.IntensitySource}); coverage {r.Coverage.Fraction:P1}");
        if (r.CounterfactualKg is { } counterfactual)
        {
            AnsiConsole.MarkupLineInterpolated($"Run at submission instead: {counterfactual:0.###} kg; saved {r.SavingsKg:0.###} kg");
        }

        RegretView.Write(r);
        if (r.Sci is { } sci)
        {
            AnsiConsole.MarkupLineInterpolated($"SCI: {sci:0.######} kg per {r.SciUnit}");
        }

        AnsiConsole.MarkupLineInterpolated($"Coverage: {r.Coverage.Summary}");
        if (r.FieldErrorCount > 0)
        {
            AnsiConsole.MarkupLineInterpolated($"[yellow]{r.FieldErrorCount} field error(s)[/] (values that cannot be right, such as negative watts): those samples are not counted");
        }

        foreach (var i in r.Intervals.Take(10))
        {
            AnsiConsole.MarkupLineInterpolated($"  {i.Start:yyyy-MM-dd HH:mm}-{i.End:HH:mm}Z {i.EnergyKwh:0.######} kWh × {(i.GramsPerKwh is { } g ? g.ToString("0.##", CultureInfo.InvariantCulture) : "?")} g/kWh ({i.Source}, {i.Provider ?? "-"}, {i.Signal?.ToString() ?? "-"}) = {i.EmissionsKg:0.######} kg");
        }

        if (r.Intervals.Count > 10)
        {
            AnsiConsole.MarkupLineInterpolated($"  ... {r.Intervals.Count - 10} more interval(s) in --json");
        }

        foreach (var problem in r.Problems)
        {
            AnsiConsole.MarkupLineInterpolated($"[yellow]{problem.ToString()}[/]");
        }
    }
}
