using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace CarbonFunctions.Repo.Tests;

/// <summary>infra/main.bicep compiled once by the real bicep CLI into its ARM JSON.</summary>
public sealed partial class BicepTemplate
{
    public BicepTemplate()
    {
        // Each bicep run costs seconds of start-up: lint alongside the build.
        var bicep = Repository.BicepPath;
        var lint = Task.Run(() => Repository.Run(bicep, ["lint", Repository.PathOf("infra", "main.bicep")]));
        Build = Repository.Run(bicep, ["build", Repository.PathOf("infra", "main.bicep"), "--stdout"]);
        Lint = lint.GetAwaiter().GetResult();
        if (Build.ExitCode != 0)
        {
            throw new InvalidOperationException($"bicep build failed:\n{Build.StandardError}");
        }

        Json = Build.StandardOutput;
        Root = JsonNode.Parse(Json)!.AsObject();
    }

    public ProcessResult Build { get; }

    /// <summary><c>bicep lint infra/main.bicep</c>, which also reports the diagnostics of the modules it uses.</summary>
    public ProcessResult Lint { get; }

    public string Json { get; }

    public JsonObject Root { get; }

    /// <summary>Every resource of the template and its nested (module) deployments, depth first.</summary>
    public IEnumerable<JsonObject> Resources => ResourcesOf(Root);

    public IEnumerable<JsonObject> OfType(string type) =>
        Resources.Where(r => string.Equals((string?)r["type"], type, StringComparison.OrdinalIgnoreCase));

    public JsonObject OnlyOfType(string type) => Assert.Single(OfType(type));

    /// <summary>The module deployment named <paramref name="name"/> (its "name" is a literal in main.bicep).</summary>
    public JsonObject Module(string name) =>
        OfType("Microsoft.Resources/deployments").Single(d => (string?)d["name"] == name);

    /// <summary>The Functions app settings: the properties of the sites/config 'appsettings' resource.</summary>
    public IReadOnlyDictionary<string, string> AppSettings
    {
        get
        {
            var config = OfType("Microsoft.Web/sites/config").Single(c => ((string?)c["name"])?.Contains("appsettings", StringComparison.Ordinal) == true);
            var properties = config["properties"]!;

            // union(platform, carbonSettings, secrets): two object literals and a parameter bound from main.bicep.
            var text = properties.ToJsonString();
            var settings = new Dictionary<string, string>(StringComparer.Ordinal);
            var functionApp = Module("functionapp");
            foreach (var source in new[] { "platformSettings", "secretSettings" })
            {
                var variables = FindTemplateOf(functionApp)["variables"]!.AsObject();
                foreach (var (key, value) in variables[source]!.AsObject())
                {
                    settings[key] = value!.ToString();
                }
            }

            foreach (var (key, value) in functionApp["properties"]!["parameters"]!["carbonSettings"]!["value"]!.AsObject())
            {
                settings[key] = value!.ToString();
            }

            Assert.Contains("platformSettings", text, StringComparison.Ordinal);
            Assert.Contains("secretSettings", text, StringComparison.Ordinal);
            Assert.Contains("carbonSettings", text, StringComparison.Ordinal);
            return settings;
        }
    }

    /// <summary>Every GUID literal in the compiled template: the built-in role definition ids.</summary>
    public IReadOnlySet<string> GuidLiterals(JsonNode? scope = null) =>
        GuidPattern().Matches((scope ?? Root).ToJsonString()).Select(m => m.Value.ToLowerInvariant()).ToHashSet();

    public static JsonObject FindTemplateOf(JsonObject deployment) => deployment["properties"]!["template"]!.AsObject();

    public static IEnumerable<JsonObject> ResourcesOf(JsonObject template)
    {
        var resources = template["resources"];
        IEnumerable<JsonNode?> list = resources switch
        {
            JsonArray array => array,
            JsonObject symbolic => symbolic.Select(p => p.Value),
            _ => [],
        };
        foreach (var resource in list.OfType<JsonObject>())
        {
            yield return resource;
            if (resource["properties"] is JsonObject properties && properties["template"] is JsonObject nested)
            {
                foreach (var inner in ResourcesOf(nested))
                {
                    yield return inner;
                }
            }
        }
    }

    [GeneratedRegex("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")]
    private static partial Regex GuidPattern();
}
