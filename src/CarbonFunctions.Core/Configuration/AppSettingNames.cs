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

    public const string JobsMaxNodesPerJob = "Carbon__Jobs__MaxNodesPerJob";
    public const string JobsMaxDeadlineHorizon = "Carbon__Jobs__MaxDeadlineHorizon";

    public const string PlannerDefaultPolicy = "Carbon__Planner__DefaultPolicy";
    public const string PlannerMaxForecastAge = "Carbon__Planner__MaxForecastAge";

    public const string ForecastsSchedule = "Carbon__Forecasts__Schedule";
    public const string ForecastsProvider = "Carbon__Forecasts__Provider";
    public const string ForecastsWattTimeUsername = "Carbon__Forecasts__WattTime__Username";
    public const string ForecastsWattTimePassword = "Carbon__Forecasts__WattTime__Password";
    public const string ForecastsElectricityMapsApiKey = "Carbon__Forecasts__ElectricityMaps__ApiKey";
    public const string ForecastsCarbonAwareSdkBaseUrl = "Carbon__Forecasts__CarbonAwareSdk__BaseUrl";
    public const string ForecastsReplayPath = "Carbon__Forecasts__Replay__Path";

    public const string PoolsMaxTotalNodes = "Carbon__Pools__MaxTotalNodes";
    public const string PoolsAzureSubscriptionId = "Carbon__Pools__Azure__SubscriptionId";
    public const string PoolsAzureResourceGroup = "Carbon__Pools__Azure__ResourceGroup";
    public const string PoolsAwsRegion = "Carbon__Pools__Aws__Region";
    public const string PoolsAwsAccessKeyId = "Carbon__Pools__Aws__AccessKeyId";
    public const string PoolsAwsSecretAccessKey = "Carbon__Pools__Aws__SecretAccessKey";

    public const string EmissionsPue = "Carbon__Emissions__Pue";

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

        new(JobsMaxNodesPerJob, SettingScope.Everywhere, "Most nodes one job may ask for (default 16)."),
        new(JobsMaxDeadlineHorizon, SettingScope.Everywhere, "How far ahead a deadline may be (TimeSpan, default 14.00:00:00)."),

        new(PlannerDefaultPolicy, SettingScope.Everywhere, "Policy for jobs that name none (default best-window)."),
        new(PlannerMaxForecastAge, SettingScope.Everywhere, "Forecasts older than this are stale (TimeSpan, default 06:00:00)."),

        new(ForecastsSchedule, SettingScope.Everywhere, "NCRONTAB schedule of the forecast ingestion timer (six fields)."),
        new(ForecastsProvider, SettingScope.Everywhere, "watttime, electricitymaps, carbonintensityuk, carbonawaresdk or replay."),
        new(ForecastsWattTimeUsername, SettingScope.Everywhere, "WattTime account name."),
        new(ForecastsWattTimePassword, SettingScope.Everywhere, "WattTime password.", "watttime-password"),
        new(ForecastsElectricityMapsApiKey, SettingScope.Everywhere, "Electricity Maps auth-token.", "electricitymaps-api-key"),
        new(ForecastsCarbonAwareSdkBaseUrl, SettingScope.Everywhere, "Base URL of a Carbon Aware SDK WebAPI deployment."),
        new(ForecastsReplayPath, SettingScope.LocalOnly, "Folder or file replayed as forecasts by the replay provider."),

        new(PoolsMaxTotalNodes, SettingScope.Everywhere, "Nodes that may run at once across all pools (default 32)."),
        new(PoolsAzureSubscriptionId, SettingScope.Everywhere, "Subscription holding the Azure GPU pools."),
        new(PoolsAzureResourceGroup, SettingScope.Everywhere, "Resource group holding the Azure GPU pools (the identity is VM Contributor there only)."),
        new(PoolsAwsRegion, SettingScope.Everywhere, "AWS region of the Gaudi (DL1) pools."),
        new(PoolsAwsAccessKeyId, SettingScope.Everywhere, "AWS access key id.", "aws-access-key-id"),
        new(PoolsAwsSecretAccessKey, SettingScope.Everywhere, "AWS secret access key.", "aws-secret-access-key"),

        new(EmissionsPue, SettingScope.Everywhere, "Power usage effectiveness applied to measured energy (default 1.2)."),
    ];
}
