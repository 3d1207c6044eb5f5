using System.Diagnostics;
using System.Text.Json;
using CarbonFunctions.Core.Forecasts;
using CarbonFunctions.Core.Jobs;
using CarbonFunctions.Core.Planning;
using CarbonFunctions.Core.Simulation;
using CarbonFunctions.Handlers.Simulation;
using CarbonFunctions.Testing;

namespace CarbonFunctions.Integration.Tests;

/// <summary>The replay simulator through the production planner and lifecycle, and carbonctl simulate as a user runs it.</summary>
public sealed class SimulatorTests
{
    private static readonly string CaliforniaWeek = Path.Combine(RepoPaths.Root, "samples", "carbon", "us-cal-ciso-2022-06-06_week_hourly.csv");

    private static IntensityTrace Week()
    {
        using var reader = new StreamReader(CaliforniaWeek);
        return new IntensityTrace(TraceCsv.Read(reader, "ciso", DateTimeOffset.UnixEpoch, "week", SignalKind.Average, SeriesKind.Actual));
    }

    private static readonly DateTimeOffset Monday = new(2022, 6, 6, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task The_oracle_replayed_through_the_lifecycle_emits_what_its_plan_expected_and_run_now_what_the_trace_says()
    {
        var trace = Week();
        var jobs = new[]
        {
            JobTrace.Job("cannot-pause", Monday.AddHours(2), TimeSpan.FromHours(3), TimeSpan.FromHours(30), false, PoolKind.Gpu, 2, 2, 3000, TimeSpan.Zero, null, "ciso"),
            JobTrace.Job("can-pause", Monday.AddHours(5), TimeSpan.FromHours(6), TimeSpan.FromHours(40), true, PoolKind.Gaudi, 1, 1, 2800, TimeSpan.FromMinutes(10), null, "ciso"),
            JobTrace.Job("elastic", Monday.AddHours(1), TimeSpan.FromHours(8), TimeSpan.FromHours(24), true, PoolKind.Gpu, 1, 4, 2400, TimeSpan.FromMinutes(5), null, "ciso"),
        };
        var settings = new SimulationSettings { Forecast = new PerfectForecast(TimeSpan.FromHours(48), TimeSpan.FromHours(6)) };

        var result = await ReplaySimulator.RunAsync(trace, "week", jobs, ["run-now", "best-window", "oracle"], settings);

        foreach (var job in jobs)
        {
            var oracle = result.Jobs.Single(j => j.JobId == job.Id && j.Policy == "oracle");
            var expected = PlanGrams.Expected(Oracle.Plan(job, trace, settings.Planner))!.Value / 1000;
            Assert.Equal(expected, oracle.Kg, 6);
            Assert.Equal("Completed", oracle.Status);
            Assert.True(oracle.DeadlineMet);

            // Run now: min nodes from submission for the run time, on the actual hourly values.
            var runNow = result.Jobs.Single(j => j.JobId == job.Id && j.Policy == "run-now");
            var watts = job.Pool.PowerPerNodeWatts!.Value;
            var grams = trace.Grams(job.SubmittedAt!.Value, job.SubmittedAt!.Value + job.EstimatedDuration, job.Pool.MinNodes, watts);
            Assert.Equal(grams / 1000, runNow.Kg, 6);
            Assert.Equal(1, runNow.PoolStarts);
            Assert.Equal(0, runNow.AddedWaitHours!.Value, 6);
            Assert.True(oracle.Kg <= runNow.Kg + 1e-9);
        }

        // The first job by hand: 2 × 3 kW for 3 h starting at 02:00 on the trace's values.
        var first = result.Jobs.Single(j => j.JobId == "cannot-pause" && j.Policy == "run-now");
        var hourly = File.ReadLines(CaliforniaWeek).Skip(1 + 2).Take(3).Select(l => double.Parse(l.Split(',')[4], System.Globalization.CultureInfo.InvariantCulture)).Sum();
        Assert.Equal(2 * 3.0 * hourly / 1000, first.Kg, 6);

        var oracleSummary = result.Policies.Single(p => p.Policy == "oracle");
        Assert.Equal(100, oracleSummary.OracleSharePercent!.Value, 6);
        Assert.Equal(0, oracleSummary.DeadlineMisses);
        var bestWindow = result.Policies.Single(p => p.Policy == "best-window");
        Assert.InRange(bestWindow.TotalKg, oracleSummary.TotalKg - 1e-9, result.Policies.Single(p => p.Policy == "run-now").TotalKg + 1e-9);
    }

    [Fact]
    public async Task Carbonctl_simulate_json_is_one_document_with_the_policies_and_the_html_report_has_its_charts()
    {
        var html = Path.Combine(Path.GetTempPath(), $"sim-{Guid.NewGuid():N}.html");
        try
        {
            var (code, stdout, stderr) = await CarbonctlAsync(
                "simulate", "--trace", CaliforniaWeek, "--generate", "40", "--max-hours", "12", "--max-slack-hours", "48",
                "--policy", "oracle,best-window,suspend-resume", "--forecast", "noise:sigma=15", "--seed", "4", "--json", "--html", html);

            Assert.True(code == 0, stderr);
            using var document = JsonDocument.Parse(stdout);
            var policies = document.RootElement.GetProperty("policies").EnumerateArray().ToList();
            Assert.Equal(["oracle", "best-window", "suspend-resume"], policies.Select(p => p.GetProperty("policy").GetString()));
            foreach (var p in policies)
            {
                foreach (var field in new[] { "totalKg", "savingPercent", "oracleSharePercent", "deadlineMisses", "poolHours" })
                {
                    Assert.True(p.TryGetProperty(field, out _), field);
                }
            }

            Assert.Equal(120, document.RootElement.GetProperty("jobs").GetArrayLength());
            var text = await File.ReadAllTextAsync(html);
            Assert.Contains("<svg id=\"intensity-chart\"", text, StringComparison.Ordinal);
            Assert.Contains("<rect class=\"ran\"", text, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(html);
        }
    }

    private static async Task<(int ExitCode, string Stdout, string Stderr)> CarbonctlAsync(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Path.GetTempPath() };
        var testOutput = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        start.ArgumentList.Add(Path.Combine(RepoPaths.Root, "src", "CarbonFunctions.Local", "bin", testOutput.Parent!.Name, testOutput.Name, "carbonctl.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await stdout, await stderr);
    }
}
