using CarbonFunctions.Core.Jobs;
using CarbonFunctions.Core.Pools;

namespace CarbonFunctions.Handlers.Lifecycle;

/// <summary>Which <see cref="IPoolProvider"/> runs a job's pools: by cloud in Azure, the simulated one for both locally.</summary>
public sealed class PoolProviders(IReadOnlyDictionary<CloudProvider, IPoolProvider> byCloud)
{
    public IPoolProvider For(CloudProvider cloud) =>
        byCloud.TryGetValue(cloud, out var provider)
            ? provider
            : throw new InvalidOperationException($"no pool provider is configured for {cloud}");

    /// <summary>Each distinct provider once (the simulated one may stand in for both clouds).</summary>
    public IReadOnlyList<IPoolProvider> All => [.. byCloud.Values.Distinct()];

    public static PoolSpec SpecFor(TrainingJob job, string region, int nodes)
    {
        ArgumentNullException.ThrowIfNull(job);
        return new PoolSpec
        {
            PoolId = job.Id,
            Kind = job.Pool.Kind,
            Provider = job.Pool.Provider,
            Region = region,
            NodeSize = job.Pool.NodeSize,
            Nodes = nodes,
            Tags = new Dictionary<string, string>
            {
                ["carbon-job"] = job.Id,
                ["carbon-owner"] = job.Owner,
                ["managed-by"] = "carbonfunctions",
            },
        };
    }
}
