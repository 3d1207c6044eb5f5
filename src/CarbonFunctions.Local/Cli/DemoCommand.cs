using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using CarbonFunctions.Core.Emissions;
using CarbonFunctions.Core.Jobs;
using CarbonFunctions.Core.Lifecycle;
using CarbonFunctions.Core.Planning;
using CarbonFunctions.Core.Pools;
using CarbonFunctions.Core.Simulation;
using CarbonFunctions.Handlers.Lifecycle;
using CarbonFunctions.Local.Hosting;
using CarbonFunctions.Storage.Azurite;
using CarbonFunctions.Storage.Jobs;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Spectre.Console;

namespace CarbonFunctions.Local.Cli;

/// <summary>
/// <c>carbonctl demo</c>: the main job end to end on the embedded default. Starts Azurite, replays bundled real
/// carbon data, enqueues the sample jobs (and one broken one), runs the local host on a virtual clock with
/// simulated pools until every job has ended, computes emissions from the pools' telemetry and prints a summary.
/// </summary>
public static class DemoCommand
{

    /// <summary>The sample jobs' deadlines are written against this submission time (samples/jobs/README.md).</summary>
    public static readonly DateTimeOffset SamplesWrittenFor = new(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>
    /// Virtual seconds per wall second while a pool runs: a planned hour takes about three wall seconds, long enough for
    /// an agent process to start (0.3-0.5 s, a quarter of an hour of virtual time, inside the plan's start-up allowance).
    /// </summary>
    public const double DefaultTimeScale = 1200;

    public static Command Create()
    {
        var json = new Option<bool>("--json") { Description = "Print the summary as JSON" };
        var verbose = new Option<bool>("--verbose") { Description = "Log what the host does" };
        var samples = new Option<DirectoryInfo?>("--samples") { Description = "Folder of job files (default: samples/jobs)" };
        var scale = new Option<double>("--time-scale") { Description = "Virtual seconds per wall second while a pool runs (idle time is skipped)", DefaultValueFactory = _ => DefaultTimeScale };
        var html = new Option<FileInfo?>("--html") { Description = "Also write a self-contained HTML report of the run to this file" };
        var command = new Command("demo", "Run sample jobs end to end: Azurite, replayed carbon data, simulated pools with real node agents and workloads, a scaled clock") { json, verbose, samples, scale, html };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var folder = parse.GetValue(samples)?.FullName ?? FindSamples();
            if (folder is null || !Directory.Exists(folder))
            {
                Output.Error("cannot find samples/jobs; pass --samples");
                return Output.InvalidInput;
            }

            var timeScale = parse.GetValue(scale);
            if (!double.IsFinite(timeScale) || timeScale < 1 || timeScale > 100_000)
            {
                Output.Error("--time-scale must be between 1 and 100000");
                return Output.InvalidInput;
            }

            if (LocalAgents.Find(Path.GetTempPath()) is null)
            {
                Output.Error(LocalAgents.NotFound);
                return Output.Failure;
            }

            var summary = await RunAsync(folder, parse.GetValue(verbose), cancellationToken, timeScale, htmlPath: parse.GetValue(html)?.FullName);
            if (parse.GetValue(json))
            {
                Output.Json(summary);
            }
            else
            {
                Print(summary);
            }

            return summary.Jobs.All(j => j.Status == JobStatus.Completed.ToString()) && summary.PoolsLeftRunning == 0 ? Output.Ok : Output.Failure;
        });
        return command;
    }

    /// <summary>What the node agents last reported about a job's workload; the five report fields are written as null when no agent reported.</summary>
    public sealed record WorkloadSummary(
        [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] int? ExitCode, [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] long? StepsDone, [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] long? Checkpoints, [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] long? Resumes, [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] long? LostSteps,
        int CheckpointsAcknowledged, int CheckpointsMissed);

    /// <summary>
    /// One job of the demo. <see cref="FirstPlanKg"/> is the job's plan when it was accepted, <see cref="FinalPlanKg"/> the
    /// last re-plan (remaining work only, from when it was made); both operational on the forecast, before PUE.
    /// <see cref="MeasuredKg"/> is telemetry × actual intensity × PUE. The one counterfactual, <see cref="CounterfactualKg"/>
    /// ("run at submission"): the same measured energy profile started at submission, in the region the job ran in.
    /// </summary>
    public sealed record JobSummary(
        string Id, string Policy, string? Region, string Status, DateTimeOffset? Started, DateTimeOffset? Ended, DateTimeOffset Deadline,
        double? PlannedKg, [property: JsonIgnore] double? RunNowKg, double? EnergyKwh, double? MeasuredKg, double? CounterfactualKg, double? SavedKg, string? IntensitySource, string? Reason)
    {
        public DateTimeOffset? SubmittedAt { get; init; }

        /// <summary>The first plan's expected kg; null when it was made without a forecast or not observed.</summary>
        public double? FirstPlanKg { get; init; }

        public double? FinalPlanKg { get; init; }

        public DateTimeOffset? FinalPlannedAt { get; init; }

        /// <summary>Energy the first plan assumed (nodes × nominal power × planned time), kWh before PUE.</summary>
        public double? PlannedEnergyKwh { get; init; }

        public double? Pue { get; init; }

        public bool DeadlineMet => Status == nameof(JobStatus.Completed) && Ended is { } e && e <= Deadline;

        /// <summary>Deadline − end, in hours.</summary>
        public double? SlackHours => Ended is { } e ? (Deadline - e).TotalHours : null;

        public double? SavedPercent => SavedKg is { } saved && CounterfactualKg is > 0 ? 100 * saved / CounterfactualKg.Value : null;

        public WorkloadSummary? Workload { get; init; }

        /// <summary>Why measured and planned differ, in words; null when they agree within 5 % or one is unknown.</summary>
        public string? PlanVersusMeasured { get; init; }
    }

    /// <summary>Sums over the jobs that have a measurement.</summary>
    public sealed record Totals(double MeasuredKg, double CounterfactualKg, double SavedKg, double? SavedPercent, int DeadlinesMet, int Jobs);

    public sealed record Summary(
        DateTimeOffset VirtualStart, DateTimeOffset VirtualEnd, double WallSeconds, IReadOnlyList<JobSummary> Jobs,
        IReadOnlyList<string> PoisonReasons, int PoolsLeftRunning)
    {
        /// <summary>The HTML report's full path, when --html asked for one.</summary>
        public string? HtmlReport { get; init; }

        public Totals Totals
        {
            get
            {
                var measured = Jobs.Where(j => j.MeasuredKg is not null && j.CounterfactualKg is not null).ToList();
                var m = measured.Sum(j => j.MeasuredKg!.Value);
                var c = measured.Sum(j => j.CounterfactualKg!.Value);
                return new Totals(m, c, c - m, c > 0 ? 100 * (c - m) / c : null, Jobs.Count(j => j.DeadlineMet), Jobs.Count);
            }
        }
    }

    /// <summary>
    /// Runs the demo; <paramref name="agents"/> says where the agent is (default: next to this carbonctl, in a fresh
    /// temporary folder); <paramref name="htmlPath"/>, when set, gets the run as one HTML report.
    /// </summary>
    public static async Task<Summary> RunAsync(string samplesFolder, bool verbose, CancellationToken cancellationToken, double timeScale = DefaultTimeScale, LocalAgents? agents = null, string? htmlPath = null)
    {
        var stopwatch = Stopwatch.StartNew();
        var workDir = agents?.WorkDir ?? Path.Combine(Path.GetTempPath(), "carbonfunctions-demo-" + Guid.NewGuid().ToString("N")[..8]);
        agents ??= LocalAgents.Find(workDir) ?? throw new InvalidOperationException(LocalAgents.NotFound);
        try
        {
            return await RunAsync(samplesFolder, agents, verbose, timeScale, htmlPath, stopwatch, cancellationToken);
        }
        finally
        {
            // Checkpoints and agent logs of this run only; nothing of it is needed once the summary is out.
            if (Directory.Exists(workDir))
            {
                Directory.Delete(workDir, recursive: true);
            }
        }
    }

    private static async Task<Summary> RunAsync(string samplesFolder, LocalAgents agents, bool verbose, double timeScale, string? htmlPath, Stopwatch stopwatch, CancellationToken cancellationToken)
    {
        Output.Note("Starting Azurite (in memory, free loopback ports)...");
        await using var azurite = await AzuriteProcess.StartAsync(cancellationToken: cancellationToken);
        // Held at the samples' submission time while Azurite and the host start, so that the jobs are submitted then.
        var clock = ScaledClock.Held(SamplesWrittenFor, timeScale);
        var settings = LocalSettings.Demo(azurite.ConnectionString);
        foreach (var (key, value) in agents.Settings(azurite.ConnectionString, AgentTiming.ScaledDemo))
        {
            settings[key] = value;
        }


        // An agent samples power every virtual minute, and a busy wall clock stretches a few of those gaps: on the
        // scaled clock a gap of a few minutes between readings is still the same run, not the device switched off.
        settings["Carbon:Emissions:MaxGap"] = "00:10:00";

        // An agent process takes a wall second or less to start: up to a quarter of an hour of the demo's time, after the
        // pool is up. Plans end that much earlier, so that the workload still finishes before the deadline.
        settings["Carbon:Planner:DeadlineMargin"] = "00:30:00";
        settings["Carbon:LocalHost:PollInterval"] = "00:00:00.050";
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        using var loggers = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true).AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace).SetMinimumLevel(verbose ? LogLevel.Information : LogLevel.Warning));
        await using var local = await LocalComposition.CreateAsync(configuration, clock, loggers, cancellationToken);

        var ids = new List<string>();
        foreach (var file in Directory.EnumerateFiles(samplesFolder, "*.json").Order(StringComparer.Ordinal))
        {
            var body = await File.ReadAllTextAsync(file, cancellationToken);
            ids.Add(JsonNode.Parse(body)!["id"]!.GetValue<string>());
            await local.Intake.SendAsync(body, cancellationToken);
        }

        // One broken job, to show the dead-letter path: it must end in the poison queue with its reasons.
        await local.Intake.SendAsync("""{"schemaVersion":1,"id":"broken-job","name":"typo","owner":"demo","pool":{"kind":"gpu","provider":"azure","nodeSize":"Standard_NC24ads_A100_v4","minNodes":2,"maxNode":64},"regions":["westus"],"estimatedDurationMinutes":60,"deadline":"2026-11-30T00:00:00Z","interruptible":false,"workload":{"image":"x"}}""", cancellationToken);
        clock.Release();
        Output.Note($"Enqueued {ids.Count} sample jobs and one broken job; running the local host from {Output.Time(clock.GetUtcNow())}, {timeScale:0}x while a pool runs (node agents and workloads in {agents.WorkDir})...");

        // The stored state keeps only the latest plan; the first one is caught as the loop turns: the jobs are planned in
        // the host's first turn, and a re-plan needs a forecast refresh, hours of virtual time later.
        var firstPlans = new Dictionary<string, JobPlan>(StringComparer.Ordinal);
        var giveUpAt = SamplesWrittenFor.AddDays(7);
        await local.Host.RunAsync(
            async () =>
            {
                if (clock.GetUtcNow() > giveUpAt)
                {
                    return true;
                }

                var allEnded = true;
                foreach (var id in ids)
                {
                    var state = (await local.Jobs.GetAsync(id, cancellationToken))?.State;
                    if (state?.Plan is { } plan && !firstPlans.ContainsKey(id))
                    {
                        firstPlans[id] = plan;
                    }

                    allEnded &= state?.IsTerminal == true;
                }

                return allEnded;
            },
            cancellationToken);

        // The last pool stopped a moment ago: handle its telemetry now rather than on the next scan.
        await local.Telemetry.RunAsync(cancellationToken);

        var providers = local.Services.GetRequiredService<PoolProviders>();
        var leftRunning = 0;
        foreach (var provider in providers.All)
        {
            leftRunning += (await provider.ListActiveAsync(cancellationToken)).Sum(p => p.RunningNodes);
        }

        var reports = local.Services.GetRequiredService<IEmissionsReportStore>();
        var plannerOptions = local.Services.GetRequiredService<PlannerOptions>();
        var jobs = new List<JobSummary>();
        foreach (var id in ids)
        {
            var record = await local.Jobs.GetAsync(id, cancellationToken);
            if (record is null)
            {
                jobs.Add(new JobSummary(id, "-", null, "NotFound", null, null, default, 0, 0, null, null, null, null, null, "never accepted"));
                continue;
            }

            var report = await reports.GetAsync(id, cancellationToken);
            jobs.Add(Summarise(record, report, firstPlans.GetValueOrDefault(id), plannerOptions));
        }

        var poison = await local.DeadLetters.PeekAsync(cancellationToken: cancellationToken);
        var html = htmlPath is null ? null : await DemoReport.WriteAsync(htmlPath, local, ids, firstPlans, cancellationToken);
        return new Summary(SamplesWrittenFor, clock.GetUtcNow(), stopwatch.Elapsed.TotalSeconds, jobs, [.. poison.Select(p => p.Reason)], leftRunning) { HtmlReport = html };
    }

    private static JobSummary Summarise(JobRecord record, EmissionsReport? report, JobPlan? first, PlannerOptions planner)
    {
        var state = record.State;
        var job = record.Job;
        var started = state.History.FirstOrDefault(h => h.To == JobStatus.Running)?.At;
        var ended = state.IsTerminal && state.History.Count > 0 ? state.History[^1].At : (DateTimeOffset?)null;
        var final = state.Plan;
        var shown = first ?? final;
        var watts = job.Pool.PowerPerNodeWatts ?? (job.Pool.Kind == PoolKind.Gaudi ? planner.DefaultGaudiNodeWatts : planner.DefaultGpuNodeWatts);
        double? plannedKwh = first is null ? null : first.Slots.Sum(s => s.Nodes * watts / 1000 * s.Duration.TotalHours);
        var firstKg = first is null ? null : PlanGrams.Expected(first) / 1000;
        var workload = state.Workload is { } w
            ? new WorkloadSummary(w.ExitCode, w.StepsDone, w.Checkpoints, w.Resumes, w.LostSteps, state.CheckpointsAcknowledged, state.CheckpointsMissed)
            : new WorkloadSummary(null, null, null, null, null, state.CheckpointsAcknowledged, state.CheckpointsMissed);
        return new JobSummary(
            job.Id, shown?.Policy ?? "-", state.Region, state.Status.ToString(), started, ended, job.Deadline,
            shown is null ? null : PlanGrams.Expected(shown) / 1000, shown is null ? null : PlanGrams.RunNow(shown) / 1000,
            report?.EnergyKwh, report?.EmissionsKg, report?.CounterfactualKg, report?.SavingsKg, report?.IntensitySource.ToString(),
            state.Status == JobStatus.Completed ? null : state.Reason)
        {
            SubmittedAt = job.SubmittedAt,
            FirstPlanKg = firstKg,
            FinalPlanKg = final is null ? null : PlanGrams.Expected(final) / 1000,
            FinalPlannedAt = final?.PlannedAt,
            PlannedEnergyKwh = plannedKwh,
            Pue = report?.Pue,
            Workload = workload,
            PlanVersusMeasured = Explain(firstKg, plannedKwh, report),
        };
    }

    /// <summary>
    /// Splits plan-vs-measured into its three causes: PUE (the plan is before it), energy (telemetry vs nominal power ×
    /// planned time) and intensity (actuals vs the forecast the plan used).
    /// </summary>
    private static string? Explain(double? planKg, double? plannedKwh, EmissionsReport? report)
    {
        if (planKg is not { } plan || plannedKwh is not { } kwh || kwh <= 0 || report is null || report.EnergyKwh <= 0 || report.Pue <= 0)
        {
            return null;
        }

        var measured = report.EmissionsKg;
        if (Math.Abs(measured - plan) <= 0.05 * Math.Max(plan, 1e-9))
        {
            return null;
        }

        var forecastIntensity = plan * 1000 / kwh;
        var actualIntensity = measured * 1000 / (report.EnergyKwh * report.Pue);
        return string.Create(CultureInfo.InvariantCulture,
            $"measured {measured:0.##} kg vs first plan {plan:0.##} kg: PUE ×{report.Pue:0.##} (the plan is before it); energy {report.EnergyKwh:0.#} kWh measured vs {kwh:0.#} kWh planned (nominal node power × planned time); intensity {actualIntensity:0} g/kWh actual vs {forecastIntensity:0} g/kWh forecast");
    }

    private static void Print(Summary summary)
    {
        // Piped output has no terminal width; COLUMNS, when set, still decides (the README's 80-column promise).
        if (int.TryParse(Environment.GetEnvironmentVariable("COLUMNS"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var columns) && columns >= 40)
        {
            AnsiConsole.Profile.Width = columns;
        }

        AnsiConsole.MarkupLine("[bold]CarbonFunctions demo[/] — sample jobs on replayed real carbon data");
        // Borderless, unwrapped ids and a start + length "Ran" column: both tables fit 80 columns.
        var schedule = new Table().Border(TableBorder.Simple).Title("Schedule (UTC; run length and slack in hours)").AddColumns("Job", "Policy", "Status", "Ran (start, h)", "Slack");
        foreach (var column in schedule.Columns)
        {
            column.NoWrap();
        }
        foreach (var j in summary.Jobs)
        {
            schedule.AddRow(
                Markup.Escape(j.Id), j.Policy, j.Status == "Completed" ? $"[green]{j.Status}[/]" : $"[red]{j.Status}[/]",
                j.Started is { } from ? $"{Short(from)} {(j.Ended is { } to ? F((to - from).TotalHours, "0.#") : "…")}" : "-",
                j.SlackHours is { } slack ? (j.DeadlineMet ? F(slack) : $"[red]{F(slack)}[/]") : "-");
        }

        AnsiConsole.Write(schedule);
        var emissions = new Table().Border(TableBorder.Simple).Title("Emissions (kgCO2e)").AddColumns("Job", "Plan 1st", "final", "Measured", "At submit", "Saved", "%");
        emissions.Columns[0].NoWrap();
        foreach (var column in emissions.Columns.Skip(1))
        {
            column.RightAligned();
        }

        foreach (var j in summary.Jobs)
        {
            emissions.AddRow(Markup.Escape(j.Id), F(j.FirstPlanKg), F(j.FinalPlanKg), F(j.MeasuredKg), F(j.CounterfactualKg), F(j.SavedKg), F(j.SavedPercent, "0"));
        }

        var t = summary.Totals;
        emissions.AddRow("[bold]total[/]", string.Empty, string.Empty, $"[bold]{F(t.MeasuredKg)}[/]", $"[bold]{F(t.CounterfactualKg)}[/]", $"[bold]{F(t.SavedKg)}[/]", $"[bold]{F(t.SavedPercent, "0")}[/]");
        AnsiConsole.Write(emissions);
        AnsiConsole.MarkupLine("Slack: deadline − end. Plan: what the planner expected on the forecast, operational, before PUE — 1st: the job's plan on acceptance; final: the last re-plan, of the work left then. Measured: the pools' telemetry × actual intensity × PUE. At submit (the one counterfactual): the same measured energy profile started at submission, in the region the job ran in.");
        foreach (var j in summary.Jobs.Where(j => j.PlanVersusMeasured is not null))
        {
            AnsiConsole.MarkupLineInterpolated($"[dim]{j.Id}:[/] {j.PlanVersusMeasured}");
        }

        foreach (var j in summary.Jobs.Where(j => j.Workload?.StepsDone is not null))
        {
            var w = j.Workload!;
            AnsiConsole.MarkupLineInterpolated($"[dim]{j.Id} workload:[/] exit {w.ExitCode?.ToString(CultureInfo.InvariantCulture) ?? "-"}, {w.StepsDone} steps, {w.Checkpoints} checkpoints, {w.Resumes} resumes, {w.LostSteps} steps lost; checkpoints acknowledged {w.CheckpointsAcknowledged}, missed {w.CheckpointsMissed}");
        }

        foreach (var reason in summary.PoisonReasons)
        {
            AnsiConsole.MarkupLineInterpolated($"[yellow]dead-lettered:[/] {reason}");
        }

        if (summary.HtmlReport is { } report)
        {
            AnsiConsole.MarkupLineInterpolated($"HTML report: {report}");
        }

        AnsiConsole.MarkupLineInterpolated($"{t.DeadlinesMet} of {t.Jobs} deadlines met. Virtual time {Output.Time(summary.VirtualStart)} → {Output.Time(summary.VirtualEnd)} in {summary.WallSeconds:0.0} s; nodes left running: {summary.PoolsLeftRunning}.");
    }

    private static string Short(DateTimeOffset? t) => t?.UtcDateTime.ToString("MM-dd HH:mm", CultureInfo.InvariantCulture) ?? "-";

    private static string F(double? value, string format = "0.##") => value is null ? "-" : value.Value.ToString(format, CultureInfo.InvariantCulture);

    private static string? FindSamples() => RepositoryFolders.Find(Path.Combine("samples", "jobs")) is { } root ? Path.Combine(root, "samples", "jobs") : null;
}
