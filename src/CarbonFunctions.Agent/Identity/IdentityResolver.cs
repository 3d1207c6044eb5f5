namespace CarbonFunctions.Agent.Identity;

/// <summary>Picks the identity source from <see cref="AgentOptions.Identity"/>: the arguments, Azure IMDS, AWS IMDSv2, or the first that answers.</summary>
public sealed class IdentityResolver(HttpClient http, AgentOptions options)
{
    public async Task<AgentIdentity> ResolveAsync(CancellationToken cancellationToken)
    {
        var source = options.Identity;
        if (source == "args" || (source == "auto" && !string.IsNullOrWhiteSpace(options.JobId)))
        {
            return new AgentIdentity(
                options.JobId ?? throw new IdentityUnavailableException("no --job given"),
                string.IsNullOrWhiteSpace(options.Node) ? "0" : options.Node,
                "args");
        }

        var azure = new AzureImdsReader(http, new Uri(options.AzureImdsEndpoint));
        var aws = new AwsImdsReader(http, new Uri(options.AwsImdsEndpoint));
        switch (source)
        {
            case "azure":
                return await azure.ReadAsync(cancellationToken).ConfigureAwait(false);
            case "aws":
                return await aws.ReadAsync(cancellationToken).ConfigureAwait(false);
            default:
                try
                {
                    return await azure.ReadAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (IdentityUnavailableException azureProblem)
                {
                    try
                    {
                        return await aws.ReadAsync(cancellationToken).ConfigureAwait(false);
                    }
                    catch (IdentityUnavailableException awsProblem)
                    {
                        throw new IdentityUnavailableException($"no identity: give --job and --node, or run on a tagged VM (Azure: {azureProblem.Message}; AWS: {awsProblem.Message})");
                    }
                }
        }
    }
}
