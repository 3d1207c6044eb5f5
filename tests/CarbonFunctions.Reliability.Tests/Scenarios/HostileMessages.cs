using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace CarbonFunctions.Reliability.Tests.Scenarios;

/// <summary>
/// A seeded generator of job messages an outside tester would send: valid jobs, exact repeats of them (plain and
/// base64), and mutations of every class issue 17 names — numbers past a TimeSpan or a double, lone surrogates, wrong
/// types, huge strings, deep nesting, far-past and far-future deadlines, unknown regions and sizes, injection-looking
/// text, base64 of garbage, non-JSON. Every body fits a queue message (64 KiB) and holds only characters XML allows,
/// since the queue service refuses anything else before the pipeline could see it.
/// </summary>
internal sealed class HostileMessages(int seed, DateTimeOffset now)
{
    private readonly Random _random = new(seed);
    private readonly List<string> _valid = [];
    private int _ids;

    private static readonly string[] Injections =
    [
        "'; DROP TABLE jobs;--", "../../etc/passwd", "$(rm -rf /)", "`reboot`", "<script>alert(1)</script>", "PartitionKey eq 'x' or true",
        "{{7*7}}", "%00%0d%0a", "\\\\server\\share", "${jndi:ldap://x}", "&lt;&amp;", "\u202Eevil", "NUL\u0000NUL", "\"quoted\"",
    ];

    private static readonly string[] Regions = ["germanywestcentral", "spaincentral", "westus", "eastus", "us-east-1"];

    public static readonly IReadOnlyList<string> Classes =
    [
        "valid", "repeat", "repeat-base64", "missing-field", "wrong-type", "huge-number", "lone-surrogate", "huge-string",
        "deep-nesting", "far-deadline", "unknown-region-or-size", "injection", "base64-garbage", "not-json", "unknown-field",
        "bad-id", "grow-when-escaped",
    ];

    /// <summary>Bodies generated per class, for the summary.</summary>
    public Dictionary<string, int> PerClass { get; } = [];

    public string Next()
    {
        // One valid job in six; repeats need something to repeat.
        var kind = _valid.Count == 0 ? "valid" : Classes[_random.Next(Classes.Count)];
        if (kind == "valid" && _random.Next(3) != 0 && _valid.Count > 0)
        {
            kind = "wrong-type";
        }

        PerClass[kind] = PerClass.GetValueOrDefault(kind) + 1;
        return kind switch
        {
            "valid" => Remember(Job().ToJsonString()),
            "repeat" => _valid[_random.Next(_valid.Count)],
            "repeat-base64" => Convert.ToBase64String(Encoding.UTF8.GetBytes(_valid[_random.Next(_valid.Count)])),
            "missing-field" => Without(Job(), Pick("schemaVersion", "id", "name", "owner", "pool", "regions", "estimatedDurationMinutes", "deadline", "interruptible", "workload")),
            "wrong-type" => WrongType(),
            "huge-number" => HugeNumber(),
            "lone-surrogate" => LoneSurrogate(),
            "huge-string" => HugeString(),
            "deep-nesting" => DeepNesting(),
            "far-deadline" => FarDeadline(),
            "unknown-region-or-size" => UnknownRegionOrSize(),
            "injection" => Injection(),
            "base64-garbage" => Convert.ToBase64String(Garbage(_random.Next(1, 4000))),
            "not-json" => NotJson(),
            "unknown-field" => UnknownField(),
            "bad-id" => With(Job(), "id", JsonValue.Create(Pick("UPPER", "-lead", "", " ", "a/b", "a#b", "a?b", new string('a', 64), "x\u00e9", "a b", "\\", "id\u0001"))),
            _ => Grows(),
        };
    }

    private string Remember(string body)
    {
        _valid.Add(body);
        return body;
    }

    private string NewId() => string.Create(CultureInfo.InvariantCulture, $"hostile-{seed}-{_ids++}");

