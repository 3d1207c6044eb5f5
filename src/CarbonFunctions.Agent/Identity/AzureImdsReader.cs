using System.Globalization;
using System.Text.Json;

namespace CarbonFunctions.Agent.Identity;

/// <summary>
/// Reads the identity from Azure's Instance Metadata Service: <c>GET /metadata/instance?api-version=2021-02-01</c>
/// with the <c>Metadata: true</c> header (IMDS refuses requests without it, a guard against SSRF). The job comes from
/// the VM's <c>carbon-job</c> tag; the node from <c>carbon-node</c>, else the scale-set instance id (the suffix of
/// <c>name</c>, "pool_3" → "3"), else "0".
/// </summary>
public sealed class AzureImdsReader(HttpClient http, Uri baseAddress)
{
    public const string ApiVersion = "2021-02-01";

    public async Task<AgentIdentity> ReadAsync(CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(baseAddress, $"metadata/instance?api-version={ApiVersion}"));
        request.Headers.Add("Metadata", "true");
        string body;
        try
        {
            using var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
            body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                throw new IdentityUnavailableException($"Azure IMDS answered {(int)response.StatusCode}: {Shorten(body)}");
            }
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            throw new IdentityUnavailableException($"Azure IMDS at {baseAddress} is not reachable: {ex.Message}", ex);
        }

        return Parse(body);
    }

    /// <summary>The identity in an IMDS instance document.</summary>
    public static AgentIdentity Parse(string body)
    {
        JsonElement compute;
        try
        {
            using var document = JsonDocument.Parse(body);
            compute = document.RootElement.TryGetProperty("compute", out var c) && c.ValueKind == JsonValueKind.Object
                ? c.Clone()
                : throw new IdentityUnavailableException("Azure IMDS document has no 'compute' object");
        }
        catch (JsonException ex)
        {
            throw new IdentityUnavailableException($"Azure IMDS answered something that is not JSON: {ex.Message}", ex);
        }

        var tags = Tags(compute);
        if (!tags.TryGetValue(AgentTags.Job, out var job) || string.IsNullOrWhiteSpace(job))
        {
            throw new IdentityUnavailableException($"the VM has no '{AgentTags.Job}' tag (tags: {string.Join(", ", tags.Keys)})");
        }

        var node = tags.TryGetValue(AgentTags.Node, out var tagged) && !string.IsNullOrWhiteSpace(tagged) ? tagged.Trim() : ScaleSetInstance(compute) ?? "0";
        var region = Text(compute, "location");
        return new AgentIdentity(job.Trim(), node, "azure", region, tags.GetValueOrDefault(AgentTags.Storage));
    }

    private static Dictionary<string, string> Tags(JsonElement compute)
    {
        var tags = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (compute.TryGetProperty("tagsList", out var list) && list.ValueKind == JsonValueKind.Array)
        {
            foreach (var tag in list.EnumerateArray())
            {
                if (Text(tag, "name") is { } name)
                {
                    tags[name] = Text(tag, "value") ?? string.Empty;
                }
            }
        }
        else if (Text(compute, "tags") is { } flat)
        {
            // The older flat form "k1:v1;k2:v2" (values may contain ':' but not ';').
            foreach (var pair in flat.Split(';', StringSplitOptions.RemoveEmptyEntries))
            {
                var colon = pair.IndexOf(':', StringComparison.Ordinal);
                if (colon > 0)
                {
                    tags[pair[..colon]] = pair[(colon + 1)..];
                }
            }
        }

        return tags;
    }

    private static string? ScaleSetInstance(JsonElement compute)
    {
        if (string.IsNullOrEmpty(Text(compute, "vmScaleSetName")) || Text(compute, "name") is not { } name)
        {
            return null;
        }

        var underscore = name.LastIndexOf('_');
        return underscore >= 0 && int.TryParse(name.AsSpan(underscore + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var index)
            ? index.ToString(CultureInfo.InvariantCulture)
            : null;
    }

    private static string? Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static string Shorten(string text) => text.Length <= 200 ? text : text[..200] + "...";
}
