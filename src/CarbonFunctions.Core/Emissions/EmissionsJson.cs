using System.Text.Json;
using System.Text.Json.Serialization;

namespace CarbonFunctions.Core.Emissions;

/// <summary>
/// The report and share JSON through source-generated serializers, with the settings of
/// <see cref="EmissionsReport.JsonOptions"/>, so that the same text comes out without building the serializers by
/// reflection first: that costs about a tenth of a second in a process that writes one report (the CLI) and
/// every time a host starts.
/// </summary>
public static class EmissionsJson
{
    private static readonly EmissionsJsonContext Context = new(new JsonSerializerOptions(EmissionsReport.JsonOptions));

    public static string Serialize(EmissionsReport report) => JsonSerializer.Serialize(report, Context.EmissionsReport);

    public static string Serialize(TelemetryShare share) => JsonSerializer.Serialize(share, Context.TelemetryShare);

    public static TelemetryShare? DeserializeShare(string json) => JsonSerializer.Deserialize(json, Context.TelemetryShare);

    /// <summary>All shares of one job in one document (the report store keeps them so).</summary>
    public static string Serialize(IReadOnlyList<TelemetryShare> shares) => JsonSerializer.Serialize(shares, Context.IReadOnlyListTelemetryShare);

    public static IReadOnlyList<TelemetryShare>? DeserializeShares(string json) => JsonSerializer.Deserialize(json, Context.IReadOnlyListTelemetryShare);
}

[JsonSerializable(typeof(EmissionsReport))]
[JsonSerializable(typeof(TelemetryShare))]
[JsonSerializable(typeof(IReadOnlyList<TelemetryShare>))]
internal sealed partial class EmissionsJsonContext : JsonSerializerContext;
