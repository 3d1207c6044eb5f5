namespace CarbonFunctions.Agent.Identity;

/// <summary>Who this agent is: the job it serves, its node index in the pool, and where that came from.</summary>
/// <param name="Source">"args", "azure" or "aws".</param>
/// <param name="Region">The cloud region, when the metadata says (goes into the telemetry metadata).</param>
/// <param name="StorageAccount">The storage account from the carbon-storage tag, for managed-identity access.</param>
public sealed record AgentIdentity(string JobId, string Node, string Source, string? Region = null, string? StorageAccount = null);

/// <summary>The VM / instance tags the agent reads.</summary>
public static class AgentTags
{
    public const string Job = "carbon-job";
    public const string Node = "carbon-node";
    public const string Storage = "carbon-storage";
}

/// <summary>The instance metadata could not give an identity (not on that cloud, no tag, a refused call).</summary>
public sealed class IdentityUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
