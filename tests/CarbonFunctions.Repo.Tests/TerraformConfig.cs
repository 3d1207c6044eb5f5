using System.Text.Json.Nodes;

namespace CarbonFunctions.Repo.Tests;

/// <summary>infra/terraform/*.tf parsed offline by @cdktf/hcl2json (no Terraform binary here).</summary>
public sealed class TerraformConfig
{
    // Parses each file on its own so that a syntax error names its file.
    private const string ParseScript = """
        const { parse } = require('@cdktf/hcl2json');
        const fs = require('fs');
        const path = require('path');
        const dir = process.argv[1];
        (async () => {
          const out = {};
          for (const f of fs.readdirSync(dir).filter(f => f.endsWith('.tf')).sort()) {
            out[f] = await parse(f, fs.readFileSync(path.join(dir, f), 'utf8'));
          }
          process.stdout.write(JSON.stringify(out));
        })().catch(e => { console.error(e && e.message ? e.message : String(e)); process.exit(1); });
        """;

    public TerraformConfig()
    {
        if (!Directory.Exists(Repository.PathOf("node_modules", "@cdktf", "hcl2json")))
        {
            throw new InvalidOperationException("node_modules/@cdktf/hcl2json is missing: run `npm ci` in the repository root.");
        }

        var result = Repository.Run("node", ["-e", ParseScript, Repository.PathOf("infra", "terraform")]);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"hcl2json failed:\n{result.StandardError}");
        }

        Files = JsonNode.Parse(result.StandardOutput)!.AsObject();
    }

    /// <summary>File name to its parsed HCL.</summary>
    public JsonObject Files { get; }

    /// <summary>Resources of one type across files: name to body (hcl2json wraps each block in an array).</summary>
    public IReadOnlyDictionary<string, JsonObject> ResourcesOfType(string type) => BlocksOf("resource", type);

    public IReadOnlyDictionary<string, JsonObject> DataOfType(string type) => BlocksOf("data", type);

    public JsonObject Resource(string type, string name) =>
        ResourcesOfType(type).TryGetValue(name, out var body) ? body : throw new KeyNotFoundException($"{type}.{name} is not declared.");

    public IEnumerable<JsonObject> Locals =>
        Files.SelectMany(f => f.Value!["locals"] as JsonArray ?? []).OfType<JsonObject>();

    /// <summary>The first element of a nested block (hcl2json gives blocks as arrays).</summary>
    public static JsonObject Block(JsonObject body, string name) => body[name]!.AsArray()[0]!.AsObject();

    private Dictionary<string, JsonObject> BlocksOf(string kind, string type)
    {
        var found = new Dictionary<string, JsonObject>(StringComparer.Ordinal);
        foreach (var (_, file) in Files)
        {
            if (file![kind]?[type] is JsonObject byName)
            {
                foreach (var (name, blocks) in byName)
                {
                    found.Add(name, blocks!.AsArray()[0]!.AsObject());
                }
            }
        }

        return found;
    }
}
