using System.Globalization;
using System.Text.Json;
using CarbonFunctions.Core.Jobs;
using Sylvan.Data.Csv;

namespace CarbonFunctions.Core.Simulation;

/// <summary>
/// Reads a job trace for the simulator: a JSON array of training-job contract objects (each with <c>submittedAt</c>),
/// or a CSV with the columns <c>id,submittedAt,durationHours,slackHours,interruptible,kind,nodes</c> and optionally
/// <c>maxNodes,wattsPerNode,resumeOverheadMinutes,thresholdGramsPerKwh</c>. Every job is bound to the replayed region.
/// </summary>
public static class JobTrace
{
    public const string CsvHeader = "id,submittedAt,durationHours,slackHours,interruptible,kind,nodes,maxNodes,wattsPerNode,resumeOverheadMinutes,thresholdGramsPerKwh";

    /// <summary>Jobs from the contract's JSON (an array, or one object), validated as intake would at their submission time.</summary>
    public static IReadOnlyList<TrainingJob> ReadJson(string json, string region, JobLimits limits)
    {
        ArgumentNullException.ThrowIfNull(json);
        using var document = JsonDocument.Parse(json);
        var elements = document.RootElement.ValueKind == JsonValueKind.Array
            ? document.RootElement.EnumerateArray().ToList()
            : [document.RootElement];
        var jobs = new List<TrainingJob>();
        for (var i = 0; i < elements.Count; i++)
        {
            var element = elements[i];
            if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty("submittedAt", out var at) || at.ValueKind != JsonValueKind.String
                || !DateTimeOffset.TryParse(at.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var submitted))
            {
                throw new FormatException($"job {i + 1}: a simulated job needs a 'submittedAt' timestamp");
            }

            var parsed = JobContract.Parse(element.GetRawText(), limits, submitted);
            if (!parsed.IsValid)
            {
                throw new FormatException($"job {i + 1}: " + string.Join("; ", parsed.Errors.Select(e => $"{e.Field}: {e.Reason}")));
            }

            jobs.Add(parsed.Job! with { Regions = [region], SubmittedAt = submitted });
        }