    private JsonObject Job()
    {
        var region = Regions[_random.Next(Regions.Length)];
        var aws = region == "us-east-1";
        var min = _random.Next(1, 3);
        // Jobs that wait for a low-carbon window: accepted, planned, and asleep until their slot (the flood is about intake).
        var policy = Pick("best-window", "suspend-resume");
        return new JsonObject
        {
            ["schemaVersion"] = 1,
            ["id"] = NewId(),
            ["name"] = "hostile test " + _random.Next(1000),
            ["owner"] = "tester@example.org",
            ["pool"] = new JsonObject
            {
                ["kind"] = aws ? "gaudi" : "gpu",
                ["provider"] = aws ? "aws" : "azure",
                ["nodeSize"] = aws ? "dl1.24xlarge" : "Standard_NC24ads_A100_v4",
                ["minNodes"] = min,
            },
            ["regions"] = new JsonArray(region),
            ["estimatedDurationMinutes"] = _random.Next(30, 240),
            ["deadline"] = Iso(now.AddHours(_random.Next(12, 72))),
            ["interruptible"] = true,
            ["resumeOverheadMinutes"] = _random.Next(0, 10),
            ["workload"] = new JsonObject { ["image"] = "example.azurecr.io/train:1" },
            ["policy"] = policy,
        };
    }

