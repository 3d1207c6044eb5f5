using System.Text.RegularExpressions;
using CarbonFunctions.Core.Configuration;

namespace CarbonFunctions.Repo.Tests;

public class CatalogTests
{
    [Fact]
    public void Names_are_unique_ignoring_case_as_configuration_does()
    {
        var names = AppSettingNames.All.Select(s => s.Name).ToList();

        Assert.Equal(names.Count, names.Distinct(StringComparer.OrdinalIgnoreCase).Count());
    }

    [Fact]
    public void Carbon_settings_follow_the_section_key_form()
    {
        var form = new Regex("^Carbon(__[A-Z][A-Za-z0-9]*){2,3}$");

        Assert.All(AppSettingNames.All.Where(s => s.Name.StartsWith("Carbon", StringComparison.Ordinal)), s => Assert.Matches(form, s.Name));
    }

    [Fact]
    public void Configuration_key_replaces_double_underscores_with_colons()
    {
        var setting = AppSettingNames.All.Single(s => s.Name == AppSettingNames.ForecastsWattTimePassword);

        Assert.Equal("Carbon:Forecasts:WattTime:Password", setting.ConfigurationKey);
    }

    [Fact]
    public void Secrets_have_a_key_vault_secret_name_that_key_vault_accepts()
    {
        // Key Vault secret names: 1-127 characters, letters, digits and dashes.
        var secrets = AppSettingNames.All.Where(s => s.IsSecret).ToList();

        Assert.Equal(4, secrets.Count);
        Assert.All(secrets, s => Assert.Matches("^[0-9a-zA-Z-]{1,127}$", s.KeyVaultSecretName!));
    }

    [Fact]
    public void Every_constant_is_in_the_catalog()
    {
        var constants = typeof(AppSettingNames).GetFields()
            .Where(f => f.IsLiteral && f.FieldType == typeof(string))
            .Select(f => (string)f.GetRawConstantValue()!)
            .Order();

        Assert.Equal(constants, AppSettingNames.All.Select(s => s.Name).Order());
    }
}
