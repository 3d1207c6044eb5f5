using System.Text.Json;
using System.Text.Json.Serialization;

namespace CarbonFunctions.Storage;

/// <summary>The one JSON shape used for what this service stores (state, plans, events): camelCase, enums as strings.</summary>
public static class StorageJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };
}
