using Microsoft.Extensions.Configuration;

namespace CarbonFunctions.Handlers.Hosting;

/// <summary>Whether an optional provider's section is really configured.</summary>
public static class ConfigurationSections
{
    /// <summary>
    /// True when any key under the section has a non-empty value. App settings templates list every setting,
    /// secrets and optional providers included, often as empty strings; an empty section means "not used",
    /// not "misconfigured".
    /// </summary>
    public static bool IsConfigured(this IConfigurationSection section)
    {
        ArgumentNullException.ThrowIfNull(section);
        return !string.IsNullOrEmpty(section.Value) || section.GetChildren().Any(IsConfigured);
    }
}
