using System.Text.RegularExpressions;

namespace CarbonFunctions.Repo.Tests;

/// <summary>A finding: what looks like a real credential, where.</summary>
public sealed record SecretFinding(string Path, int Line, string Rule);

/// <summary>
/// Looks for credentials that must never be committed: storage account keys (Azurite's published
/// development key excepted), AWS access key ids, private keys, and non-placeholder passwords/keys in
/// JSON settings files.
/// </summary>
public static partial class SecretScanner
{
    /// <summary>Azurite's well-known development account key, published in its documentation.</summary>
    public const string AzuriteDevelopmentKey =
        "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    public static IReadOnlyList<SecretFinding> Scan(string path, string text)
    {
        var findings = new List<SecretFinding>();
        var isJson = path.EndsWith(".json", StringComparison.OrdinalIgnoreCase);
        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i];
            foreach (Match m in AccountKey().Matches(line))
            {
                if (m.Groups["key"].Value != AzuriteDevelopmentKey)
                {
                    findings.Add(new(path, i + 1, "storage account key"));
                }
            }

            if (AwsAccessKeyId().IsMatch(line))
            {
                findings.Add(new(path, i + 1, "AWS access key id"));
            }

            if (PrivateKey().IsMatch(line))
            {
                findings.Add(new(path, i + 1, "private key"));
            }

            if (isJson)
            {
                foreach (Match m in JsonCredential().Matches(line))
                {
                    if (!IsPlaceholder(m.Groups["value"].Value))
                    {
                        findings.Add(new(path, i + 1, $"literal value for \"{m.Groups["name"].Value}\""));
                    }
                }
            }
        }

        return findings;
    }

    /// <summary>Empty, &lt;angle-bracketed&gt;, a Key Vault reference or a ${variable}: not a credential.</summary>
    public static bool IsPlaceholder(string value) =>
        value.Length == 0
        || (value.StartsWith('<') && value.EndsWith('>'))
        || value.StartsWith("@Microsoft.KeyVault(", StringComparison.Ordinal)
        || (value.StartsWith("${", StringComparison.Ordinal) && value.EndsWith('}'));

    // 40+ base64 characters: real account keys are 88; shorter runs are not keys.
    [GeneratedRegex(@"AccountKey=(?<key>[A-Za-z0-9+/]{40,}={0,2})")]
    private static partial Regex AccountKey();

    [GeneratedRegex(@"\bAKIA[0-9A-Z]{16}\b")]
    private static partial Regex AwsAccessKeyId();

    [GeneratedRegex(@"-----BEGIN (?:[A-Z]+ )*PRIVATE KEY-----")]
    private static partial Regex PrivateKey();

    [GeneratedRegex(@"""(?<name>[^""]*(?:password|secret|apikey|api_key|accesskey|access_key|(?:api|auth)[-_]?token)[^""]*)""\s*:\s*""(?<value>[^""]*)""", RegexOptions.IgnoreCase)]
    private static partial Regex JsonCredential();
}
