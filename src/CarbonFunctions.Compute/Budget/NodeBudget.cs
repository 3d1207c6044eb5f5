namespace CarbonFunctions.Compute.Budget;

/// <summary>
/// The ledger of nodes held by every pool of every provider in this process (register it once, as a
/// singleton, and hand it to each <see cref="NodeBudgetGuard"/>). A pool holds what it last asked for
/// from the moment the request is admitted, so concurrent requests can never together pass the cap.
/// </summary>
public sealed class NodeBudget
{
    private readonly Lock _gate = new();
    private readonly Dictionary<(string Provider, string PoolId), int> _held = [];

    public NodeBudget(PoolsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        MaxTotalNodes = options.MaxTotalNodes;
    }

    public int MaxTotalNodes { get; }

    /// <summary>Nodes held across all pools now.</summary>
    public int TotalHeld
    {
        get
        {
            lock (_gate)
            {
                return _held.Values.Sum();
            }
        }
    }

    /// <summary>
    /// Admits <paramref name="nodes"/> for the pool (replacing what it held) or throws
    /// <see cref="PoolBudgetExceededException"/> and changes nothing. Returns what the pool held before.
    /// </summary>
    public int Reserve(string provider, string poolId, int nodes)
    {
        lock (_gate)
        {
            var key = (provider, poolId);
            var before = _held.GetValueOrDefault(key);
            var others = _held.Where(kv => kv.Key != key).Sum(kv => kv.Value);
            if (others + nodes > MaxTotalNodes)
            {
                throw new PoolBudgetExceededException(poolId, nodes, others, MaxTotalNodes);
            }

            Set(key, nodes);
            return before;
        }
    }

    /// <summary>Records what a pool holds now (after a stop, a failure, or a status read).</summary>
    public void Record(string provider, string poolId, int nodes)
    {
        lock (_gate)
        {
            Set((provider, poolId), nodes);
        }
    }

    /// <summary>Adds what a provider reports as running, for pools this ledger does not know yet (after a restart).</summary>
    public void Seed(string provider, IEnumerable<(string PoolId, int Nodes)> pools)
    {
        ArgumentNullException.ThrowIfNull(pools);
        lock (_gate)
        {
            foreach (var (poolId, nodes) in pools)
            {
                _held.TryAdd((provider, poolId), nodes);
            }
        }
    }

    public int HeldBy(string provider, string poolId)
    {
        lock (_gate)
        {
            return _held.GetValueOrDefault((provider, poolId));
        }
    }

    private void Set((string, string) key, int nodes)
    {
        if (nodes <= 0)
        {
            _held.Remove(key);
        }
        else
        {
            _held[key] = nodes;
        }
    }
}
