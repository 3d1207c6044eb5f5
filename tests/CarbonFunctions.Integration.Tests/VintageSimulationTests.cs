using System.Diagnostics;
using System.Text.Json;
using CarbonFunctions.Core.Forecasts;
using CarbonFunctions.Core.Jobs;
using CarbonFunctions.Core.Simulation;
using CarbonFunctions.Handlers.Simulation;
using CarbonFunctions.Testing;

namespace CarbonFunctions.Integration.Tests;

/// <summary>Published forecast vintages as the simulator's forecast: each plan and re-plan sees only what was published by then.</summary>
public sealed class VintageSimulationTests
{
    private static readonly DateTimeOffset Day = new(2023, 3, 14, 0, 0, 0, TimeSpan.Zero);

    private static CarbonIntensitySeries Hourly(DateTimeOffset from, int hours, Func<int, double> grams, SeriesKind kind) => new()
    {
        Region = "gb",
        Kind = kind,
        Signal = SignalKind.Average,
        Source = "test",
        GeneratedAt = from,
        Points = [.. Enumerable.Range(0, hours).Select(h => new CarbonIntensityPoint(from.AddHours(h), TimeSpan.FromHours(1), grams(h)))],
    };

    [Fact]
    public async Task A_waiting_job_replans_when_the_next_vintage_is_published_and_runs_where_it_says()
    {
        // Actual: 07:00 is the clean hour (50 g), 10:00 middling (200 g), the rest 300 g. The 00:00 vintage points at 10:00;
        // the 06:00 vintage, published while the job waits, points at 07:00.
        var actuals = new IntensityTrace(Hourly(Day, 24, h => h switch { 7 => 50, 10 => 200, _ => 300 }, SeriesKind.Actual));
        var first = new ForecastVintage(Day, Hourly(Day, 24, h => h == 10 ? 100 : 300, SeriesKind.Forecast).Points);
        var second = new ForecastVintage(Day.AddHours(6), Hourly(Day.AddHours(6), 18, h => h == 1 ? 60 : 300, SeriesKind.Forecast).Points);
        var job = JobTrace.Job("waits", Day.AddHours(1), TimeSpan.FromHours(1), TimeSpan.FromHours(21), false, PoolKind.Gpu, 1, 1, 1000, TimeSpan.Zero, null, "gb");
        var settings = new SimulationSettings { Forecast = new VintageForecast([first, second], "test") };

        var result = await ReplaySimulator.RunAsync(actuals, "day", [job], ["best-window"], settings);

        var row = result.Jobs.Single();
        Assert.Equal(0.1, row.FirstPlanKg!.Value, 9);
        Assert.Equal([new RunWindow(Day.AddHours(10), Day.AddHours(11), 1)], row.FirstPlan);
        Assert.Equal(1, row.Replans);
        Assert.Equal([new RunWindow(Day.AddHours(7), Day.AddHours(8), 1)], row.Runs);
        Assert.Equal(0.05, row.Kg, 9);
        Assert.Equal(0.05, row.HindsightKg, 9);
        Assert.Equal(0.3, row.RunNowKg, 9);
    }

    [Fact]
    public async Task Carbonctl_simulate_with_the_bundled_gb_vintages_plans_each_job_on_the_vintage_published_by_its_submission()
    {
        var jobs = Path.Combine(Path.GetTempPath(), $"gb-jobs-{Guid.NewGuid():N}.csv");
        await File.WriteAllTextAsync(jobs, JobTrace.CsvHeader + "\n" +
            "gb-before,2023-03-14T09:30:00Z,2,6.5,false,gpu,1,1,1000,0,\n" +
            "gb-after,2023-03-14T09:35:00Z,2,6.5,false,gpu,1,1,1000,0,\n");
        try
        {
            var trace = Path.Combine(RepoPaths.Root, "samples", "carbon", "uk-forecast-vintages-2023-03", "national_pt24h", "2023-03-15T0331Z.csv");
            var (code, stdout, stderr) = await CarbonctlAsync("simulate", "--trace", trace, "--jobs", jobs, "--policy", "best-window,oracle", "--forecast", "vintages", "--json");

            Assert.True(code == 0, stderr);
            using var document = JsonDocument.Parse(stdout);
            var rows = document.RootElement.GetProperty("jobs").EnumerateArray().ToDictionary(j => j.GetProperty("jobId").GetString() + "/" + j.GetProperty("policy").GetString());

            // 09:30: the 03:31 vintage is the newest; it puts 2 h at 09:30 (92, 95, 93, 96 g → 0.188 kg planned), and the
            // actuals there are 102, 101, 100, 101 g → 0.202 kg.
            Assert.Equal(0.188, rows["gb-before/best-window"].GetProperty("firstPlanKg").GetDouble(), 9);
            Assert.Equal(0.202, rows["gb-before/best-window"].GetProperty("kg").GetDouble(), 9);

            // 09:35: the 09:31 vintage says 11:30-13:30 (82, 85, 84, 84 → 0.1675 kg); actual 103, 99, 93, 88 → 0.1915 kg.
            Assert.Equal(0.1675, rows["gb-after/best-window"].GetProperty("firstPlanKg").GetDouble(), 9);
            Assert.Equal(0.1915, rows["gb-after/best-window"].GetProperty("kg").GetDouble(), 9);
            Assert.Equal("2023-03-14T11:30:00+00:00", rows["gb-after/best-window"].GetProperty("runs")[0].GetProperty("start").GetString());

            // In hindsight both take 12:00-14:00 on actuals (99, 93, 88, 91 → 0.1855 kg): regret 0.0165 and 0.006 kg.
            Assert.Equal(0.1855, rows["gb-before/oracle"].GetProperty("kg").GetDouble(), 9);
            Assert.Equal(0.1855, rows["gb-after/best-window"].GetProperty("hindsightKg").GetDouble(), 9);
            var bestWindow = document.RootElement.GetProperty("policies").EnumerateArray().Single(p => p.GetProperty("policy").GetString() == "best-window");
            Assert.Equal(0.0225, bestWindow.GetProperty("regretKg").GetDouble(), 9);
            Assert.StartsWith("2 published vintages", document.RootElement.GetProperty("forecast").GetString(), StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(jobs);
        }
    }

    [Fact]
    public async Task Vintages_without_a_gb_trace_or_folder_are_refused_with_what_to_give()
    {
        var trace = Path.Combine(RepoPaths.Root, "samples", "carbon", "us-cal-ciso-2022-06-06_week_hourly.csv");
        var (code, _, stderr) = await CarbonctlAsync("simulate", "--trace", trace, "--generate", "2", "--forecast", "vintages", "--json");

        Assert.Equal(2, code);
        Assert.Contains("--forecast vintages needs a GB trace", stderr, StringComparison.Ordinal);
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
