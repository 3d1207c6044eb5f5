using System.Globalization;
using System.Text.Json;

namespace CarbonFunctions.Core.Jobs;

/// <summary>Typed reads of JSON fields that record a <see cref="FieldError"/> instead of throwing.</summary>
internal sealed class FieldReader(List<FieldError> errors)
{
    public void RejectUnknown(JsonElement obj, string prefix, HashSet<string> known)
    {
        foreach (var property in obj.EnumerateObject())
        {
            // A name that is not valid UTF-16 (an escaped lone surrogate) cannot be a known one, and must not be decoded.
            var name = TryText(property) ?? "(a name that is not valid text)";
            if (!known.Contains(name))
            {
                errors.Add(new(prefix + Truncate(name, 60), "is not a field of the contract (check the spelling)"));
            }
        }
    }

    public JsonElement? Object(JsonElement obj, string name, bool required, string prefix = "")
    {
        if (!Find(obj, name, required, prefix, out var value))
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.Object)
        {
            errors.Add(new(prefix + name, $"must be an object, was {Describe(value)}"));
            return null;
        }

        return value;
    }

    public string? String(JsonElement obj, string name, bool required, string prefix = "", int maxLength = 100)
    {
        if (!Find(obj, name, required, prefix, out var value))
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.String)
        {
            errors.Add(new(prefix + name, $"must be a string, was {Describe(value)}"));
            return null;
        }

        if (TryText(value) is not { } text)
        {
            errors.Add(new(prefix + name, NotText));
            return null;
        }

        if (string.IsNullOrWhiteSpace(text))
        {
            errors.Add(new(prefix + name, "must not be empty"));
            return null;
        }

        if (text.Length > maxLength)
        {
            errors.Add(new(prefix + name, $"must be at most {maxLength} characters, was {text.Length}"));
            return null;
        }

        return text;
    }

    public string? Enum(JsonElement obj, string prefix, string name, string[] allowed)
    {
        var text = String(obj, name, required: true, prefix);
        if (text is not null && !allowed.Contains(text))
        {
            errors.Add(new(prefix + name, $"must be one of {string.Join(", ", allowed.Select(a => $"'{a}'"))}, was '{text}'"));
            return null;
        }

        return text;
    }

    public int? Int(JsonElement obj, string name, bool required, string prefix = "")
    {
        if (!Find(obj, name, required, prefix, out var value))
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt32(out var number))
        {
            errors.Add(new(prefix + name, $"must be a whole number, was {Describe(value)}"));
            return null;
        }

        return number;
    }

    public double? Number(JsonElement obj, string name, bool required, string prefix = "")
    {
        if (!Find(obj, name, required, prefix, out var value))
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.Number || !value.TryGetDouble(out var number) || !double.IsFinite(number))
        {
            errors.Add(new(prefix + name, $"must be a number, was {Describe(value)}"));
            return null;
        }

        return number;
    }

    public bool? Bool(JsonElement obj, string name, bool required, string prefix = "")
    {
        if (!Find(obj, name, required, prefix, out var value))
        {
            return null;
        }

        if (value.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
        {
            errors.Add(new(prefix + name, $"must be true or false, was {Describe(value)}"));
            return null;
        }

        return value.GetBoolean();
    }

    public DateTimeOffset? Timestamp(JsonElement obj, string name, bool required, string prefix = "")
    {
        var text = String(obj, name, required, prefix, maxLength: 40);
        if (text is null)
        {
            return null;
        }

        // An offset is required: a deadline in "local time" means a different instant on every host.
        var hasOffset = text.EndsWith('Z') || text.EndsWith('z') || (text.Length > 6 && (text[^6] is '+' or '-') && text[^3] == ':');
        if (!hasOffset || !DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out var instant))
        {
            errors.Add(new(prefix + name, $"must be an ISO 8601 timestamp with an offset, e.g. 2026-11-25T06:00:00Z, was '{text}'"));
            return null;
        }

        return instant;
    }

    public List<string>? StringArray(JsonElement obj, string name, bool required, string prefix = "")
    {
        if (!Find(obj, name, required, prefix, out var value))
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.Array)
        {
            errors.Add(new(prefix + name, $"must be an array of strings, was {Describe(value)}"));
            return null;
        }

        var items = new List<string>();
        var index = 0;
        foreach (var item in value.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String)
            {
                errors.Add(new($"{prefix}{name}[{index}]", $"must be a non-empty string, was {Describe(item)}"));
                return null;
            }

            if (TryText(item) is not { } text)
            {
                errors.Add(new($"{prefix}{name}[{index}]", NotText));
                return null;
            }

            if (string.IsNullOrWhiteSpace(text))
            {
                errors.Add(new($"{prefix}{name}[{index}]", $"must be a non-empty string, was {Describe(item)}"));
                return null;
            }

            items.Add(text);
            index++;
        }

        return items;
    }

    public List<double>? NumberArray(JsonElement obj, string name, string prefix)
    {
        if (!Find(obj, name, required: false, prefix, out var value))
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.Array)
        {
            errors.Add(new(prefix + name, $"must be an array of numbers, was {Describe(value)}"));
            return null;
        }

        var items = new List<double>();
        var index = 0;
        foreach (var item in value.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Number)
            {
                errors.Add(new($"{prefix}{name}[{index}]", $"must be a number, was {Describe(item)}"));
                return null;
            }

            // 1e400 is valid JSON but no double: GetDouble would throw, and an infinity would poison every sum after it.
            if (!item.TryGetDouble(out var number) || !double.IsFinite(number))
            {
                errors.Add(new($"{prefix}{name}[{index}]", $"must be a finite number, was {Describe(item)}"));
                return null;
            }

            items.Add(number);
            index++;
        }

        return items;
    }

    private bool Find(JsonElement obj, string name, bool required, string prefix, out JsonElement value)
    {
        if (obj.TryGetProperty(name, out value) && value.ValueKind != JsonValueKind.Null)
        {
            return true;
        }

        if (required)
        {
            errors.Add(new(prefix + name, "is required"));
        }

        return false;
    }

    /// <summary>The reason given for a string that holds an unpaired UTF-16 surrogate (an escaped "\\ud800" alone).</summary>
    public const string NotText = "is not valid text (it holds an unpaired UTF-16 surrogate)";

    /// <summary>True when <paramref name="text"/> has no unpaired surrogate, so that it encodes to UTF-8 and back unchanged.</summary>
    public static bool IsValidText(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(text[i]))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The string value, or null when its escapes do not decode to valid UTF-16 (System.Text.Json then throws).</summary>
    private static string? TryText(JsonElement value)
    {
        try
        {
            return value.GetString() is { } text && IsValidText(text) ? text : null;
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    private static string? TryText(JsonProperty property)
    {
        try
        {
            return IsValidText(property.Name) ? property.Name : null;
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    private static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => TryText(value) is { } text ? $"the string \"{Truncate(text, 40)}\"" : "a string that is not valid text",
        JsonValueKind.Number => $"the number {value.GetRawText()}",
        JsonValueKind.True or JsonValueKind.False => value.GetRawText(),
        JsonValueKind.Array => "an array",
        JsonValueKind.Object => "an object",
        _ => "null",
    };

    /// <summary>Shortens quoted input for an error message without cutting a surrogate pair in half.</summary>
    internal static string Truncate(string text, int max)
    {
        if (text.Length <= max)
        {
            return text;
        }

        var cut = char.IsHighSurrogate(text[max - 1]) ? max - 1 : max;
        return text[..cut] + "...";
    }
}
