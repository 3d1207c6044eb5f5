using System.Diagnostics;
using System.Text.Json;
using CarbonFunctions.Testing;

namespace CarbonFunctions.Integration.Tests;

/// <summary>carbonctl as a user runs it: a separate process, exit codes, output.</summary>
public sealed class CliTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>
{
    private static async Task<(int ExitCode, string Output)> CarbonctlAsync(string connection, params string[] args)
    {
        var (code, stdout, stderr) = await RunAsync(connection, new Dictionary<string, string>(), args);
        return (code, stdout + stderr);
    }

    private static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(string connection, Dictionary<string, string> environment, params string[] args)
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
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        // The bundled weekly traces repeat so that a replay on today's clock finds data.
        start.Environment["Carbon__Forecasts__Replay__Loop"] = "true";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await stdout, await stderr);
    }

    private static void AssertNoStackTrace(string text) => Assert.DoesNotMatch(@"\n\s+at [A-Za-z_.]+\(", text);

    [Fact]
    public async Task A_usage_error_exits_2_with_the_message_on_stderr_and_nothing_on_stdout()
    {
        var (code, stdout, stderr) = await RunAsync(azurite.ConnectionString, [], "jobs", "frobnicate");

        Assert.Equal(2, code);
        Assert.Empty(stdout);
        Assert.StartsWith("error: ", stderr, StringComparison.Ordinal);
        Assert.Contains("frobnicate", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Under_json_an_error_is_one_json_object_on_stderr_and_the_exit_code_says_not_found()
    {
        var (code, stdout, stderr) = await RunAsync(azurite.ConnectionString, [], "jobs", "show", "no-such-job", "--json");

        Assert.Equal(3, code);
        Assert.Empty(stdout);
        using var error = JsonDocument.Parse(stderr);
        Assert.Equal("no job 'no-such-job'", error.RootElement.GetProperty("error").GetString());
    }

    [Fact]
    public async Task A_malformed_connection_string_is_invalid_input_without_a_stack_trace()
    {
        var (code, stdout, stderr) = await RunAsync("DefaultEndpointsProtocol=http;AccountName=;Nonsense", [], "jobs", "list");

        Assert.Equal(2, code);
        Assert.Empty(stdout);
        Assert.StartsWith("error: invalid input", stderr, StringComparison.Ordinal);
        AssertNoStackTrace(stderr);
    }

    [Fact]
    public async Task Listing_jobs_on_an_account_with_no_jobs_table_yet_prints_an_empty_list()
    {
        var (code, stdout, stderr) = await RunAsync(azurite.ConnectionString, new() { ["Carbon__Storage__JobsTable"] = AzuriteFixture.UniqueName("fresh") }, "jobs", "list", "--json");

        Assert.True(code == 0, stderr);
        Assert.Equal(0, JsonDocument.Parse(stdout).RootElement.GetArrayLength());
    }

    [Fact]
    public async Task Forecast_show_refuses_zero_hours_as_invalid_input()
    {
        var (code, _, stderr) = await RunAsync(azurite.ConnectionString, [], "forecast", "show", "--region", "westus", "--hours", "0");

        Assert.Equal(2, code);
        Assert.Contains("--hours must be between 1 and 336", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Jobs_show_json_is_the_contract_shape_that_jobs_enqueue_takes_back()
    {
        var table = AzuriteFixture.UniqueName("jobs");
        var clients = new CarbonFunctions.Storage.StorageClients(new CarbonFunctions.Storage.StorageOptions { ConnectionString = azurite.ConnectionString, JobsTable = table });
        await clients.EnsureCreatedAsync();
        var job = CarbonFunctions.Core.Jobs.JobContract.ReadStored(File.ReadAllText(Path.Combine(RepoPaths.Root, "samples", "jobs", "bert-finetune.json")))
            with { Deadline = DateTimeOffset.UtcNow.AddDays(2) };
        await new CarbonFunctions.Storage.Jobs.JobStore(clients).TryAddAsync(job, CarbonFunctions.Core.Lifecycle.JobState.New(job.Id, DateTimeOffset.UtcNow));
        var environment = new Dictionary<string, string> { ["Carbon__Storage__JobsTable"] = table };

        var (showCode, shown, showErrors) = await RunAsync(azurite.ConnectionString, environment, "jobs", "show", job.Id, "--json");
        Assert.True(showCode == 0, showErrors);
        var (code, stdout, stderr) = await RunAsync(azurite.ConnectionString, environment, "jobs", "enqueue", WriteJob(shown), "--json");

        Assert.True(code == 0, stderr);
        Assert.Equal(job.Id, JsonDocument.Parse(stdout).RootElement.GetProperty("jobId").GetString());
    }

    [Fact]
    public async Task Pools_list_shows_what_is_running()
    {
        var (code, stdout, stderr) = await RunAsync(azurite.ConnectionString, new() { ["Carbon__Pools__Simulated__TableName"] = AzuriteFixture.UniqueName("pools") }, "pools", "list", "--json");

        Assert.True(code == 0, stderr);
        Assert.Equal(JsonValueKind.Array, JsonDocument.Parse(stdout).RootElement.ValueKind);
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

    [Fact]
    public async Task Emissions_compute_works_offline_and_matches_a_hand_computed_value()
    {
        // One device at a constant 250 W from 10:00 to 10:02 UTC: 250 W x 2/60 h = 0.008333 kWh;
        // x PUE 1.5 x 400 g/kWh = 5.0 g = 0.005 kg.
        var telemetry = Path.Combine(Path.GetTempPath(), $"t-{Guid.NewGuid():N}.jsonl");
        await File.WriteAllLinesAsync(telemetry,
        [
            """{"timestamp":"2026-01-01T10:00:00Z","device":"gpu0","powerWatts":250}""",
            """{"timestamp":"2026-01-01T10:01:00Z","device":"gpu0","powerWatts":250}""",
            """{"timestamp":"2026-01-01T10:02:00Z","device":"gpu0","powerWatts":250}""",
        ]);
        var trace = Path.Combine(Path.GetTempPath(), $"i-{Guid.NewGuid():N}.csv");
        await File.WriteAllTextAsync(trace, "start,gCO2e/kWh\n2026-01-01T09:00:00Z,400\n2026-01-01T11:00:00Z,400\n");

        var (code, output) = await CarbonctlAsync("UseDevelopmentStorage=true", "emissions", "compute", "--telemetry", telemetry, "--intensity", trace, "--pue", "1.5", "--json");

        Assert.Equal(0, code);
        using var json = JsonDocument.Parse(output);
        Assert.Equal(250.0 * 2 / 60 / 1000, json.RootElement.GetProperty("energyKwh").GetDouble(), 6);
        Assert.Equal(0.005, json.RootElement.GetProperty("emissionsKg").GetDouble(), 6);
    }

    [Fact]
    public async Task Forecast_ingest_replays_a_bundled_trace_into_the_store_and_show_reads_it_back()
    {
        var (code, output) = await CarbonctlAsync(azurite.ConnectionString, "forecast", "ingest", "--region", "westus", "--provider", "replay", "--zone", "us-cal-ciso-2022-06-06_week_hourly.csv", "--json");
        Assert.True(code == 0, output);
        using (var json = JsonDocument.Parse(output))
        {
            Assert.Equal("ok", json.RootElement.GetProperty("status").GetString(), ignoreCase: true);
            Assert.True(json.RootElement.GetProperty("forecastPoints").GetInt32() >= 48);
        }

        var (showCode, shown) = await CarbonctlAsync(azurite.ConnectionString, "forecast", "show", "--region", "westus", "--hours", "6", "--json");
        Assert.True(showCode == 0, shown);
        using var series = JsonDocument.Parse(shown);
        Assert.Equal("westus", series.RootElement.GetProperty("region").GetString());
        Assert.InRange(series.RootElement.GetProperty("points").GetArrayLength(), 6, 7);

        var (missingCode, missing) = await CarbonctlAsync(azurite.ConnectionString, "forecast", "ingest", "--region", "westeurope");
        Assert.Equal(1, missingCode);
        Assert.Contains("provider 'electricitymaps' is not configured", missing, StringComparison.Ordinal);
    }
}