    private static string Iso(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private T Pick<T>(params T[] options) => options[_random.Next(options.Length)];

    private static string Without(JsonObject job, string field)
    {
        job.Remove(field);
        return job.ToJsonString();
    }

    private static string With(JsonObject job, string path, JsonNode? value)
    {
        var parts = path.Split('.');
        var target = parts.Length == 1 ? job : job[parts[0]]!.AsObject();
        target[parts[^1]] = value;
        return job.ToJsonString();
    }

    /// <summary>The job with one field's value replaced by raw JSON text (so that escapes and odd numbers reach the parser as written).</summary>
    private static string WithRaw(JsonObject job, string path, string raw) =>
        With(job, path, JsonValue.Create("__RAW__")).Replace("\"__RAW__\"", raw, StringComparison.Ordinal);

    private string WrongType()
    {
        var field = Pick("schemaVersion", "id", "name", "pool", "regions", "estimatedDurationMinutes", "deadline", "interruptible", "workload", "pool.minNodes", "pool.kind", "pool.relativeThroughput", "workload.command", "resumeOverheadMinutes");
        var raw = Pick("\"1\"", "1", "1.5", "true", "null", "[]", "{}", "[1,\"a\",null]", "\"\"", "-1", "0", "2147483648", "\"yes\"", "[[]]");
        return WithRaw(Job(), field, raw);
    }

    private string HugeNumber()
    {
        var field = Pick("estimatedDurationMinutes", "resumeOverheadMinutes", "pool.powerPerNodeWatts", "carbonThresholdGramsPerKwh", "pool.minNodes", "pool.maxNodes", "schemaVersion", "pool.relativeThroughput");
        var raw = Pick("1e308", "1.6e10", "16000000000", "1e300", "1e400", "-1e400", "1e-400", "4.9e-324", "-0", "99999999999999999999", "1.7976931348623157e308");
        if (field == "pool.relativeThroughput")
        {
            var job = Job();
            job["pool"]!["maxNodes"] = 2;
            return WithRaw(job, field, "[1, " + raw + "]");
        }

        return WithRaw(Job(), field, raw);
    }

    private string LoneSurrogate()
    {
        var surrogate = Pick("\\ud800", "\\udbff", "\\udc00", "\\udfff", "\\udc00\\ud800", "\\ud83d");
        if (_random.Next(4) == 0)
        {
            // In a field name, not a value.
            return Job().ToJsonString().Replace("{\"schemaVersion\"", "{\"" + surrogate + "\":1,\"schemaVersion\"", StringComparison.Ordinal);
        }

        var field = Pick("name", "owner", "id", "deadline", "policy", "functionalUnit", "pool.nodeSize", "pool.kind", "workload.image", "regions", "workload.command", "pool.minNodes");
        var text = "\"x" + surrogate + "y\"";
        return WithRaw(Job(), field, field is "regions" or "workload.command" ? "[" + text + "]" : text);
    }

    private string HugeString()
    {
        var length = Pick(201, 501, 5_000, 40_000, 47_000, 60_000);
        var filler = new string(Pick('x', '<', '"', '\\', '\u00e9', '\u4e2d'), length);
        var field = Pick("name", "owner", "workload.image", "policy", "pool.nodeSize", "functionalUnit", "regions", "deadline");
        var job = Job();
        var body = field == "regions" ? With(job, field, new JsonArray(filler)) : With(job, field, JsonValue.Create(filler));
        return Fit(body);
    }

    private string DeepNesting()
    {
        var depth = Pick(9, 64, 1_000, 10_000);
        var open = Pick('[', '{');
        var body = open == '[' ? new string('[', depth) + new string(']', depth) : string.Concat(Enumerable.Repeat("{\"a\":", depth)) + "1" + new string('}', depth);
        return _random.Next(2) == 0 ? body : WithRaw(Job(), "workload.command", "[" + body + "]");
    }

    private string FarDeadline() => With(Job(), "deadline", JsonValue.Create(Pick(
        "0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "1970-01-01T00:00:00Z", "2000-02-30T00:00:00Z", "+10000-01-01T00:00:00Z",
        "2026-12-01T00:00:00+14:00", "2026-12-01T00:00:00-14:00", "2099-01-01T00:00:00Z", Iso(now.AddDays(15)), Iso(now.AddMinutes(10)),
        "2026-12-02T00:00:00", "yesterday", "2026-13-01T00:00:00Z", "2026-12-02T00:00:00+99:00")));

    private string UnknownRegionOrSize()
    {
        // Valid by the contract (no allow-list is configured): accepted, then the planner or the pool refuses them.
        var job = Job();
        return _random.Next(2) == 0
            ? With(job, "regions", new JsonArray(Pick("mars-north-1", "antarctica", "westeurope2", "zz-zz-9")))
            : With(job, "pool.nodeSize", JsonValue.Create(Pick("Standard_Bogus_v9", "p99.metal", "x")));
    }

    private string Injection()
    {
        var text = Pick(Injections);
        // Mostly in fields the contract checks (refused); one in four in free text (accepted as text, never interpreted).
        var field = Pick("name", "owner", "policy", "id", "regions", "pool.nodeSize", "deadline", "pool.kind");
        return field == "regions" ? With(Job(), field, new JsonArray(text)) : With(Job(), field, JsonValue.Create(text));
    }

    private string NotJson() => Pick(
        "", " ", "null", "[]", "123", "\"a string\"", "{}", "{", "}", "{\"a\":}", "{'single':'quotes'}", "{\"schemaVersion\":1,}",
        "/* comment */ {}", "\ufeff{\"schemaVersion\":1}", "NaN", "Infinity", "<xml/>", "true", "\t\r\n", "{\"a\":1}{\"b\":2}",
        Encoding.UTF8.GetString(Garbage(300)));

    private string UnknownField()
    {
        var job = Job();
        var count = Pick(1, 5, 300, 3_000);
        for (var i = 0; i < count; i++)
        {
            job["x" + i.ToString(CultureInfo.InvariantCulture)] = i;
        }

        if (_random.Next(3) == 0)
        {
            job["pool"]!["maxNode"] = 64;
        }

        return Fit(job.ToJsonString());
    }

    /// <summary>A body that becomes much larger when a JSON encoder escapes it (the 413 on the poison send of issue 17).</summary>
    private string Grows() => Pick(new string('<', 12_500), new string('&', 12_000), "{\"name\":\"" + new string('\'', 30_000) + "\"}", "{\"name\":\"" + new string('>', 12_000) + "\"}");

    private byte[] Garbage(int length)
    {
        var bytes = new byte[length];
        _random.NextBytes(bytes);
        return bytes;
    }

    /// <summary>Keeps a body within a queue message (64 KiB of UTF-8) and to the characters XML 1.0 allows.</summary>
    private static string Fit(string body)
    {
        while (Encoding.UTF8.GetByteCount(body) > 64_000)
        {
            body = body[..(body.Length * 3 / 4)];
        }

        return body;
    }

    /// <summary>True for text the queue service can carry in its XML (no C0 controls but tab, CR, LF; no lone surrogates; no U+FFFE/FFFF).</summary>
    public static bool IsXmlText(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
                continue;
            }

            if ((c < 0x20 && c is not ('\t' or '\n' or '\r')) || char.IsSurrogate(c) || c is '\uFFFE' or '\uFFFF')
            {
                return false;
            }
        }

        return true;
    }
}
