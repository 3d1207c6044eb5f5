using System.CommandLine;
using System.Globalization;
using CarbonFunctions.Core.Forecasts;
using CarbonFunctions.Core.Jobs;
using CarbonFunctions.Core.Planning;
using CarbonFunctions.Core.Reporting;
using CarbonFunctions.Core.Simulation;
using CarbonFunctions.Handlers.Simulation;
using Spectre.Console;

namespace CarbonFunctions.Local.Cli;

/// <summary>
/// <c>carbonctl simulate</c>: replays a real carbon trace with a job trace through the production planner and lifecycle
/// (virtual clock, in-memory pools, no storage) and compares policies with run-now and the oracle.
/// </summary>
public static class SimulateCommand
{
    public static Command Create()
    {
        var trace = new Option<FileInfo>("--trace") { Description = "Actual intensity trace (CSV: start,gCO2e/kWh; Electricity Maps export; WattTime; a GB national_pt24h file or GB vintage folder, whose actuals are read)", Required = true };
        var region = new Option<string?>("--region") { Description = "Region name the jobs are bound to (default: the trace file's name)" };
        var jobs = new Option<FileInfo?>("--jobs") { Description = "Job trace: JSON array of training-job contracts with submittedAt, or CSV (" + JobTrace.CsvHeader + ")" };
        var generate = new Option<int?>("--generate") { Description = "Generate this many jobs instead (1–96 h, slack 0–7 days, half interruptible, a quarter Gaudi)" };
        var writeJobs = new Option<FileInfo?>("--write-jobs") { Description = "Write the generated job trace to this CSV" };
        var maxSlack = new Option<double?>("--max-slack-hours") { Description = "Generator: largest slack in hours (default 168)" };
        var minSlack = new Option<double?>("--min-slack-hours") { Description = "Generator: smallest slack in hours (default 0)" };
        var minHours = new Option<double?>("--min-hours") { Description = "Generator: shortest run time in hours (default 1)" };
        var maxHours = new Option<double?>("--max-hours") { Description = "Generator: longest run time in hours (default 96)" };
        var interruptibleShare = new Option<double?>("--interruptible-share") { Description = "Generator: share of interruptible jobs, 0..1 (default 0.5)" };
        var policy = new Option<string>("--policy") { Description = "Comma-separated policies: " + string.Join(", ", ReplaySimulator.KnownPolicies), DefaultValueFactory = _ => string.Join(',', ReplaySimulator.KnownPolicies) };
        var forecast = new Option<string>("--forecast") { Description = "perfect | noise:sigma=PCT,bias=PCT,growth=X[,phi=R] | vintages[:DIR] (GB forecasts as published; DIR defaults to the GB trace's folder)", DefaultValueFactory = _ => "perfect" };
        var horizon = new Option<double>("--horizon-hours") { Description = "How far each forecast vintage reaches", DefaultValueFactory = _ => 48 };
        var refresh = new Option<double>("--refresh-hours") { Description = "How often a new vintage is issued (waiting jobs re-plan on each)", DefaultValueFactory = _ => 6 };
        var seed = new Option<int>("--seed") { Description = "Seed for the generator and the forecast noise", DefaultValueFactory = _ => 1 };
        var json = new Option<bool>("--json") { Description = "Print the result as one JSON document" };
        var html = new Option<FileInfo?>("--html") { Description = "Also write a self-contained HTML report to this file" };
        var command = new Command("simulate", "Replay a carbon trace with a job trace through the planner and lifecycle, per policy")
        {
            trace, region, jobs, generate, writeJobs, minHours, maxHours, minSlack, maxSlack, interruptibleShare, policy, forecast, horizon, refresh, seed, json, html,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var tracePath = parse.GetValue(trace)!;
            if (!tracePath.Exists && !Directory.Exists(tracePath.FullName))
            {
                Output.Error($"{tracePath.FullName} does not exist");
                return Output.InvalidInput;
            }

            var policies = parse.GetValue(policy)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct(StringComparer.Ordinal).ToList();
            var bad = policies.FirstOrDefault(p => !ReplaySimulator.KnownPolicies.Contains(p));
            if (policies.Count == 0 || bad is not null)
            {
                Output.Error($"--policy '{bad}' is not one of {string.Join(", ", ReplaySimulator.KnownPolicies)}");
                return Output.InvalidInput;
            }

            var jobsPath = parse.GetValue(jobs);
            var count = parse.GetValue(generate);
            if ((jobsPath is null) == (count is null))
            {
                Output.Error("give either --jobs FILE or --generate N");
                return Output.InvalidInput;
            }

            var regionName = parse.GetValue(region) ?? Path.GetFileNameWithoutExtension(tracePath.Name);
            IntensityTrace actuals;
            ForecastModel model;
            IReadOnlyList<TrainingJob> jobList;
            try
            {
                var (series, gbRoot) = ReadTrace(tracePath.FullName, regionName);
                actuals = new IntensityTrace(series);
                var spec = parse.GetValue(forecast)!.Trim();
                model = spec.StartsWith("vintages", StringComparison.OrdinalIgnoreCase)
                    ? Vintages(spec, gbRoot)
                    : ForecastModel.Parse(spec, parse.GetValue(seed), TimeSpan.FromHours(parse.GetValue(horizon)), TimeSpan.FromHours(parse.GetValue(refresh)));
                if (count is { } n)
                {
                    var mix = new JobMix
                    {
                        Count = n,
                        MinHours = parse.GetValue(minHours) ?? 1,
                        MaxHours = parse.GetValue(maxHours) ?? 96,
                        MinSlackHours = parse.GetValue(minSlack) ?? 0,
                        MaxSlackHours = parse.GetValue(maxSlack) ?? 168,
                        InterruptibleShare = parse.GetValue(interruptibleShare) ?? 0.5,
                    };
                    jobList = JobTraceGenerator.Generate(mix, actuals.Start, actuals.End, regionName, parse.GetValue(seed));
                    if (parse.GetValue(writeJobs) is { } target)
                    {
                        await using var writer = new StreamWriter(target.FullName);
                        JobTrace.WriteCsv(writer, jobList);
                    }
                }
                else if (!jobsPath!.Exists)
                {
                    Output.Error($"{jobsPath.FullName} does not exist");
                    return Output.InvalidInput;
                }
                else if (jobsPath.Extension.Equals(".csv", StringComparison.OrdinalIgnoreCase))
                {
                    using var reader = new StreamReader(jobsPath.FullName);
                    jobList = JobTrace.ReadCsv(reader, regionName);
                }
                else
                {
                    jobList = JobTrace.ReadJson(await File.ReadAllTextAsync(jobsPath.FullName, cancellationToken), regionName, CliSettings.Limits(CliSettings.Load()));
                }
            }
            catch (Exception ex) when (ex is FormatException or ArgumentException or System.Text.Json.JsonException)
            {
                Output.Error(ex.Message);
                return Output.InvalidInput;
            }

            var configuration = CliSettings.Load();
            var settings = new SimulationSettings
            {
                // Simulated pools come up at once: no start-up allowance (see SimulationSettings.Planner).
                Planner = CliSettings.Bind<PlannerOptions>(configuration, PlannerOptions.SectionName, o => o.Validate()) with { StartupAllowance = TimeSpan.Zero, StartupAllowances = [] },
                Forecast = model,
                Seed = parse.GetValue(seed),
            };

            var asJson = parse.GetValue(json);
            var bar = !asJson && !Console.IsErrorRedirected;
            var lastDrawn = -1;
            void Progress(int done)
            {
                var percent = done * 100 / jobList.Count;
                if (bar && percent != lastDrawn)
                {
                    lastDrawn = percent;
                    Console.Error.Write($"\r[{new string('#', percent / 5).PadRight(20)}] {done}/{jobList.Count} jobs");
                }
            }

            var result = await ReplaySimulator.RunAsync(actuals, tracePath.Name, jobList, policies, settings, Progress, cancellationToken);
            if (bar)
            {
                Console.Error.WriteLine();
            }

            if (parse.GetValue(html) is { } htmlPath)
            {
                await File.WriteAllTextAsync(htmlPath.FullName, HtmlReport.Write(SimulationReport.ToModel(result)), cancellationToken);
                Output.Note($"Report written to {htmlPath.FullName}");
            }

            if (asJson)
            {
                Output.Json(result);
                return Output.Ok;
            }

            Print(result);
            return Output.Ok;
        });
        return command;
    }

    /// <summary>
    /// The actuals of a trace, and the GB vintage folder it belongs to (null for other formats). A GB folder gives the
    /// actuals of all its files (the later publication wins); a GB file its own actual column.
    /// </summary>
    private static (CarbonIntensitySeries Series, string? GbRoot) ReadTrace(string path, string region)
    {
        var name = Path.GetFileName(path.TrimEnd(Path.DirectorySeparatorChar));
        if (Directory.Exists(path))
        {
            var files = Directory.EnumerateFiles(path, "*.csv", SearchOption.AllDirectories).Order(StringComparer.Ordinal)
                .Select(f => (Published: GbIntensityFiles.PublishedFromName(f) ?? throw new FormatException($"{f}: GB files must be named by their publication time, e.g. 2023-03-14T0331Z.csv"), File: f))
                .ToList();
            var merged = GbIntensityFiles.MergeActuals(files.Select(f => (f.Published, ReadGb(f.File).Actual)));
            return (GbSeries(region, name, merged), path);
        }

        using (var peek = new StreamReader(path))
        {
            if (!GbIntensityFiles.IsGbHeader(peek.ReadLine()))
            {
                using var reader = new StreamReader(path);
                return (TraceCsv.Read(reader, region, DateTimeOffset.UnixEpoch, name, SignalKind.Average, SeriesKind.Actual), null);
            }
        }

        var folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        var root = Path.GetFileName(folder).StartsWith("national_", StringComparison.OrdinalIgnoreCase) ? Path.GetDirectoryName(folder)! : folder;
        return (GbSeries(region, name, ReadGb(path).Actual), root);
    }

    private static CarbonIntensitySeries GbSeries(string region, string name, IReadOnlyList<CarbonIntensityPoint> points) =>
        points.Count >= 2
            ? new CarbonIntensitySeries { Region = region, Kind = SeriesKind.Actual, Signal = SignalKind.Average, Source = name, GeneratedAt = DateTimeOffset.UnixEpoch, Points = points }
            : throw new FormatException($"{name}: fewer than two actual values (a national_fw48h file holds forecasts only: give a national_pt24h file or the vintage folder)");

    private static (IReadOnlyList<CarbonIntensityPoint> Forecast, IReadOnlyList<CarbonIntensityPoint> Actual) ReadGb(string file)
    {
        using var reader = new StreamReader(file);
        return GbIntensityFiles.Read(reader, Path.GetFileName(file));
    }

    /// <summary><c>vintages</c> or <c>vintages:DIR</c>: every forecast file under DIR except the actuals (pt24h) folders.</summary>
    private static VintageForecast Vintages(string spec, string? gbRoot)
    {
        var dir = spec.Length > "vintages".Length
            ? spec[.."vintages:".Length] == "vintages:" ? spec["vintages:".Length..] : throw new FormatException($"--forecast '{spec}': expected 'vintages' or 'vintages:DIR'")
            : gbRoot ?? throw new FormatException("--forecast vintages needs a GB trace (a national_pt24h file or the vintage folder) or vintages:DIR");
        if (!Directory.Exists(dir))
        {
            throw new FormatException($"--forecast {spec}: no folder '{dir}'");
        }

        var vintages = new List<ForecastVintage>();
        foreach (var file in Directory.EnumerateFiles(dir, "*.csv", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            if (Path.GetFileName(Path.GetDirectoryName(file))!.Contains("pt24h", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            var published = GbIntensityFiles.PublishedFromName(file) ?? throw new FormatException($"{file}: forecast files must be named by their publication time, e.g. 2023-03-14T0331Z.csv");
            vintages.Add(new ForecastVintage(published, ReadGb(file).Forecast));
        }

        return vintages.Count > 0 ? new VintageForecast(vintages, Path.GetFileName(dir.TrimEnd(Path.DirectorySeparatorChar))) : throw new FormatException($"--forecast {spec}: no forecast files under '{dir}'");
    }

    private static void Print(SimulationResult result)
    {
        AnsiConsole.MarkupLineInterpolated($"[bold]{result.JobCount} jobs[/] on {result.Trace} ({Output.Time(result.TraceStart)} → {Output.Time(result.TraceEnd)}, mean {result.TraceMeanGramsPerKwh:0.#} g/kWh); forecast: {result.Forecast}; {result.WallSeconds:0.0} s");
        var table = new Table().AddColumns("Policy", "kgCO2e", "Saving %", "Of oracle %", "Missed", "Wait h/job", "Pool h", "Starts", "Regret kg");
        foreach (var column in table.Columns.Skip(1))
        {
            column.RightAligned();
        }

        foreach (var p in result.Policies)
        {
            table.AddRow(
                p.Policy, F(p.TotalKg, "0.#"), F(p.SavingPercent, "0.0"), p.OracleSharePercent is { } s ? F(s, "0") : "-", p.DeadlineMisses.ToString(CultureInfo.InvariantCulture),
                F(p.MeanAddedWaitHours, "0.0"), F(p.PoolHours, "0"), p.PoolStarts.ToString(CultureInfo.InvariantCulture), F(p.RegretKg, "0.#"));
        }

        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine("kgCO2e: operational, before PUE, on the actual trace. Saving: vs running each job at submission on min nodes. Regret: vs the same policy planned in hindsight on actuals.");
        var fallbacks = result.Policies.Where(p => p.Fallbacks > 0).Select(p => $"{p.Policy}: {p.Fallbacks}").ToList();
        if (fallbacks.Count > 0)
        {
            AnsiConsole.MarkupLineInterpolated($"Jobs planned with a nearer policy because their constraints rule the asked one out — {string.Join(", ", fallbacks)}.");
        }
    }

    private static string F(double value, string format) => value.ToString(format, CultureInfo.InvariantCulture);
}
