using System.Diagnostics;
using System.Text.Json;
using CarbonFunctions.Testing;

namespace CarbonFunctions.Integration.Tests;

/// <summary>carbonctl as a user runs it: a separate process, exit codes, output.</summary>
public sealed class CliTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>
{
    private static async Task<(int ExitCode, string Output)> CarbonctlAsync(string connection, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Path.GetTempPath() };
        // carbonctl runs from its own build output (its deps.json and runtimeconfig), in this test's configuration.
        var testOutput = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        start.ArgumentList.Add(Path.Combine(RepoPaths.Root, "src", "CarbonFunctions.Local", "bin", testOutput.Parent!.Name, testOutput.Name, "carbonctl.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["CARBON_STORAGE"] = connection;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await stdout + await stderr);
    }

    private static string WriteJob(string json)
    {
        var path = Path.Combine(Path.GetTempPath(), $"job-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, json);
        return path;
    }

    [Fact]
    public async Task Enqueue_refuses_an_invalid_job_with_exit_code_2_and_the_field_errors()
    {
        var file = WriteJob("""{"schemaVersion":1,"id":"x","name":"n","owner":"o","pool":{"kind":"gpu","provider":"azure","nodeSize":"S","minNodes":0},"regions":["westus"],"estimatedDurationMinutes":60,"deadline":"2020-01-01T00:00:00Z","interruptible":"no","workload":{"image":"i"}}""");
        var (code, output) = await CarbonctlAsync(azurite.ConnectionString, "jobs", "enqueue", file, "--json");

        Assert.Equal(2, code);
        using var json = JsonDocument.Parse(output);
        Assert.False(json.RootElement.GetProperty("valid").GetBoolean());
        var fields = json.RootElement.GetProperty("errors").EnumerateArray().Select(e => e.GetProperty("field").GetString()!).ToHashSet();
        Assert.Equal(["deadline", "interruptible", "pool.minNodes"], fields.Order(StringComparer.Ordinal).ToArray());
    }

    [Fact]
    public async Task Enqueue_puts_a_valid_job_on_the_queue_and_show_reports_an_unknown_job_with_exit_code_3()
    {
        var deadline = DateTimeOffset.UtcNow.AddDays(2).ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture);
        var file = WriteJob($$$"""{"schemaVersion":1,"id":"cli-ok","name":"n","owner":"o","pool":{"kind":"gpu","provider":"azure","nodeSize":"Standard_ND96asr_v4","minNodes":1},"regions":["westus"],"estimatedDurationMinutes":60,"deadline":"{{{deadline}}}","interruptible":false,"workload":{"image":"i"}}""");
        var (code, output) = await CarbonctlAsync(azurite.ConnectionString, "jobs", "enqueue", file, "--json");
        Assert.Equal(0, code);
        using (var json = JsonDocument.Parse(output))
        {
            Assert.Equal("cli-ok", json.RootElement.GetProperty("jobId").GetString());
        }

        var queue = new Azure.Storage.Queues.QueueClient(azurite.ConnectionString, "training-jobs");
        var peeked = await queue.PeekMessagesAsync(32);
        Assert.Contains(peeked.Value, m => m.Body.ToString().Contains("\"id\":\"cli-ok\"", StringComparison.Ordinal));

        var (showCode, showOutput) = await CarbonctlAsync(azurite.ConnectionString, "jobs", "show", "no-such-job");
        Assert.Equal(3, showCode);
        Assert.Contains("no job 'no-such-job'", showOutput, StringComparison.Ordinal);
    }
}
