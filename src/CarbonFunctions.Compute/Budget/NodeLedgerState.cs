using System.Collections.Immutable;
using System.Text;
using System.Text.Json;

namespace CarbonFunctions.Compute.Budget;

/// <summary>A pool as the ledger names it: the provider's name and the pool id (a pool id is unique per provider only).</summary>
public readonly record struct LedgerPool(string Provider, string PoolId);

/// <summary>
/// One version of the node ledger: the nodes each pool holds, and which providers have been seeded from their
/// running pools. Immutable and free of I/O, so every store applies the same rules: a store reads a version,
/// asks it for the next one and writes that only if nobody wrote in between.
/// </summary>
public sealed class NodeLedgerState
{
    private NodeLedgerState(ImmutableSortedDictionary<LedgerPool, int> held, ImmutableSortedSet<string> seeded)
    {
        Held = held;
        SeededProviders = seeded;
        Total = held.Values.Sum();
    }

    public static NodeLedgerState Empty { get; } = new(
        ImmutableSortedDictionary.Create<LedgerPool, int>(LedgerPoolComparer.Instance),
        ImmutableSortedSet.Create<string>(StringComparer.Ordinal));

    /// <summary>Nodes per pool; pools holding nothing are absent.</summary>
    public ImmutableSortedDictionary<LedgerPool, int> Held { get; }

    /// <summary>Providers whose running pools have been counted into this ledger (once per ledger, not per process).</summary>
    public ImmutableSortedSet<string> SeededProviders { get; }

    /// <summary>Nodes held across all pools.</summary>
    public int Total { get; }

    public int HeldBy(string provider, string poolId) => Held.GetValueOrDefault(new LedgerPool(provider, poolId));

    /// <summary>
    /// The version in which the pool holds <paramref name="nodes"/> (replacing what it held), or
    /// <see cref="PoolBudgetExceededException"/> when the other pools' nodes plus these would pass
    /// <paramref name="maxTotalNodes"/>. A pool may always shrink, even when the ledger is already over the cap.
    /// </summary>
    public NodeLedgerState Reserve(string provider, string poolId, int nodes, int maxTotalNodes)
    {
        var key = Key(provider, poolId, nodes);
        var before = Held.GetValueOrDefault(key);
        var others = Total - before;
        if (nodes > before && others + nodes > maxTotalNodes)
        {
            throw new PoolBudgetExceededException(poolId, nodes, others, maxTotalNodes);
        }

        return With(key, nodes);
    }

    /// <summary>The version in which the pool holds what it holds now (after a stop, a failure, or a status read).</summary>
    public NodeLedgerState Record(string provider, string poolId, int nodes) => With(Key(provider, poolId, nodes), nodes);

    /// <summary>
    /// Counts a provider's running pools that the ledger does not know yet, the first time that provider is seeded
    /// into this ledger; afterwards the ledger is the record, so a later seed (another instance starting) changes
    /// nothing and cannot bring back a pool that was released while its list was read.
    /// </summary>
    public NodeLedgerState Seed(string provider, IEnumerable<(string PoolId, int Nodes)> running)
    {
        ArgumentException.ThrowIfNullOrEmpty(provider);
        ArgumentNullException.ThrowIfNull(running);
        if (SeededProviders.Contains(provider))
        {
            return this;
        }

        var held = Held;
        foreach (var (poolId, nodes) in running)
        {
            var key = Key(provider, poolId, nodes);
            if (nodes > 0 && !held.ContainsKey(key))
            {
                held = held.Add(key, nodes);
            }
        }

        return new NodeLedgerState(held, SeededProviders.Add(provider));
    }

    /// <summary>The stored form: <c>{"pools":[{"provider":…,"pool":…,"nodes":…}],"seeded":[…]}</c>.</summary>
    public string ToJson()
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteStartArray("pools");
            foreach (var (pool, nodes) in Held)
            {
                json.WriteStartObject();
                json.WriteString("provider", pool.Provider);
                json.WriteString("pool", pool.PoolId);
                json.WriteNumber("nodes", nodes);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteStartArray("seeded");
            foreach (var provider in SeededProviders)
            {
                json.WriteStringValue(provider);
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>Reads the stored form; a malformed ledger is an error, never read as empty (that would lift the cap).</summary>
    public static NodeLedgerState FromJson(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        try
        {
            using var document = JsonDocument.Parse(json);
            var root = document.RootElement;
            var held = Empty.Held;
            foreach (var entry in root.GetProperty("pools").EnumerateArray())
            {
                var key = new LedgerPool(entry.GetProperty("provider").GetString() ?? "", entry.GetProperty("pool").GetString() ?? "");
                var nodes = entry.GetProperty("nodes").GetInt32();
                if (key.Provider.Length == 0 || key.PoolId.Length == 0 || nodes <= 0 || held.ContainsKey(key))
                {
                    throw new FormatException($"entry {entry.GetRawText()} is empty, non-positive or repeated");
                }

                held = held.Add(key, nodes);
            }

            var seeded = Empty.SeededProviders.Union(root.GetProperty("seeded").EnumerateArray().Select(p => p.GetString() ?? ""));
            return new NodeLedgerState(held, seeded);
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new FormatException($"The node ledger is malformed ({ex.Message}); fix or delete the row, it is never read as empty.", ex);
        }
    }

    private static LedgerPool Key(string provider, string poolId, int nodes)
    {
        ArgumentException.ThrowIfNullOrEmpty(provider);
        ArgumentException.ThrowIfNullOrEmpty(poolId);
        ArgumentOutOfRangeException.ThrowIfNegative(nodes);
        return new LedgerPool(provider, poolId);
    }

    private NodeLedgerState With(LedgerPool key, int nodes)
    {
        if (Held.GetValueOrDefault(key) == nodes)
        {
            return this;
        }

        return new NodeLedgerState(nodes == 0 ? Held.Remove(key) : Held.SetItem(key, nodes), SeededProviders);
    }

    /// <summary>Ordinal order, so the stored form of a version is always the same text.</summary>
    private sealed class LedgerPoolComparer : IComparer<LedgerPool>
    {
        public static readonly LedgerPoolComparer Instance = new();

        public int Compare(LedgerPool x, LedgerPool y)
        {
            var byProvider = string.CompareOrdinal(x.Provider, y.Provider);
            return byProvider != 0 ? byProvider : string.CompareOrdinal(x.PoolId, y.PoolId);
        }
    }
}
