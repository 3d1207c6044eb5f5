using System.Reflection;

namespace CarbonFunctions.Repo.Tests;

/// <summary>
/// The options types the app binds, found by reflection: every type with a <c>public const string SectionName</c>.
/// Answers whether a <c>Carbon__Section__Key</c> app setting is one the code reads.
/// </summary>
public sealed class OptionsScan
{
    private readonly ILookup<string, Type> _bySection;
    private readonly HashSet<string> _plainKeys;

    /// <param name="types">Candidate types; those without a SectionName constant are ignored.</param>
    /// <param name="plainKeys">Configuration keys read directly (<c>configuration.GetValue</c>), not through an options type.</param>
    public OptionsScan(IEnumerable<Type> types, IEnumerable<string> plainKeys)
    {
        OptionsTypes = types.Where(t => SectionNameOf(t) is not null).ToList();
        _bySection = OptionsTypes.ToLookup(t => SectionNameOf(t)!, StringComparer.Ordinal);
        _plainKeys = plainKeys.ToHashSet(StringComparer.Ordinal);
    }

    public IReadOnlyList<Type> OptionsTypes { get; }

    public static OptionsScan Of(IEnumerable<Assembly> assemblies, IEnumerable<string> plainKeys) =>
        new(assemblies.SelectMany(a => a.GetTypes()), plainKeys);

    /// <summary>Null when the code reads <paramref name="appSettingName"/>; otherwise why it does not.</summary>
    public string? WhyNotRead(string appSettingName)
    {
        var key = appSettingName.Replace("__", ":", StringComparison.Ordinal);
        if (_plainKeys.Contains(key))
        {
            return null;
        }

        var cut = key.LastIndexOf(':');
        if (cut <= 0)
        {
            return $"{appSettingName}: not of the form Carbon__Section__Key.";
        }

        var section = key[..cut];
        var property = key[(cut + 1)..];
        var candidates = _bySection[section].ToList();
        if (candidates.Count == 0)
        {
            return $"{appSettingName}: no options type has SectionName \"{section}\" (known sections: {string.Join(", ", _bySection.Select(g => g.Key).Order(StringComparer.Ordinal))}).";
        }

        // The binder needs a public setter (set or init) for a scalar, and matches names ignoring case;
        // the catalog is held to the exact spelling.
        if (candidates.Any(t => t.GetProperty(property, BindingFlags.Public | BindingFlags.Instance) is { CanWrite: true } p && p.SetMethod!.IsPublic))
        {
            return null;
        }

        var offered = candidates.SelectMany(t => t.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.SetMethod?.IsPublic == true).Select(p => p.Name));
        return $"{appSettingName}: {string.Join(" / ", candidates.Select(t => t.Name))} (SectionName \"{section}\") has no settable public property \"{property}\"; it has: {string.Join(", ", offered)}.";
    }

    private static string? SectionNameOf(Type type) =>
        type.GetField("SectionName", BindingFlags.Public | BindingFlags.Static) is { IsLiteral: true } field && field.FieldType == typeof(string)
            ? (string?)field.GetRawConstantValue()
            : null;
}
