using Microsoft.Extensions.Configuration;

namespace CarbonFunctions.Handlers.Hosting;

/// <summary>Whether an optional provider's section is really configured.</summary>
public static class ConfigurationSections
{
    /// <summary>
    /// True when any key under the section has a non-empty value. App settings templates list every setting,
    /// secrets and optional providers included, often as empty strings; an empty section means "not used",
    /// not "misconfigured". An unresolved Key Vault reference (App Service passes the reference text itself when
    /// the secret does not exist) counts as empty too.
    /// </summary>
    public static bool IsConfigured(this IConfigurationSection section)
    {
        ArgumentNullException.ThrowIfNull(section);
        return HasValue(section.Value) || section.GetChildren().Any(IsConfigured);
    }

    private static bool HasValue(string? value) =>
        !string.IsNullOrEmpty(value) && !value.StartsWith("@Microsoft.KeyVault(", StringComparison.OrdinalIgnoreCase);
}
