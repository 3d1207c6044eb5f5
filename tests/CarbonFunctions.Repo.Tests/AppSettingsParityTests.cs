using System.Text.Json.Nodes;
using CarbonFunctions.Core.Configuration;

namespace CarbonFunctions.Repo.Tests;

/// <summary>The catalog, the Bicep app settings, the Terraform app_settings and local.settings.sample.json agree.</summary>
[Collection(InfraFixtures.Name)]
public class AppSettingsParityTests(BicepTemplate bicep, TerraformConfig terraform)
{
    private static readonly IReadOnlyList<AppSetting> Catalog = AppSettingNames.All;

    private IReadOnlyDictionary<string, string> TerraformAppSettings
    {
        get
        {
            var app = terraform.Resource("azurerm_function_app_flex_consumption", "this");
            var settings = app["app_settings"]!.AsObject().ToDictionary(p => p.Key, p => p.Value!.ToString(), StringComparer.Ordinal);

            // The azurerm provider owns this setting and writes it from site_config (set both and it fights itself).
            var insights = (string?)TerraformConfig.Block(app, "site_config")["application_insights_connection_string"];
            if (insights is not null)
            {
                settings.Add(AppSettingNames.ApplicationInsightsConnectionString, insights);
            }

            return settings;
        }
    }

    private static Dictionary<string, string> LocalSettings =>
        JsonNode.Parse(File.ReadAllText(Repository.PathOf("local.settings.sample.json")))!["Values"]!.AsObject()
            .ToDictionary(p => p.Key, p => p.Value!.ToString(), StringComparer.Ordinal);

    [Fact]
    public void Bicep_sets_exactly_the_catalogs_azure_settings()
    {
        AssertSameNames(Catalog.Where(s => s.InAzure).Select(s => s.Name), bicep.AppSettings.Keys, "Bicep");
    }

    [Fact]
    public void Terraform_sets_exactly_the_catalogs_azure_settings()
    {
        AssertSameNames(Catalog.Where(s => s.InAzure).Select(s => s.Name), TerraformAppSettings.Keys, "Terraform");
    }

    [Fact]
    public void Local_settings_sample_has_exactly_the_catalogs_local_settings()
    {
        AssertSameNames(Catalog.Where(s => s.InLocalSettings).Select(s => s.Name), LocalSettings.Keys, "local.settings.sample.json");
    }

    [Fact]
    public void Every_carbon_setting_of_the_catalog_reaches_local_settings_or_azure()
    {
        // The app reads every Carbon__* key: none may be documented nowhere.
        Assert.All(Catalog.Where(s => s.Name.StartsWith("Carbon__", StringComparison.Ordinal)), s =>
            Assert.True(LocalSettings.ContainsKey(s.Name) || bicep.AppSettings.ContainsKey(s.Name), s.Name));
    }

    [Fact]
    public void Secret_settings_are_key_vault_references_in_bicep()
    {
        var secrets = Catalog.Where(s => s.IsSecret).ToList();
        Assert.NotEmpty(secrets);
        Assert.All(secrets, s =>
        {
            var value = bicep.AppSettings[s.Name];
            Assert.Contains("@Microsoft.KeyVault(SecretUri=", value, StringComparison.Ordinal);
            Assert.Contains($"secrets/{s.KeyVaultSecretName})", value, StringComparison.Ordinal);
        });
    }

    [Fact]
    public void Secret_settings_are_key_vault_references_in_terraform()
    {
        Assert.All(Catalog.Where(s => s.IsSecret), s =>
        {
            var value = TerraformAppSettings[s.Name];
            Assert.StartsWith("@Microsoft.KeyVault(VaultName=${azurerm_key_vault.this.name};", value, StringComparison.Ordinal);
            Assert.EndsWith($"SecretName={s.KeyVaultSecretName})", value, StringComparison.Ordinal);
        });
    }

    [Fact]
    public void Secret_settings_are_empty_in_the_local_sample()
    {
        var local = Catalog.Where(s => s.IsSecret && s.InLocalSettings).ToList();

        Assert.NotEmpty(local);
        Assert.All(local, s => Assert.Equal(string.Empty, LocalSettings[s.Name]));
    }

