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
            if (!known.Contains(property.Name))
            {
                errors.Add(new(prefix + property.Name, "is not a field of the contract (check the spelling)"));
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

        var text = value.GetString()!;
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
            if (item.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(item.GetString()))
            {
                errors.Add(new($"{prefix}{name}[{index}]", $"must be a non-empty string, was {Describe(item)}"));
                return null;
            }

            items.Add(item.GetString()!);
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

            items.Add(item.GetDouble());
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

    private static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => $"the string \"{Truncate(value.GetString()!)}\"",
        JsonValueKind.Number => $"the number {value.GetRawText()}",
        JsonValueKind.True or JsonValueKind.False => value.GetRawText(),
        JsonValueKind.Array => "an array",
        JsonValueKind.Object => "an object",
        _ => "null",
    };

    private static string Truncate(string text) => text.Length <= 40 ? text : text[..40] + "...";
}
