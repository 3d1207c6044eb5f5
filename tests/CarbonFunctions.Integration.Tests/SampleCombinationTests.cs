using System.Diagnostics;
using System.Text.Json;
using CarbonFunctions.Testing;

namespace CarbonFunctions.Integration.Tests;

/// <summary>Every combination samples/README.md documents, run as written (with --json), from the repository root.</summary>
public sealed class SampleCombinationTests
{
    private static readonly string Readme = Path.Combine(RepoPaths.Root, "samples", "README.md");

    /// <summary>The indented <c>carbonctl …</c> lines of the README, without the program name.</summary>
    private static List<string> Commands() =>
        [.. File.ReadLines(Readme).Where(l => l.StartsWith("    carbonctl ", StringComparison.Ordinal)).Select(l => l.Trim()["carbonctl ".Length..])];

    public static TheoryData<string> Documented() => [.. Commands()];

    [Fact]
    public void The_readme_documents_plan_emissions_and_simulate_combinations()
    {
        var commands = Commands();
        Assert.Equal(3, commands.Count(c => c.StartsWith("plan ", StringComparison.Ordinal)));
        Assert.Single(commands, c => c.StartsWith("emissions compute ", StringComparison.Ordinal));
        Assert.Equal(2, commands.Count(c => c.StartsWith("simulate ", StringComparison.Ordinal)));
    }

    [Theory]
    [MemberData(nameof(Documented))]
    public async Task A_documented_combination_runs_and_prints_one_json_document(string command)
    {
        var (code, stdout, stderr) = await CarbonctlAsync([.. command.Split(' ', StringSplitOptions.RemoveEmptyEntries), "--json"]);

        Assert.True(code == 0, $"carbonctl {command} exited {code}: {stderr}");
        using var document = JsonDocument.Parse(stdout);
        var root = document.RootElement;
        if (command.StartsWith("plan ", StringComparison.Ordinal))
        {
            // In the sample's week, with a forecast covering now: a plan with known emissions that meets the deadline.
            Assert.True(root.GetProperty("meetsDeadline").GetBoolean(), stdout);
            Assert.True(root.GetProperty("expectedGramsCo2e").GetDouble() > 0, stdout);
        }
        else if (command.StartsWith("emissions ", StringComparison.Ordinal))
        {
            // The samples' power × 15 s sums to 1.791 kWh (samples/README.md); every slot has an actual intensity.
            Assert.Equal(1.791, root.GetProperty("energyKwh").GetDouble(), 2);
            Assert.Equal("actual", root.GetProperty("intensitySource").GetString());
            Assert.Equal(2, root.GetProperty("devices").GetArrayLength());
            Assert.True(root.GetProperty("savingsKg").GetDouble() > 0, "waiting from 06:00 to 12:00 in Spain saved nothing");
        }
        else
        {
            Assert.All(root.GetProperty("policies").EnumerateArray(), p => Assert.Equal(0, p.GetProperty("deadlineMisses").GetInt32()));
        }
    }

    [Fact]
    public async Task The_bert_sample_is_planned_into_the_window_the_telemetry_sample_ran_in()
    {
        var (code, stdout, stderr) = await CarbonctlAsync(
            "plan", "--job", "samples/plan/bert-finetune-es-2022-06.json", "--trace", "samples/carbon/es-2022-06-06_week_hourly.csv", "--at", "2022-06-06T06:00:00Z", "--json");

        Assert.True(code == 0, stderr);
        using var document = JsonDocument.Parse(stdout);
        var slot = Assert.Single(document.RootElement.GetProperty("slots").EnumerateArray());
        Assert.Equal(new DateTimeOffset(2022, 6, 6, 12, 0, 0, TimeSpan.Zero), slot.GetProperty("start").GetDateTimeOffset());
        Assert.Equal(new DateTimeOffset(2022, 6, 6, 15, 0, 0, TimeSpan.Zero), slot.GetProperty("end").GetDateTimeOffset());
    }

    private static async Task<(int ExitCode, string Stdout, string Stderr)> CarbonctlAsync(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = RepoPaths.Root };
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
