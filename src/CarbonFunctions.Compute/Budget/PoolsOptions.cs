namespace CarbonFunctions.Compute.Budget;

/// <summary>Limits across every pool of every provider. Bound from <c>Carbon:Pools</c>.</summary>
public sealed record PoolsOptions
{
    public const string SectionName = "Carbon:Pools";

    /// <summary>Nodes that may run at once across all pools and providers; a request beyond it is refused.</summary>
    public int MaxTotalNodes { get; init; } = 32;

    /// <summary>The table (in the pipeline's storage account) holding the node ledger every instance shares.</summary>
    public string LedgerTable { get; init; } = "nodeledger";

    /// <summary>Returns the problems with these limits, for start-up validation.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (MaxTotalNodes < 1)
        {
            problems.Add($"{SectionName}:MaxTotalNodes must be at least 1, was {MaxTotalNodes}.");
        }

        // Azure Table names: a letter, then letters or digits, 3-63 in all; "tables" is reserved.
        if (string.IsNullOrEmpty(LedgerTable) || LedgerTable.Length is < 3 or > 63 || !char.IsAsciiLetter(LedgerTable[0])
            || !LedgerTable.All(char.IsAsciiLetterOrDigit) || LedgerTable.Equals("tables", StringComparison.OrdinalIgnoreCase))
        {
            problems.Add($"{SectionName}:LedgerTable '{LedgerTable}' must be 3-63 letters or digits starting with a letter (and not 'tables').");
        }

        return problems;
    }
}
