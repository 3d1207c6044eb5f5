using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using CarbonFunctions.Core.Configuration;
using CarbonFunctions.Handlers.Forecasts;
using CarbonFunctions.Handlers.Lifecycle;
using CarbonFunctions.Storage;

namespace CarbonFunctions.Repo.Tests;

/// <summary>
/// The built app's <c>functions.metadata</c> (what the Functions host indexes) against host.json, the settings catalog,
/// local.settings.sample.json, Bicep and Terraform: every trigger's queue, blob path, connection and schedule resolves
/// to a setting that every deployment path sets, to the same name the code and the infra use.
/// </summary>
[Collection(InfraFixtures.Name)]
public sealed partial class FunctionsMetadataTests(BicepTemplate bicep, TerraformConfig terraform)
{
    private static readonly string OutputFolder = Path.Combine(
        Repository.PathOf("src", "CarbonFunctions.App", "bin"),
        Path.GetFileName(Path.GetDirectoryName(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory))!),
        Path.GetFileName(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)));

    private static JsonArray Metadata => JsonNode.Parse(File.ReadAllText(Path.Combine(OutputFolder, "functions.metadata")))!.AsArray();

    private static Dictionary<string, string> LocalSettings =>
        JsonNode.Parse(File.ReadAllText(Repository.PathOf("local.settings.sample.json")))!["Values"]!.AsObject()
            .ToDictionary(p => p.Key, p => p.Value!.ToString(), StringComparer.Ordinal);

    private static JsonObject HostJson => JsonNode.Parse(File.ReadAllText(Repository.PathOf("host.json")))!.AsObject();

    private static IEnumerable<(string Function, JsonObject Binding)> Bindings =>
        Metadata.Select(f => f!.AsObject()).SelectMany(f => f["bindings"]!.AsArray().Select(b => ((string)f["name"]!, b!.AsObject())));

    [GeneratedRegex("%([^%]+)%")]
    private static partial Regex Expression();

    /// <summary>The app setting a binding expression names: %Carbon:Storage:JobsQueue% is Carbon__Storage__JobsQueue.</summary>
    private static string SettingOf(string value) =>
        Expression().Match(value) is { Success: true } m ? m.Groups[1].Value.Replace(":", "__", StringComparison.Ordinal) : throw new InvalidOperationException($"'{value}' names no setting");

    [Fact]
    public void The_app_has_exactly_its_functions()
    {
        Assert.Equal(
            ["ExecuteJobCommand", "GetJob", "IngestForecasts", "IngestTelemetry", "JobEvents", "JobIntake", "JobOrchestrator", "ReconcilePools", "RecordJobState", "SignalJob"],
            Metadata.Select(f => (string)f!["name"]!).Order(StringComparer.Ordinal).ToArray());
    }

    [Fact]
    public void Every_storage_trigger_uses_the_host_connection_and_a_setting_every_deployment_sets()
    {
        var storageBindings = Bindings.Where(b => (string?)b.Binding["type"] is "queueTrigger" or "blobTrigger").ToList();
        Assert.Equal(3, storageBindings.Count);
        foreach (var (function, binding) in storageBindings)
        {
            Assert.Equal(AppSettingNames.HostStorage, (string?)binding["connection"]);
            var setting = SettingOf((string?)binding["queueName"] ?? (string)binding["path"]!);
            var entry = Assert.Single(AppSettingNames.All, s => s.Name == setting);
            Assert.Equal(SettingScope.Everywhere, entry.Scope);
            Assert.True(LocalSettings.ContainsKey(setting), $"{function}: {setting} missing from local.settings.sample.json");
            Assert.True(bicep.AppSettings.ContainsKey(setting), $"{function}: {setting} missing from Bicep");
            Assert.Contains(setting, terraform.Resource("azurerm_function_app_flex_consumption", "this")["app_settings"]!.AsObject().Select(p => p.Key));
        }
    }

    [Fact]
    public void Queue_and_container_names_agree_with_the_code_defaults_and_the_created_resources()
    {
        var defaults = new StorageOptions();
        Assert.Equal(defaults.JobsQueue, LocalSettings[AppSettingNames.StorageJobsQueue]);
        Assert.Equal(defaults.EventsQueue, LocalSettings[AppSettingNames.StorageEventsQueue]);
        Assert.Equal(defaults.TelemetryContainer, LocalSettings[AppSettingNames.StorageTelemetryContainer]);

        var storage = BicepTemplate.FindTemplateOf(bicep.Module("storage"))["parameters"]!;
        var queues = storage["queueNames"]!["defaultValue"]!.AsArray().Select(q => (string)q!).ToList();
        Assert.Contains(defaults.JobsQueue, queues);
        Assert.Contains(defaults.JobsPoisonQueue, queues);
        Assert.Contains(defaults.EventsQueue, queues);
        Assert.Contains(defaults.EventsPoisonQueue, queues);
        var containers = storage["containerNames"]!["defaultValue"]!.AsArray().Select(c => (string)c!).ToList();
        Assert.Contains(defaults.TelemetryContainer, containers);
        Assert.Contains(defaults.PoisonContainer, containers);

        var intake = Bindings.Single(b => b.Function == "JobIntake" && (string?)b.Binding["type"] == "queueTrigger").Binding;
        Assert.Equal("%Carbon:Storage:JobsQueue%", (string?)intake["queueName"]);
        var telemetry = Bindings.Single(b => b.Function == "IngestTelemetry").Binding;
        Assert.Equal("%Carbon:Storage:TelemetryContainer%/{jobId}/{name}", (string?)telemetry["path"]);
        Assert.Equal("EventGrid", (string?)telemetry["source"]);
    }

    [Fact]
    public void Timer_schedules_are_settings_with_the_code_defaults_as_their_local_values()
    {
        var timers = Bindings.Where(b => (string?)b.Binding["type"] == "timerTrigger").ToDictionary(b => b.Function, b => SettingOf((string)b.Binding["schedule"]!));
        Assert.Equal(AppSettingNames.ForecastsSchedule, timers["IngestForecasts"]);
        Assert.Equal(AppSettingNames.ReconcilerSchedule, timers["ReconcilePools"]);
        Assert.Equal(new ForecastIngestionOptions().Schedule, LocalSettings[AppSettingNames.ForecastsSchedule]);
        Assert.Equal(new ReconcilerOptions().Schedule, LocalSettings[AppSettingNames.ReconcilerSchedule]);
        Assert.All(timers.Values, setting => Assert.True(bicep.AppSettings.ContainsKey(setting), setting));
    }

    [Fact]
    public void Host_json_retries_as_often_as_the_pipeline_dead_letters_and_durable_uses_the_host_connection()
    {
        var queues = HostJson["extensions"]!["queues"]!;
        Assert.Equal(new StorageOptions().MaxDequeueCount, (int)queues["maxDequeueCount"]!);
        Assert.Equal("none", (string?)queues["messageEncoding"]);
        Assert.Equal(AppSettingNames.HostStorage, (string?)HostJson["extensions"]!["durableTask"]!["storageProvider"]!["connectionName"]);
    }

    [Fact]
    public void The_telemetry_function_is_the_one_event_grid_delivers_to()
    {
        Assert.Contains(Metadata, f => (string?)f!["name"] == (string?)bicep.Root["parameters"]!["telemetryFunctionName"]!["defaultValue"]);
        var extensions = JsonNode.Parse(File.ReadAllText(Path.Combine(OutputFolder, "extensions.json")))!["extensions"]!.AsArray().Select(e => (string)e!["name"]!).ToList();
        Assert.Contains("AzureStorageQueues", extensions);
        Assert.Contains("AzureStorageBlobs", extensions);
        Assert.Contains("DurableTask", extensions);
    }
}
