namespace CarbonFunctions.Repo.Tests;

public class SecretScanTests
{
    // Built at run time so that this file itself holds no string the scanner would flag.
    private static readonly string FakeAccountKey = new string('Q', 86) + "==";
    private static readonly string FakeAwsKeyId = "AK" + "IA" + "ABCDEFGHIJKLMNOP";

    [Fact]
    public void Flags_a_storage_account_key_in_a_connection_string()
    {
        // The protocol part is joined at run time so that this source line itself does not look like a connection string.
        var protocol = "DefaultEndpointsProtocol=" + "https";
        var text = $"x = \"{protocol};AccountName=prod;AccountKey={FakeAccountKey};EndpointSuffix=core.windows.net\"";

        var finding = Assert.Single(SecretScanner.Scan("settings.cs", text));

        Assert.Equal(new SecretFinding("settings.cs", 1, "storage account key"), finding);
    }

    [Fact]
    public void Allows_azurites_published_development_key()
    {
        var text = $"AccountName=devstoreaccount1;AccountKey={SecretScanner.AzuriteDevelopmentKey};";

        Assert.Empty(SecretScanner.Scan("fixture.cs", text));
    }

    [Fact]
    public void Flags_an_aws_access_key_id_on_its_line()
    {
        var text = $"line one\naws_access_key_id = {FakeAwsKeyId}\n";

        var finding = Assert.Single(SecretScanner.Scan("creds.tf", text));

        Assert.Equal(2, finding.Line);
        Assert.Equal("AWS access key id", finding.Rule);
    }

    [Fact]
    public void Flags_a_private_key_block()
    {
        var text = "-----BEGIN " + "RSA PRIVATE KEY-----\nMIIE...\n";

        Assert.Equal("private key", Assert.Single(SecretScanner.Scan("id_rsa", text)).Rule);
    }

    [Theory]
    [InlineData("\"password\": \"hunter2hunter2\"", true)]
    [InlineData("\"Carbon__Forecasts__ElectricityMaps__ApiToken\": \"abc123realtoken\"", true)]
    [InlineData("\"Carbon__Forecasts__CarbonAwareSdk__ApiKey\": \"abc123realkey\"", true)]
    [InlineData("\"AWS_SECRET_ACCESS_KEY\": \"abc123realsecret\"", true)]
    [InlineData("\"password\": \"\"", false)]
    [InlineData("\"password\": \"<your WattTime password>\"", false)]
    [InlineData("\"AWS_SECRET_ACCESS_KEY\": \"@Microsoft.KeyVault(VaultName=kv;SecretName=aws-secret-access-key)\"", false)]
    [InlineData("\"password\": \"${WATTTIME_PASSWORD}\"", false)]
    public void Flags_literal_credentials_in_json_only_when_they_are_not_placeholders(string line, bool flagged)
    {
        Assert.Equal(flagged, SecretScanner.Scan("local.settings.json", line).Count == 1);
    }

    [Fact]
    public void Json_rule_applies_to_json_files_only()
    {
        Assert.Empty(SecretScanner.Scan("Notes.md", "\"password\": \"hunter2hunter2\""));
    }

    [Fact]
    public void No_tracked_file_contains_a_secret()
    {
        var listing = Repository.Run("git", ["ls-files", "-z"]);
        Assert.Equal(0, listing.ExitCode);
        var files = listing.StandardOutput.Split('\0', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains("local.settings.sample.json", files);

        var findings = new List<SecretFinding>();
        foreach (var file in files)
        {
            var path = Repository.PathOf(file);
            if (!File.Exists(path) || new FileInfo(path).Length > 4_000_000)
            {
                continue;
            }

            var text = File.ReadAllText(path);
            if (text.Contains('\0', StringComparison.Ordinal))
            {
                continue; // binary
            }

            findings.AddRange(SecretScanner.Scan(file, text));
        }

        Assert.True(findings.Count == 0, string.Join(Environment.NewLine, findings));
    }
}
