using System.Diagnostics;
using System.Text.Json;
using CarbonFunctions.Testing;

namespace CarbonFunctions.Integration.Tests;

/// <summary><c>carbonctl plan</c> as a user runs it, offline: one trace per region, and unknown emissions shown as unknown.</summary>
public sealed class PlanCliTests
{
    private static readonly string Spain = Path.Combine(RepoPaths.Root, "samples", "carbon", "es-2022-06-06_week_hourly.csv");
    private static readonly string California = Path.Combine(RepoPaths.Root, "samples", "carbon", "us-cal-ciso-2022-06-06_week_hourly.csv");

    private static async Task<(int ExitCode, string Output)> CarbonctlAsync(params string[] args)
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
        return (process.ExitCode, await stdout + await stderr);
    }

    private static string WriteJob(string deadline, int minutes)
    {
        var path = Path.Combine(Path.GetTempPath(), $"job-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, $$"""
            {
              "schemaVersion": 1, "id": "two-regions", "name": "plan test", "owner": "team@contoso.example",
              "pool": { "kind": "gpu", "provider": "azure", "nodeSize": "Standard_NC24ads_A100_v4", "minNodes": 1, "powerPerNodeWatts": 1000 },
              "regions": ["spaincentral", "westus"],
              "estimatedDurationMinutes": {{minutes}}, "deadline": "{{deadline}}", "interruptible": true,
              "resumeOverheadMinutes": 10, "workload": { "image": "trainer:1" }, "policy": "suspend-resume"
            }
            """);
        return path;
    }

    [Fact]
    public async Task Plan_takes_one_trace_per_region_and_picks_the_cleaner_one()
    {
        var job = WriteJob("2022-06-08T00:00:00Z", 240);

        var (code, output) = await CarbonctlAsync("plan", "--job", job, "--at", "2022-06-06T00:00:00Z", "--json",
            "--trace", $"spaincentral={Spain}", "--trace", $"westus={California}");

        Assert.True(code == 0, output);
        using var plan = JsonDocument.Parse(output);
        var root = plan.RootElement;
        Assert.Equal("westus", Property(root, "region").GetString());
        var expected = Property(root, "expectedGramsCo2e");
        Assert.Equal(JsonValueKind.Number, expected.ValueKind);
        Assert.True(expected.GetDouble() < Property(root, "runNowGramsCo2e").GetDouble());
        foreach (var slot in Property(root, "slots").EnumerateArray())
        {
            Assert.True(Property(slot, "end").GetDateTimeOffset() <= new DateTimeOffset(2022, 6, 7, 23, 50, 0, TimeSpan.Zero));
        }

        File.Delete(job);
    }

    [Fact]
    public async Task A_trace_that_does_not_cover_the_job_gives_unknown_emissions_not_zero()
    {
        // A bare --trace is the first region's; the trace ends on 2022-06-13, the job needs time after it.
        var job = WriteJob("2022-06-14T12:00:00Z", 36 * 60);

        var (code, output) = await CarbonctlAsync("plan", "--job", job, "--at", "2022-06-12T12:00:00Z", "--json", "--trace", Spain);
        var (textCode, text) = await CarbonctlAsync("plan", "--job", job, "--at", "2022-06-12T12:00:00Z", "--trace", Spain);

        Assert.True(code == 0, output);
        using var plan = JsonDocument.Parse(output);
        Assert.Equal(JsonValueKind.Null, Property(plan.RootElement, "expectedGramsCo2e").ValueKind);
        Assert.Equal(JsonValueKind.Null, Property(plan.RootElement, "runNowGramsCo2e").ValueKind);
        Assert.Equal(0, textCode);
        Assert.Contains("expected unknown CO2e vs unknown running now", text, StringComparison.Ordinal);
        Assert.DoesNotContain("0 kg", text, StringComparison.Ordinal);
        File.Delete(job);
    }

    [Fact]
    public async Task A_trace_for_a_region_the_job_does_not_name_is_refused()
    {
        var job = WriteJob("2022-06-08T00:00:00Z", 60);

        var (code, output) = await CarbonctlAsync("plan", "--job", job, "--at", "2022-06-06T00:00:00Z", "--trace", $"eastus={Spain}");

        Assert.Equal(2, code);
        Assert.Contains("not one of the job's regions", output, StringComparison.Ordinal);
        File.Delete(job);
    }

    /// <summary>A property by name, whatever the casing policy of the JSON writer.</summary>
    private static JsonElement Property(JsonElement element, string name) =>
        element.EnumerateObject().First(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase)).Value;
}
