using System.Net;

namespace CarbonFunctions.Agent.Identity;

/// <summary>
/// Reads the identity from EC2's Instance Metadata Service v2: <c>PUT /latest/api/token</c> with
/// <c>X-aws-ec2-metadata-token-ttl-seconds</c> gives a session token, sent as <c>X-aws-ec2-metadata-token</c> on every
/// <c>GET /latest/meta-data/...</c>. The job comes from the instance tag <c>carbon-job</c>
/// (<c>tags/instance/carbon-job</c>; the launch template must allow tags in metadata), the node from
/// <c>carbon-node</c>, else the AMI launch index.
/// </summary>
public sealed class AwsImdsReader(HttpClient http, Uri baseAddress)
{
    public const string TokenTtlHeader = "X-aws-ec2-metadata-token-ttl-seconds";
    public const string TokenHeader = "X-aws-ec2-metadata-token";

    /// <summary>Six hours, the maximum; the agent asks once at start.</summary>
    public const int TokenTtlSeconds = 21600;

    public async Task<AgentIdentity> ReadAsync(CancellationToken cancellationToken)
    {
        try
        {
            var token = await TokenAsync(cancellationToken).ConfigureAwait(false);
            var job = await GetAsync(token, $"tags/instance/{AgentTags.Job}", cancellationToken).ConfigureAwait(false)
                ?? throw new IdentityUnavailableException($"the instance has no '{AgentTags.Job}' tag in its metadata (is InstanceMetadataTags enabled in the launch template?)");
            var node = await GetAsync(token, $"tags/instance/{AgentTags.Node}", cancellationToken).ConfigureAwait(false)
                ?? await GetAsync(token, "ami-launch-index", cancellationToken).ConfigureAwait(false)
                ?? "0";
            var region = await GetAsync(token, "placement/region", cancellationToken).ConfigureAwait(false);
            var storage = await GetAsync(token, $"tags/instance/{AgentTags.Storage}", cancellationToken).ConfigureAwait(false);
            return new AgentIdentity(job.Trim(), node.Trim(), "aws", region?.Trim(), storage?.Trim());
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            throw new IdentityUnavailableException($"AWS IMDS at {baseAddress} is not reachable: {ex.Message}", ex);
        }
    }

    private async Task<string> TokenAsync(CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, new Uri(baseAddress, "latest/api/token"));
        request.Headers.Add(TokenTtlHeader, TokenTtlSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture));
        using var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode || string.IsNullOrWhiteSpace(body))
        {
            throw new IdentityUnavailableException($"AWS IMDS refused a session token: {(int)response.StatusCode}");
        }

        return body.Trim();
    }

    /// <summary>A metadata value, or null when the path does not exist (404).</summary>
    private async Task<string?> GetAsync(string token, string path, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(baseAddress, "latest/meta-data/" + path));
        request.Headers.Add(TokenHeader, token);
        using var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        if (!response.IsSuccessStatusCode)
        {
            throw new IdentityUnavailableException($"AWS IMDS answered {(int)response.StatusCode} for {path}");
        }

        return await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
    }
}