    [Fact]
    public void Pools_are_real_in_azure_and_simulated_locally()
    {
        Assert.Equal("false", bicep.AppSettings[AppSettingNames.PoolsSimulate]);
        Assert.Equal("false", TerraformAppSettings[AppSettingNames.PoolsSimulate]);
        Assert.Equal("true", LocalSettings[AppSettingNames.PoolsSimulate]);
    }

    [Fact]
    public void Aws_credentials_carry_the_names_the_aws_sdk_reads_from_the_environment()
    {
        // Amazon's default credential chain reads exactly these variables; app settings are environment variables.
        string[] sdkNames = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"];

        Assert.All(sdkNames, name => Assert.True(Catalog.Single(s => s.Name == name).IsSecret, name));
        Assert.All(sdkNames, name => Assert.Contains("@Microsoft.KeyVault(SecretUri=", bicep.AppSettings[name], StringComparison.Ordinal));
        Assert.All(sdkNames, name => Assert.StartsWith("@Microsoft.KeyVault(", TerraformAppSettings[name], StringComparison.Ordinal));
    }

    [Fact]
    public void Key_vault_secret_names_match_the_ones_the_templates_can_write()
    {
        var bicepSecretNames = bicep.OfType("Microsoft.KeyVault/vaults/secrets")
            .Select(r => r["name"]!.ToString())
            .Select(n => n[(n.LastIndexOf(", '", StringComparison.Ordinal) + 3)..n.LastIndexOf('\'')])
            .Order();
        var terraformSecretNames = terraform.Locals.Select(l => l["provided_secrets"]).OfType<JsonNode>().Single().ToString();

        Assert.Equal(Catalog.Where(s => s.IsSecret).Select(s => s.KeyVaultSecretName!).Order(), bicepSecretNames);
        Assert.All(Catalog.Where(s => s.IsSecret), s => Assert.Contains($"\"{s.KeyVaultSecretName}\"", terraformSecretNames, StringComparison.Ordinal));
    }

    [Fact]
    public void Identity_based_connections_name_the_managed_identity()
    {
        Assert.Equal("managedidentity", bicep.AppSettings[AppSettingNames.HostStorageCredential]);
        Assert.Equal("managedidentity", bicep.AppSettings[AppSettingNames.StorageCredential]);
        Assert.Equal("[parameters('identityClientId')]", bicep.AppSettings[AppSettingNames.HostStorageClientId]);
        Assert.Equal("managedidentity", TerraformAppSettings[AppSettingNames.HostStorageCredential]);
        Assert.Equal("managedidentity", TerraformAppSettings[AppSettingNames.StorageCredential]);
        Assert.Equal("${azurerm_user_assigned_identity.app.client_id}", TerraformAppSettings[AppSettingNames.StorageClientId]);
        Assert.EndsWith("Authorization=AAD", TerraformAppSettings[AppSettingNames.ApplicationInsightsAuthenticationString], StringComparison.Ordinal);
        Assert.Contains("Authorization=AAD", bicep.AppSettings[AppSettingNames.ApplicationInsightsAuthenticationString], StringComparison.Ordinal);
    }

    [Fact]
    public void Local_sample_runs_against_azurite()
    {
        Assert.Equal("UseDevelopmentStorage=true", LocalSettings[AppSettingNames.HostStorage]);
        Assert.Equal("UseDevelopmentStorage=true", LocalSettings[AppSettingNames.StorageConnectionString]);
        Assert.Equal("dotnet-isolated", LocalSettings[AppSettingNames.WorkerRuntime]);
    }

    private static void AssertSameNames(IEnumerable<string> expected, IEnumerable<string> actual, string where)
    {
        var expectedSet = expected.ToHashSet(StringComparer.Ordinal);
        var actualSet = actual.ToHashSet(StringComparer.Ordinal);
        var missing = expectedSet.Except(actualSet).Order().ToList();
        var unknown = actualSet.Except(expectedSet).Order().ToList();
        Assert.True(
            missing.Count == 0 && unknown.Count == 0,
            $"{where}: missing [{string.Join(", ", missing)}]; not in the catalog (or wrong scope) [{string.Join(", ", unknown)}]");
    }
}
