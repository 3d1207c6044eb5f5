namespace CarbonFunctions.Core.Configuration;

/// <summary>Where a setting must be present.</summary>
public enum SettingScope
{
    /// <summary>In Azure (Bicep and Terraform app settings) and locally (local.settings.sample.json).</summary>
    Everywhere,

    /// <summary>Only in Azure: identity-based connections and monitoring have no local counterpart.</summary>
    AzureOnly,

    /// <summary>Only locally: Azurite connection strings and settings that Flex Consumption forbids as app settings.</summary>
    LocalOnly,
}

/// <summary>One app setting the Functions host or the app reads, in app-setting form (<c>Carbon__Section__Key</c>).</summary>
/// <param name="KeyVaultSecretName">
/// For secrets, the Key Vault secret that Azure's app setting references; secrets are never literals in a template.
/// </param>
public sealed record AppSetting(string Name, SettingScope Scope, string Description, string? KeyVaultSecretName = null)
{
    public bool IsSecret => KeyVaultSecretName is not null;

    /// <summary>The same setting as an <c>IConfiguration</c> key (<c>Carbon:Section:Key</c>).</summary>
    public string ConfigurationKey => Name.Replace("__", ":", StringComparison.Ordinal);

    public bool InAzure => Scope != SettingScope.LocalOnly;

    public bool InLocalSettings => Scope != SettingScope.AzureOnly;
}

/// <summary>
/// The catalog of every app setting name, shared by the code, the Bicep and Terraform templates and
/// local.settings.sample.json; a repository test checks that they agree.
/// </summary>
public static class AppSettingNames
{
    // Functions host: storage for Durable, queues, blob receipts and the timer's locks.
    public const string HostStorage = "AzureWebJobsStorage";
    public const string HostStorageAccountName = "AzureWebJobsStorage__accountName";
    public const string HostStorageCredential = "AzureWebJobsStorage__credential";
    public const string HostStorageClientId = "AzureWebJobsStorage__clientId";
    public const string WorkerRuntime = "FUNCTIONS_WORKER_RUNTIME";
    public const string ApplicationInsightsConnectionString = "APPLICATIONINSIGHTS_CONNECTION_STRING";
    public const string ApplicationInsightsAuthenticationString = "APPLICATIONINSIGHTS_AUTHENTICATION_STRING";

    /// <summary>Client id of the user-assigned identity, read by Azure.Identity's DefaultAzureCredential (ARM calls, Key Vault).</summary>
    public const string AzureClientId = "AZURE_CLIENT_ID";

    public const string StorageConnectionString = "Carbon__Storage__ConnectionString";
    public const string StorageAccountName = "Carbon__Storage__AccountName";
    public const string StorageCredential = "Carbon__Storage__Credential";
    public const string StorageClientId = "Carbon__Storage__ClientId";

    // Names the triggers bind to (binding expressions) and carbonctl sends to: one setting, read by both.
    public const string StorageJobsQueue = "Carbon__Storage__JobsQueue";
    public const string StorageEventsQueue = "Carbon__Storage__EventsQueue";
    public const string StorageTelemetryContainer = "Carbon__Storage__TelemetryContainer";

    public const string ReconcilerSchedule = "Carbon__Reconciler__Schedule";

    public const string JobsMaxNodesPerJob = "Carbon__Jobs__MaxNodesPerJob";
    public const string JobsMaxDeadlineHorizon = "Carbon__Jobs__MaxDeadlineHorizon";

    public const string PlannerDefaultPolicy = "Carbon__Planner__DefaultPolicy";
    public const string PlannerMaxForecastAge = "Carbon__Planner__MaxForecastAge";

    public const string ForecastsSchedule = "Carbon__Forecasts__Schedule";
    public const string ForecastsRegionMapMapping = "Carbon__Forecasts__RegionMap__Mapping";
    public const string ForecastsWattTimeUsername = "Carbon__Forecasts__WattTime__Username";
    public const string ForecastsWattTimePassword = "Carbon__Forecasts__WattTime__Password";
    public const string ForecastsElectricityMapsApiToken = "Carbon__Forecasts__ElectricityMaps__ApiToken";
    public const string ForecastsCarbonAwareSdkBaseUrl = "Carbon__Forecasts__CarbonAwareSdk__BaseUrl";
    public const string ForecastsReplayDirectory = "Carbon__Forecasts__Replay__Directory";
    public const string ForecastsReplayLoop = "Carbon__Forecasts__Replay__Loop";

    public const string PoolsSimulate = "Carbon__Pools__Simulate";
    public const string PoolsMaxTotalNodes = "Carbon__Pools__MaxTotalNodes";
    public const string PoolsAzureSubscriptionId = "Carbon__Pools__Azure__SubscriptionId";
    public const string PoolsAzureResourceGroup = "Carbon__Pools__Azure__ResourceGroup";
    public const string PoolsAzureMode = "Carbon__Pools__Azure__Mode";
    public const string PoolsAwsRegion = "Carbon__Pools__Aws__Region";
    public const string PoolsAwsLaunchTemplateId = "Carbon__Pools__Aws__LaunchTemplateId";

    /// <summary>AWS credentials are not options: the AWS SDK's default credential chain reads these environment variables.</summary>
    public const string AwsAccessKeyId = "AWS_ACCESS_KEY_ID";

    /// <inheritdoc cref="AwsAccessKeyId"/>
    public const string AwsSecretAccessKey = "AWS_SECRET_ACCESS_KEY";

    public const string EmissionsDefaultPue = "Carbon__Emissions__DefaultPue";

