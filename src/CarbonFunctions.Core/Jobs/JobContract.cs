using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace CarbonFunctions.Core.Jobs;

/// <summary>One problem with a submitted job: the JSON field (dotted path) and why it was refused.</summary>
public sealed record FieldError(string Field, string Reason)
{
    public override string ToString() => $"{Field}: {Reason}";
}

/// <summary>The outcome of reading a job message: the job, or every problem found.</summary>
public sealed record JobParseResult(TrainingJob? Job, IReadOnlyList<FieldError> Errors)
{
    public bool IsValid => Job is not null && Errors.Count == 0;
}

/// <summary>
/// Reads and validates the training-job contract (schemaVersion 1). Errors name the field and the
/// reason; unknown fields are refused so that a misspelt limit (say "maxNode") never passes silently.
/// The JSON Schema in schemas/training-job.v1.schema.json describes the same contract.
/// </summary>
public static partial class JobContract
{
    public const int CurrentSchemaVersion = 1;

    /// <summary>Errors listed per message; the rest are counted, so that a flood of unknown fields gives a reason that fits a dead letter.</summary>
    public const int MaxReportedErrors = 20;

    private static readonly HashSet<string> TopLevelFields =
    [
        "schemaVersion", "id", "name", "owner", "pool", "regions", "estimatedDurationMinutes", "deadline",
        "interruptible", "resumeOverheadMinutes", "workload", "carbonThresholdGramsPerKwh", "policy",
        "functionalUnit", "submittedAt",
    ];

    private static readonly HashSet<string> PoolFields =
        ["kind", "provider", "nodeSize", "minNodes", "maxNodes", "powerPerNodeWatts", "relativeThroughput"];

    private static readonly HashSet<string> WorkloadFields = ["image", "command", "maxRetries"];

    /// <summary>Most restarts a job may ask for after its workload exits non-zero (each one restarts the pool).</summary>
    public const int MaxWorkloadRetries = 10;

