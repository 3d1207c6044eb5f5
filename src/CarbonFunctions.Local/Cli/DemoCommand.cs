using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using CarbonFunctions.Core.Emissions;
using CarbonFunctions.Core.Lifecycle;
using CarbonFunctions.Core.Pools;
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

    public static Command Create()
    {
        var json = new Option<bool>("--json") { Description = "Print the summary as JSON" };
        var verbose = new Option<bool>("--verbose") { Description = "Log what the host does" };
        var samples = new Option<DirectoryInfo?>("--samples") { Description = "Folder of job files (default: samples/jobs)" };
        var command = new Command("demo", "Run sample jobs end to end: Azurite, replayed carbon data, simulated pools, virtual clock") { json, verbose, samples };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var folder = parse.GetValue(samples)?.FullName ?? FindSamples();
            if (folder is null || !Directory.Exists(folder))
            {
                Output.Error("cannot find samples/jobs; pass --samples");
                return Output.InvalidInput;
            }

            var summary = await RunAsync(folder, parse.GetValue(verbose), cancellationToken);
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

    public sealed record JobSummary(
        string Id, string Policy, string? Region, string Status, DateTimeOffset? Started, DateTimeOffset? Ended, DateTimeOffset Deadline,
        double? PlannedKg, double? RunNowKg, double? EnergyKwh, double? MeasuredKg, double? CounterfactualKg, double? SavedKg, string? IntensitySource, string? Reason);

    public sealed record Summary(
        DateTimeOffset VirtualStart, DateTimeOffset VirtualEnd, double WallSeconds, IReadOnlyList<JobSummary> Jobs,
        IReadOnlyList<string> PoisonReasons, int PoolsLeftRunning);

    public static async Task<Summary> RunAsync(string samplesFolder, bool verbose, CancellationToken cancellationToken)
    {
        var stopwatch = Stopwatch.StartNew();
        Output.Note("Starting Azurite (in memory, free loopback ports)...");
        await using var azurite = await AzuriteProcess.StartAsync(cancellationToken: cancellationToken);
        var clock = new VirtualClock(SamplesWrittenFor);
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(LocalSettings.Demo(azurite.ConnectionString)).Build();
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
        Output.Note($"Enqueued {ids.Count} sample jobs and one broken job; running the local host on a virtual clock from {Output.Time(clock.GetUtcNow())}...");

        var giveUpAt = SamplesWrittenFor.AddDays(7);
        await local.Host.RunAsync(
            async () =>
            {
                if (clock.GetUtcNow() > giveUpAt)
                {
                    return true;
                }

                foreach (var id in ids)
                {
                    if ((await local.Jobs.GetAsync(id, cancellationToken))?.State.IsTerminal != true)
                    {
                        return false;
                    }
                }

                return true;
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
            jobs.Add(Summarise(record, report));
        }

        var poison = await local.DeadLetters.PeekAsync(cancellationToken: cancellationToken);
        return new Summary(SamplesWrittenFor, clock.GetUtcNow(), stopwatch.Elapsed.TotalSeconds, jobs, [.. poison.Select(p => p.Reason)], leftRunning);
    }

    private static JobSummary Summarise(JobRecord record, EmissionsReport? report)
    {
        var state = record.State;
        var started = state.History.FirstOrDefault(h => h.To == JobStatus.Running)?.At;
        var ended = state.IsTerminal && state.History.Count > 0 ? state.History[^1].At : (DateTimeOffset?)null;
        var plan = state.Plan;
        return new JobSummary(
            record.Job.Id, plan?.Policy ?? "-", state.Region, state.Status.ToString(), started, ended, record.Job.Deadline,
            plan?.ExpectedGramsCo2e / 1000, plan?.RunNowGramsCo2e / 1000,
            report?.EnergyKwh, report?.EmissionsKg, report?.CounterfactualKg, report?.SavingsKg, report?.IntensitySource.ToString(),
            state.Status == JobStatus.Completed ? null : state.Reason);
    }

    private static void Print(Summary summary)
    {
        var table = new Table().Title("CarbonFunctions demo — sample jobs on replayed real carbon data")
            .AddColumns("Job", "Policy", "Region", "Status", "Ran", "Deadline", "Plan kg", "Run-now kg", "Energy kWh", "Measured kg", "If run at submit kg", "Saved kg");
        foreach (var j in summary.Jobs)
        {
            table.AddRow(
                Markup.Escape(j.Id), j.Policy, j.Region ?? "-", j.Status == "Completed" ? $"[green]{j.Status}[/]" : $"[red]{j.Status}[/]",
                $"{Output.Time(j.Started)} → {Output.Time(j.Ended)}", Output.Time(j.Deadline),
                F(j.PlannedKg), F(j.RunNowKg), F(j.EnergyKwh), F(j.MeasuredKg), F(j.CounterfactualKg), F(j.SavedKg));
        }

        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine("Plan kg: operational estimate before PUE; measured: from the pools' telemetry × intensity × PUE; 'if run at submit': the same energy profile moved to the submission time.");
        foreach (var reason in summary.PoisonReasons)
        {
            AnsiConsole.MarkupLineInterpolated($"[yellow]dead-lettered:[/] {reason}");
        }

        AnsiConsole.MarkupLineInterpolated($"Virtual time {Output.Time(summary.VirtualStart)} → {Output.Time(summary.VirtualEnd)} in {summary.WallSeconds:0.0} s; nodes left running: {summary.PoolsLeftRunning}.");
    }

    private static string F(double? value) => value is null ? "-" : value.Value.ToString("0.##", CultureInfo.InvariantCulture);

    private static string? FindSamples()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "samples", "jobs");
                if (Directory.Exists(candidate))
                {
                    return candidate;
                }
            }
        }

        return null;
    }
}