    /// <summary>Every setting, in the order the templates list them.</summary>
    public static IReadOnlyList<AppSetting> All { get; } =
    [
        new(HostStorage, SettingScope.LocalOnly, "Host storage connection string; UseDevelopmentStorage=true for Azurite."),
        new(HostStorageAccountName, SettingScope.AzureOnly, "Host storage account, reached with the managed identity."),
        new(HostStorageCredential, SettingScope.AzureOnly, "Always 'managedidentity'."),
        new(HostStorageClientId, SettingScope.AzureOnly, "Client id of the user-assigned identity."),
        new(WorkerRuntime, SettingScope.LocalOnly, "dotnet-isolated; on Flex Consumption the runtime is set in functionAppConfig instead."),
        new(ApplicationInsightsConnectionString, SettingScope.AzureOnly, "Application Insights connection string (not a credential with Entra auth)."),
        new(ApplicationInsightsAuthenticationString, SettingScope.AzureOnly, "ClientId=<identity>;Authorization=AAD: telemetry sent with Entra auth."),
        new(AzureClientId, SettingScope.AzureOnly, "Client id of the user-assigned identity for DefaultAzureCredential."),

        new(StorageConnectionString, SettingScope.LocalOnly, "App storage (tables, queues, blobs) connection string; Azurite locally."),
        new(StorageAccountName, SettingScope.AzureOnly, "App storage account, reached with the managed identity."),
        new(StorageCredential, SettingScope.AzureOnly, "Always 'managedidentity'."),
        new(StorageClientId, SettingScope.AzureOnly, "Client id of the user-assigned identity."),
        new(StorageJobsQueue, SettingScope.Everywhere, "Queue of training jobs (intake trigger, carbonctl jobs enqueue); its dead letters go to {name}-poison."),
        new(StorageEventsQueue, SettingScope.Everywhere, "Queue of job events (complete, fail, cancel, replan); dead letters in {name}-poison."),
        new(StorageTelemetryContainer, SettingScope.Everywhere, "Blob container of uploaded power telemetry ({jobId}/...), read by the telemetry trigger."),

        new(JobsMaxNodesPerJob, SettingScope.Everywhere, "Most nodes one job may ask for (default 16)."),
        new(JobsMaxDeadlineHorizon, SettingScope.Everywhere, "How far ahead a deadline may be (TimeSpan, default 14.00:00:00)."),

        new(PlannerDefaultPolicy, SettingScope.Everywhere, "Policy for jobs that name none (default best-window)."),
        new(PlannerMaxForecastAge, SettingScope.Everywhere, "Forecasts older than this are stale (TimeSpan, default 06:00:00)."),

        new(ForecastsSchedule, SettingScope.Everywhere, "NCRONTAB schedule of the forecast ingestion timer (six fields)."),
        new(ReconcilerSchedule, SettingScope.Everywhere, "NCRONTAB schedule of the reconciler (orphaned pools, stuck jobs); both hosts (six fields)."),
        new(ForecastsRegionMapMapping, SettingScope.Everywhere, "Named mapping of regions.json (region to provider and zone): default, watttime or replay."),
        new(ForecastsWattTimeUsername, SettingScope.Everywhere, "WattTime account name."),
        new(ForecastsWattTimePassword, SettingScope.Everywhere, "WattTime password.", "watttime-password"),
        new(ForecastsElectricityMapsApiToken, SettingScope.Everywhere, "Electricity Maps auth-token.", "electricitymaps-api-key"),
        new(ForecastsCarbonAwareSdkBaseUrl, SettingScope.Everywhere, "Base URL of a Carbon Aware SDK WebAPI deployment."),
        new(ForecastsReplayDirectory, SettingScope.LocalOnly, "Folder the replay mapping's zone paths are relative to; empty = the nearest samples/carbon."),
        new(ForecastsReplayLoop, SettingScope.LocalOnly, "true: the bundled week-long traces repeat, so that replayed forecasts cover any date (func start, the demo)."),

        new(PoolsSimulate, SettingScope.Everywhere, "true: one simulated cloud stands in for Azure and AWS (local runs); false in Azure."),
        new(PoolsMaxTotalNodes, SettingScope.Everywhere, "Nodes that may run at once across all pools (default 32)."),
        new(PoolsAzureSubscriptionId, SettingScope.Everywhere, "Subscription holding the Azure GPU pools."),
        new(PoolsAzureResourceGroup, SettingScope.Everywhere, "Resource group holding the Azure GPU pools (the identity is VM Contributor there only)."),
        new(PoolsAzureMode, SettingScope.Everywhere, "ScaleSet (one scale set per pool) or TaggedVms (pre-created VMs carrying the pool tag)."),
        new(PoolsAwsRegion, SettingScope.Everywhere, "AWS region of the Gaudi (DL1) pools."),
        new(PoolsAwsLaunchTemplateId, SettingScope.Everywhere, "EC2 launch template the pools launch from; empty = start and stop pre-created tagged instances."),

        // Locally the SDK's chain also finds a profile (~/.aws, AWS_PROFILE), and simulated pools need none.
        new(AwsAccessKeyId, SettingScope.AzureOnly, "AWS access key id, read by the AWS SDK's default credential chain.", "aws-access-key-id"),
        new(AwsSecretAccessKey, SettingScope.AzureOnly, "AWS secret access key, read by the AWS SDK's default credential chain.", "aws-secret-access-key"),

        new(EmissionsDefaultPue, SettingScope.Everywhere, "Power usage effectiveness applied where no provider or region figure is set (default 1.2)."),
    ];
}