    /// <summary>Policies the planner knows; kept here so that intake refuses an unknown one.</summary>
    public static readonly IReadOnlyList<string> KnownPolicies =
        ["run-now", "best-window", "suspend-resume", "threshold", "elastic"];

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,62}$")]
    private static partial Regex JobIdPattern();

    /// <summary>True for an id the contract accepts (and so a valid table key, queue-safe and orchestration-safe).</summary>
    public static bool IsValidJobId(string? id) => id is not null && JobIdPattern().IsMatch(id);

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
    private static partial Regex NodeSizePattern();

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{1,40}$")]
    private static partial Regex RegionPattern();

    /// <summary>
    /// Decodes a queue message body: plain UTF-8 JSON (what the v12 SDKs and this project send) or
    /// base64-encoded JSON (what <c>az storage message put</c> users and the Functions default produce).
    /// </summary>
    public static string DecodeMessageBody(string body)
    {
        ArgumentNullException.ThrowIfNull(body);
        var trimmed = body.AsSpan().Trim();
        if (trimmed.Length == 0 || trimmed[0] == '{')
        {
            return body;
        }

        var buffer = new byte[trimmed.Length];
        if (Convert.TryFromBase64Chars(trimmed, buffer, out var written))
        {
            var decoded = Encoding.UTF8.GetString(buffer, 0, written);
            if (decoded.AsSpan().TrimStart().StartsWith("{"))
            {
                return decoded;
            }
        }

        return body;
    }

    /// <summary>
    /// Parses and validates a job. The deadline check uses the planner's numbers (<paramref name="planner"/>,
    /// the defaults when null): the pool's start-up allowance, the run, and the deadline margin must fit.
    /// </summary>
    public static JobParseResult Parse(string json, JobLimits limits, DateTimeOffset now, Planning.PlannerOptions? planner = null)
    {
        ArgumentNullException.ThrowIfNull(json);
        ArgumentNullException.ThrowIfNull(limits);
        planner ??= DefaultPlanner;
        var errors = new List<FieldError>();

        var size = Encoding.UTF8.GetByteCount(json);
        if (size > limits.MaxMessageBytes)
        {
            return Fail(new FieldError("$", $"message is {size} bytes; the limit is {limits.MaxMessageBytes}"));
        }

        // A lone surrogate cannot be encoded as UTF-8: refuse it here rather than let the JSON reader throw.
        if (!FieldReader.IsValidText(json))
        {
            return Fail(new FieldError("$", "is not valid text (the message holds an unpaired UTF-16 surrogate)"));
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 8 });
        }
        catch (JsonException ex)
        {
            return Fail(new FieldError("$", $"not valid JSON ({ex.Message})"));
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return Fail(new FieldError("$", "must be a JSON object"));
            }

            var reader = new FieldReader(errors);
            reader.RejectUnknown(root, string.Empty, TopLevelFields);

            var schemaVersion = reader.Int(root, "schemaVersion", required: true);
            if (schemaVersion is not null && schemaVersion != CurrentSchemaVersion)
            {
                errors.Add(new("schemaVersion", $"version {schemaVersion} is not supported; this service reads version {CurrentSchemaVersion}"));
            }

            var id = reader.String(root, "id", required: true);
            if (id is not null && !JobIdPattern().IsMatch(id))
            {
                errors.Add(new("id", "must be 1-63 characters of lower-case letters, digits and '-', starting with a letter or digit (it names the orchestration and the pool)"));
            }

            var name = reader.String(root, "name", required: true, maxLength: 200);
            var owner = reader.String(root, "owner", required: true, maxLength: 200);
            var pool = ReadPool(root, reader, limits, errors);
            var regions = ReadRegions(root, reader, limits, errors);

            var durationMinutes = reader.Number(root, "estimatedDurationMinutes", required: true);
            TimeSpan? duration = null;
            if (durationMinutes is not null)
            {
                if (durationMinutes <= 0)
                {
                    errors.Add(new("estimatedDurationMinutes", "must be positive"));
                }
                else if (durationMinutes > limits.MaxEstimatedDuration.TotalMinutes || durationMinutes >= MaxMinutes)
                {
                    // Compared as numbers: TimeSpan.FromMinutes overflows from about 1.5e10 minutes on.
                    errors.Add(new("estimatedDurationMinutes", $"{durationMinutes} minutes exceeds the limit of {limits.MaxEstimatedDuration.TotalMinutes} minutes"));
                }
                else if (TimeSpan.FromMinutes(durationMinutes.Value) <= TimeSpan.Zero)
                {
                    errors.Add(new("estimatedDurationMinutes", "must be positive"));
                }
                else
                {
                    duration = TimeSpan.FromMinutes(durationMinutes.Value);
                }
            }

            var deadline = reader.Timestamp(root, "deadline", required: true);
            var submittedAt = reader.Timestamp(root, "submittedAt", required: false);
            var interruptible = reader.Bool(root, "interruptible", required: true);
            var overheadMinutes = reader.Number(root, "resumeOverheadMinutes", required: false) ?? 0;
            if (overheadMinutes < 0)
            {
                errors.Add(new("resumeOverheadMinutes", "must not be negative"));
                overheadMinutes = 0;
            }
            else if (overheadMinutes > limits.MaxEstimatedDuration.TotalMinutes || overheadMinutes >= MaxMinutes)
            {
                errors.Add(new("resumeOverheadMinutes", $"must be at most {limits.MaxEstimatedDuration.TotalMinutes} minutes (the longest allowed run)"));
                overheadMinutes = 0;
            }

            var workload = ReadWorkload(root, reader, errors);

            var threshold = reader.Number(root, "carbonThresholdGramsPerKwh", required: false);
            if (threshold is <= 0 or > 5000)
            {
                errors.Add(new("carbonThresholdGramsPerKwh", "must be between 0 and 5000 gCO2e/kWh"));
            }

            var policy = reader.String(root, "policy", required: false);
            if (policy is not null && !KnownPolicies.Contains(policy))
            {
                errors.Add(new("policy", $"unknown policy '{policy}'; known: {string.Join(", ", KnownPolicies)}"));
            }

            if (policy == "threshold" && threshold is null)
            {
                errors.Add(new("carbonThresholdGramsPerKwh", "is required by the threshold policy"));
            }

            if (policy is "suspend-resume" or "threshold" && interruptible == false)
            {
                errors.Add(new("policy", $"'{policy}' pauses the job, so the job must be interruptible"));
            }

            if (policy == "elastic" && pool is not null && pool.MaxNodes == pool.MinNodes)
            {
                errors.Add(new("policy", "'elastic' needs pool.maxNodes greater than pool.minNodes"));
            }

            var functionalUnit = reader.String(root, "functionalUnit", required: false, maxLength: 40);

            if (deadline is not null)
            {
                if (deadline <= now)
                {
                    errors.Add(new("deadline", $"{Iso(deadline.Value)} is not in the future (now {Iso(now)})"));
                }
                else if (deadline - now > limits.MaxDeadlineHorizon)
                {
                    errors.Add(new("deadline", $"{Iso(deadline.Value)} is more than {limits.MaxDeadlineHorizon.TotalDays} days ahead"));
                }
                else if (duration is not null && pool is not null && !planner.CanMeetDeadline(now, pool, duration.Value, deadline.Value))
                {
                    var earliest = planner.EarliestEnd(now, pool, duration.Value);
                    errors.Add(new("deadline", $"cannot be met: starting now the job ends at {Iso(earliest)} at the earliest (pool start-up {planner.AllowanceFor(pool).TotalMinutes} min + {duration.Value.TotalMinutes} min run), and plans end {planner.DeadlineMargin.TotalMinutes} min before the deadline"));
                }
            }

            if (errors.Count > 0 || pool is null || regions is null || duration is null || deadline is null
                || id is null || name is null || owner is null || interruptible is null || workload is null)
            {
                return new JobParseResult(null, Bounded(errors));
            }

            return new JobParseResult(
                new TrainingJob
                {
                    SchemaVersion = CurrentSchemaVersion,
                    Id = id,
                    Name = name,
                    Owner = owner,
                    Pool = pool,
                    Regions = regions,
                    EstimatedDuration = duration.Value,
                    Deadline = deadline.Value,
                    Interruptible = interruptible.Value,
                    ResumeOverhead = TimeSpan.FromMinutes(overheadMinutes),
                    Workload = workload,
                    CarbonThresholdGramsPerKwh = threshold,
                    Policy = policy,
                    FunctionalUnit = functionalUnit,
                    SubmittedAt = submittedAt,
                },
                errors);
        }

        static JobParseResult Fail(FieldError error) => new(null, [error]);
    }

    // The largest minute count a TimeSpan holds, as a double (TimeSpan.FromMinutes throws at and above it).
    private static readonly double MaxMinutes = TimeSpan.MaxValue.TotalMinutes;

    private static List<FieldError> Bounded(List<FieldError> errors) => errors.Count <= MaxReportedErrors
        ? errors
        : [.. errors.Take(MaxReportedErrors), new FieldError("$", $"and {errors.Count - MaxReportedErrors} more problem(s)")];

    /// <summary>Writes a job back in the contract's wire format (camelCase, minutes, ISO 8601 UTC).</summary>
    public static string Serialize(TrainingJob job)
    {
        ArgumentNullException.ThrowIfNull(job);
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream))
        {
            w.WriteStartObject();
            w.WriteNumber("schemaVersion", job.SchemaVersion);
            w.WriteString("id", job.Id);
            w.WriteString("name", job.Name);
            w.WriteString("owner", job.Owner);
            w.WriteStartObject("pool");
            w.WriteString("kind", job.Pool.Kind == PoolKind.Gpu ? "gpu" : "gaudi");
            w.WriteString("provider", job.Pool.Provider == CloudProvider.Azure ? "azure" : "aws");
            w.WriteString("nodeSize", job.Pool.NodeSize);
            w.WriteNumber("minNodes", job.Pool.MinNodes);
            w.WriteNumber("maxNodes", job.Pool.MaxNodes);
            if (job.Pool.PowerPerNodeWatts is { } watts)
            {
                w.WriteNumber("powerPerNodeWatts", watts);
            }

            if (job.Pool.RelativeThroughput is { } throughput)
            {
                w.WriteStartArray("relativeThroughput");
                foreach (var t in throughput)
                {
                    w.WriteNumberValue(t);
                }

                w.WriteEndArray();
            }

            w.WriteEndObject();
            w.WriteStartArray("regions");
            foreach (var r in job.Regions)
            {
                w.WriteStringValue(r);
            }

            w.WriteEndArray();
            w.WriteNumber("estimatedDurationMinutes", job.EstimatedDuration.TotalMinutes);
            w.WriteString("deadline", Iso(job.Deadline));
            w.WriteBoolean("interruptible", job.Interruptible);
            w.WriteNumber("resumeOverheadMinutes", job.ResumeOverhead.TotalMinutes);
            w.WriteStartObject("workload");
            if (job.Workload.Image is { } image)
            {
                w.WriteString("image", image);
            }

            if (job.Workload.Command is { } command)
            {
                w.WriteStartArray("command");
                foreach (var c in command)
                {
                    w.WriteStringValue(c);
                }

                w.WriteEndArray();
            }

            if (job.Workload.MaxRetries != 0)
            {
                w.WriteNumber("maxRetries", job.Workload.MaxRetries);
            }

            w.WriteEndObject();
            if (job.CarbonThresholdGramsPerKwh is { } threshold)
            {
                w.WriteNumber("carbonThresholdGramsPerKwh", threshold);
            }

            if (job.Policy is { } policy)
            {
                w.WriteString("policy", policy);
            }

            if (job.FunctionalUnit is { } unit)
            {
                w.WriteString("functionalUnit", unit);
            }

            if (job.SubmittedAt is { } submitted)
            {
                w.WriteString("submittedAt", Iso(submitted));
            }

            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static readonly Planning.PlannerOptions DefaultPlanner = new();

    private static readonly Planning.PlannerOptions NoStartup = new() { StartupAllowance = TimeSpan.Zero, DeadlineMargin = TimeSpan.Zero };

    /// <summary>Reads a job that this service itself stored (already validated once), without time checks.</summary>
    public static TrainingJob ReadStored(string json)
    {
        var result = Parse(json, new JobLimits { MaxDeadlineHorizon = TimeSpan.MaxValue, MaxNodesPerJob = int.MaxValue, MaxEstimatedDuration = TimeSpan.MaxValue, MaxMessageBytes = 64 * 1024 }, DateTimeOffset.MinValue, NoStartup);
        return result.Job ?? throw new InvalidDataException("stored job is not valid: " + string.Join("; ", result.Errors));
    }

    internal static string Iso(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static PoolRequest? ReadPool(JsonElement root, FieldReader reader, JobLimits limits, List<FieldError> errors)
    {
        var pool = reader.Object(root, "pool", required: true);
        if (pool is null)
        {
            return null;
        }

        var p = pool.Value;
        reader.RejectUnknown(p, "pool.", PoolFields);
        var kind = reader.Enum(p, "pool.", "kind", ["gpu", "gaudi"]);
        var provider = reader.Enum(p, "pool.", "provider", ["azure", "aws"]);
        var nodeSize = reader.String(p, "nodeSize", required: true, prefix: "pool.");
        var minNodes = reader.Int(p, "minNodes", required: true, prefix: "pool.");
        var maxNodes = reader.Int(p, "maxNodes", required: false, prefix: "pool.") ?? minNodes;
        var watts = reader.Number(p, "powerPerNodeWatts", required: false, prefix: "pool.");
        var throughput = reader.NumberArray(p, "relativeThroughput", "pool.");
        var before = errors.Count;

        if (nodeSize is not null)
        {
            if (!NodeSizePattern().IsMatch(nodeSize))
            {
                errors.Add(new("pool.nodeSize", $"'{nodeSize}' is not a VM size or instance type name"));
            }
            else if (provider is not null)
            {
                var allowed = provider == "azure" ? limits.AllowedAzureSizes : limits.AllowedAwsInstanceTypes;
                if (allowed.Count > 0 && !allowed.Contains(nodeSize, StringComparer.OrdinalIgnoreCase))
                {
                    errors.Add(new("pool.nodeSize", $"'{nodeSize}' is not allowed for {provider}; allowed: {string.Join(", ", allowed)}"));
                }
            }
        }

        if (kind == "gaudi" && provider == "azure")
        {
            errors.Add(new("pool.provider", "Gaudi pools run on AWS (DL1 instances); use provider 'aws'"));
        }

        if (minNodes is not null && minNodes < 1)
        {
            errors.Add(new("pool.minNodes", "must be at least 1"));
        }

        if (maxNodes is not null && minNodes is not null && maxNodes < minNodes)
        {
            errors.Add(new("pool.maxNodes", $"must be at least pool.minNodes ({minNodes})"));
        }

        if (maxNodes > limits.MaxNodesPerJob)
        {
            errors.Add(new("pool.maxNodes", $"{maxNodes} nodes exceeds the limit of {limits.MaxNodesPerJob} per job"));
        }

        if (watts is <= 0 or > 20_000)
        {
            errors.Add(new("pool.powerPerNodeWatts", "must be between 0 and 20000 W"));
        }

        if (throughput is not null)
        {
            if (maxNodes is not null && throughput.Count != maxNodes)
            {
                errors.Add(new("pool.relativeThroughput", $"needs one value per node count 1..{maxNodes}, got {throughput.Count}"));
            }
            else if (throughput.Any(t => t <= 0) || throughput.Zip(throughput.Skip(1)).Any(pair => pair.Second < pair.First))
            {
                errors.Add(new("pool.relativeThroughput", "values must be positive and must not decrease as nodes are added"));
            }
        }

        if (errors.Count > before || kind is null || provider is null || nodeSize is null || minNodes is null || maxNodes is null)
        {
            return null;
        }

        return new PoolRequest
        {
            Kind = kind == "gpu" ? PoolKind.Gpu : PoolKind.Gaudi,
            Provider = provider == "azure" ? CloudProvider.Azure : CloudProvider.Aws,
            NodeSize = nodeSize,
            MinNodes = minNodes.Value,
            MaxNodes = maxNodes.Value,
            PowerPerNodeWatts = watts,
            RelativeThroughput = throughput,
        };
    }

    private static List<string>? ReadRegions(JsonElement root, FieldReader reader, JobLimits limits, List<FieldError> errors)
    {
        var regions = reader.StringArray(root, "regions", required: true);
        if (regions is null)
        {
            return null;
        }

        var before = errors.Count;
        if (regions.Count is 0 or > 10)
        {
            errors.Add(new("regions", "must list between 1 and 10 candidate regions"));
        }

        for (var i = 0; i < regions.Count; i++)
        {
            if (!RegionPattern().IsMatch(regions[i]))
            {
                errors.Add(new($"regions[{i}]", $"'{FieldReader.Truncate(regions[i], 60)}' is not a region name"));
            }
            else if (limits.AllowedRegions.Count > 0 && !limits.AllowedRegions.Contains(regions[i], StringComparer.OrdinalIgnoreCase))
            {
                errors.Add(new($"regions[{i}]", $"'{regions[i]}' is not an allowed region; allowed: {string.Join(", ", limits.AllowedRegions)}"));
            }
        }

        if (regions.Distinct(StringComparer.OrdinalIgnoreCase).Count() != regions.Count)
        {
            errors.Add(new("regions", "lists a region twice"));
        }

        return errors.Count > before ? null : regions;
    }

    private static Workload? ReadWorkload(JsonElement root, FieldReader reader, List<FieldError> errors)
    {
        var workload = reader.Object(root, "workload", required: true);
        if (workload is null)
        {
            return null;
        }

        reader.RejectUnknown(workload.Value, "workload.", WorkloadFields);
        var image = reader.String(workload.Value, "image", required: false, prefix: "workload.", maxLength: 500);
        var command = reader.StringArray(workload.Value, "command", required: false, prefix: "workload.");
        var retries = reader.Int(workload.Value, "maxRetries", required: false, prefix: "workload.");
        var before = errors.Count;
        if (retries is < 0 or > MaxWorkloadRetries)
        {
            errors.Add(new("workload.maxRetries", $"must be between 0 and {MaxWorkloadRetries}, was {retries}"));
        }

        if (image is null && (command is null || command.Count == 0))
        {
            errors.Add(new("workload", "needs an image, a command, or both"));
        }

        return errors.Count > before ? null : new Workload { Image = image, Command = command, MaxRetries = retries ?? 0 };
    }
}