        return Sorted(jobs);
    }

    /// <summary>Jobs from the simulator's CSV (see the type's summary).</summary>
    public static IReadOnlyList<TrainingJob> ReadCsv(TextReader reader, string region)
    {
        ArgumentNullException.ThrowIfNull(reader);
        using var csv = CsvDataReader.Create(reader, new CsvDataReaderOptions { HasHeaders = true });
        var columns = Enumerable.Range(0, csv.FieldCount).ToDictionary(i => csv.GetName(i).Trim(), i => i, StringComparer.OrdinalIgnoreCase);
        foreach (var required in new[] { "id", "submittedAt", "durationHours", "slackHours", "interruptible", "kind", "nodes" })
        {
            if (!columns.ContainsKey(required))
            {
                throw new FormatException($"the job CSV has no '{required}' column (expected {CsvHeader})");
            }
        }

        var jobs = new List<TrainingJob>();
        var line = 1;
        while (csv.Read())
        {
            line++;
            string Text(string name) => columns.TryGetValue(name, out var i) && i < csv.RowFieldCount ? csv.GetString(i).Trim() : string.Empty;
            double? Number(string name, bool required)
            {
                var text = Text(name);
                if (text.Length == 0)
                {
                    return required ? throw new FormatException($"line {line}: '{name}' is empty") : null;
                }

                return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && double.IsFinite(value) && value >= 0
                    ? value
                    : throw new FormatException($"line {line}: {name} '{text}' is not a non-negative number");
            }

            if (!DateTimeOffset.TryParse(Text("submittedAt"), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var submitted))
            {
                throw new FormatException($"line {line}: submittedAt '{Text("submittedAt")}' is not a timestamp");
            }

            var kind = Text("kind").ToLowerInvariant() switch
            {
                "gpu" => PoolKind.Gpu,
                "gaudi" => PoolKind.Gaudi,
                var other => throw new FormatException($"line {line}: kind '{other}' is not gpu or gaudi"),
            };
            if (!bool.TryParse(Text("interruptible"), out var interruptible))
            {
                throw new FormatException($"line {line}: interruptible '{Text("interruptible")}' is not true or false");
            }

            var duration = Number("durationHours", true)!.Value;
            if (duration <= 0)
            {
                throw new FormatException($"line {line}: durationHours must be positive");
            }

            var nodes = (int)Number("nodes", true)!.Value;
            var maxNodes = (int)(Number("maxNodes", false) ?? nodes);
            if (nodes < 1 || maxNodes < nodes)
            {
                throw new FormatException($"line {line}: nodes must be at least 1 and maxNodes at least nodes");
            }

            jobs.Add(Job(
                Text("id"), submitted, TimeSpan.FromHours(duration), TimeSpan.FromHours(Number("slackHours", true)!.Value), interruptible, kind, nodes, maxNodes,
                Number("wattsPerNode", false), TimeSpan.FromMinutes(Number("resumeOverheadMinutes", false) ?? 0), Number("thresholdGramsPerKwh", false), region));
        }

        return Sorted(jobs);
    }

    /// <summary>Writes jobs in the CSV form <see cref="ReadCsv"/> reads.</summary>
    public static void WriteCsv(TextWriter writer, IEnumerable<TrainingJob> jobs)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(jobs);
        writer.WriteLine(CsvHeader);
        foreach (var j in jobs)
        {
            var submitted = j.SubmittedAt ?? throw new ArgumentException($"job {j.Id} has no submission time");
            var slack = j.Deadline - submitted - j.EstimatedDuration;
            writer.WriteLine(string.Join(',',
                j.Id,
                JobContract.Iso(submitted),
                N(j.EstimatedDuration.TotalHours),
                N(slack.TotalHours),
                j.Interruptible ? "true" : "false",
                j.Pool.Kind == PoolKind.Gaudi ? "gaudi" : "gpu",
                N(j.Pool.MinNodes),
                N(j.Pool.MaxNodes),
                j.Pool.PowerPerNodeWatts is { } w ? N(w) : string.Empty,
                N(j.ResumeOverhead.TotalMinutes),
                j.CarbonThresholdGramsPerKwh is { } t ? N(t) : string.Empty));
        }
    }

    /// <summary>A simulated job: deadline = submission + duration + slack, one region, linear scaling when elastic.</summary>
    public static TrainingJob Job(
        string id, DateTimeOffset submitted, TimeSpan duration, TimeSpan slack, bool interruptible, PoolKind kind, int nodes, int maxNodes,
        double? wattsPerNode, TimeSpan resumeOverhead, double? threshold, string region)
    {
        if (!JobContract.IsValidJobId(id))
        {
            throw new FormatException($"'{id}' is not a valid job id");
        }

        return new TrainingJob
        {
            SchemaVersion = 1,
            Id = id,
            Name = id,
            Owner = "simulation",
            Pool = new PoolRequest
            {
                Kind = kind,
                Provider = kind == PoolKind.Gaudi ? CloudProvider.Aws : CloudProvider.Azure,
                NodeSize = kind == PoolKind.Gaudi ? "dl1.24xlarge" : "Standard_ND96asr_v4",
                MinNodes = nodes,
                MaxNodes = maxNodes,
                PowerPerNodeWatts = wattsPerNode,
            },
            Regions = [region],
            EstimatedDuration = duration,
            Deadline = submitted + duration + slack,
            Interruptible = interruptible,
            ResumeOverhead = resumeOverhead,
            Workload = new Workload { Command = ["simulated"] },
            CarbonThresholdGramsPerKwh = threshold,
            SubmittedAt = submitted,
        };
    }

    private static List<TrainingJob> Sorted(List<TrainingJob> jobs)
    {
        var duplicate = jobs.GroupBy(j => j.Id, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new FormatException($"job id '{duplicate.Key}' appears {duplicate.Count()} times");
        }

        return [.. jobs.OrderBy(j => j.SubmittedAt).ThenBy(j => j.Id, StringComparer.Ordinal)];
    }

    private static string N(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
