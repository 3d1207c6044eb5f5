using CarbonFunctions.Core.Jobs;
using CarbonFunctions.Core.Telemetry;

namespace CarbonFunctions.Core.Emissions;

/// <summary>
/// What one telemetry blob contributes to its job's report, kept so that the report can be rebuilt from all
/// of the job's blobs without reading them again. Identified by the blob's name: a trigger firing twice for
/// the same content (same hash) changes nothing, and a corrected upload under the same name replaces this
/// share and nothing else.
/// </summary>
public sealed record TelemetryShare
{
    public required string JobId { get; init; }

    /// <summary>The blob's name inside the telemetry container ("{jobId}/{node}/{segment}-{chunk}.csv").</summary>
    public required string Blob { get; init; }

    /// <summary>Prefix of the device names: the folders between the job id and the file name, or the 'node' metadata.</summary>
    public string? Node { get; init; }

    /// <summary>SHA-256 of the content as read (hex).</summary>
    public required string ContentHash { get; init; }

    public long Bytes { get; init; }

    /// <summary>The blob's ETag when the host knew it (the local scan does; it skips blobs whose ETag it has counted).</summary>
    public string? ETag { get; init; }

    public required TelemetryFormat Format { get; init; }
    public long Lines { get; init; }
    public long Samples { get; init; }
    public IReadOnlyList<TelemetryProblem> Problems { get; init; } = [];
    public int ProblemCount { get; init; }
    public int FieldErrorCount { get; init; }

    /// <summary>What the upload's metadata (and the job record) said about the job.</summary>
    public string? Region { get; init; }
    public CloudProvider? Provider { get; init; }
    public string Timezone { get; init; } = "UTC";
    public DateTimeOffset? SubmittedAt { get; init; }
    public string? FunctionalUnit { get; init; }
    public double? FunctionalUnits { get; init; }
    public double? Pue { get; init; }

    public TimeSpan BinWidth { get; init; }
    public IReadOnlyList<DeviceSeries> Devices { get; init; } = [];
    public IReadOnlyList<EnergyBin> Bins { get; init; } = [];
    public DateTimeOffset ComputedAt { get; init; }

    public double EnergyKwh => Bins.Sum(b => b.Joules) / 3.6e6;

    /// <summary>True when the other share is the same content read with the same metadata: counting it again changes nothing.</summary>
    public bool SameAs(TelemetryShare other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return ContentHash == other.ContentHash && Blob == other.Blob && Region == other.Region && Provider == other.Provider
            && Timezone == other.Timezone && SubmittedAt == other.SubmittedAt && FunctionalUnit == other.FunctionalUnit
            && FunctionalUnits == other.FunctionalUnits && Pue == other.Pue && Node == other.Node && BinWidth == other.BinWidth;
    }

    public string ToJson() => EmissionsJson.Serialize(this);

    public static TelemetryShare? FromJson(string json) => EmissionsJson.DeserializeShare(json);

    /// <summary>The share of one read blob.</summary>
    public static TelemetryShare From(string jobId, string blob, string? node, TelemetryEnergy energy, EmissionsContext context, string contentHash, long bytes, string? etag, DateTimeOffset computedAt)
    {
        ArgumentNullException.ThrowIfNull(energy);
        ArgumentNullException.ThrowIfNull(context);
        return new TelemetryShare
        {
            JobId = jobId,
            Blob = blob,
            Node = node,
            ContentHash = contentHash,
            Bytes = bytes,
            ETag = etag,
            Format = energy.Read.Format,
            Lines = energy.Read.Lines,
            Samples = energy.Read.Samples,
            Problems = energy.Read.Problems,
            ProblemCount = energy.Read.ProblemCount,
            FieldErrorCount = energy.Read.FieldErrorCount,
            Region = context.Region,
            Provider = context.Provider,
            Timezone = context.TimeZone.Id,
            SubmittedAt = context.SubmittedAt,
            FunctionalUnit = context.FunctionalUnit,
            FunctionalUnits = context.FunctionalUnits,
            Pue = context.Pue,
            BinWidth = energy.Profile.BinWidth,
            Devices = energy.Series,
            Bins = energy.Profile.Bins,
            ComputedAt = computedAt,
        };
    }
}

/// <summary>A job's telemetry joined from its blobs: the energy profile, the blobs' problems, and what each blob gave.</summary>
public sealed record JobTelemetry(
    TelemetryFormat Format,
    EnergyProfile Profile,
    IReadOnlyList<TelemetryProblem> Problems,
    int ProblemCount,
    int FieldErrorCount,
    IReadOnlyList<BlobContribution> Blobs)
{
    /// <summary>Joins the shares of one job (in blob name order, so the result does not depend on arrival order).</summary>
    public static JobTelemetry Combine(IReadOnlyList<TelemetryShare> shares, EmissionsOptions options)
    {
        ArgumentNullException.ThrowIfNull(shares);
        ArgumentNullException.ThrowIfNull(options);
        var ordered = shares.OrderBy(s => s.Blob, StringComparer.Ordinal).ToList();
        var problems = new TelemetryProblems(options.MaxProblems);
        var several = ordered.Count > 1;
        var count = 0;
        foreach (var share in ordered)
        {
            foreach (var p in share.Problems)
            {
                problems.Add(several ? p with { Blob = share.Blob } : p);
            }

            count += share.ProblemCount - share.Problems.Count;
            if (share.BinWidth != options.BinWidth)
            {
                problems.Add(new TelemetryProblem(0, $"read with {share.BinWidth} bins, the report uses {options.BinWidth}; its energy is counted in its own bins") { Blob = share.Blob });
            }
        }

        var combine = new TelemetryProblems(options.MaxProblems);
        var profile = JobEnergy.Combine([.. ordered.Select(s => new EnergyShare(s.Blob, s.Devices, s.Bins))], options, combine);
        foreach (var p in combine.First)
        {
            problems.Add(p);
        }

        var formats = ordered.Where(s => s.Samples > 0).Select(s => s.Format).Distinct().ToList();
        var format = formats.Count switch
        {
            0 => ordered.Count == 1 ? ordered[0].Format : TelemetryFormat.Unknown,
            1 => formats[0],
            _ => TelemetryFormat.Mixed,
        };
        var blobs = ordered.Select(s => new BlobContribution(
            s.Blob,
            s.ContentHash,
            s.ETag,
            s.Format,
            s.EnergyKwh,
            s.Devices.Count,
            s.Devices.Count == 0 ? null : s.Devices.Min(d => d.First),
            s.Devices.Count == 0 ? null : s.Devices.Max(d => d.Last),
            s.Samples,
            s.ProblemCount)).ToList();
        return new JobTelemetry(
            format,
            profile,
            problems.First,
            problems.Count + count + (combine.Count - combine.First.Count),
            ordered.Sum(s => s.FieldErrorCount),
            blobs);
    }

    /// <summary>
    /// The job as the shares describe it: per field, the first value in blob name order; a disagreement is noted.
    /// </summary>
    public static EmissionsContext Context(string jobId, IReadOnlyList<TelemetryShare> shares, List<TelemetryProblem> notes)
    {
        ArgumentNullException.ThrowIfNull(shares);
        ArgumentNullException.ThrowIfNull(notes);
        var ordered = shares.OrderBy(s => s.Blob, StringComparer.Ordinal).ToList();
        T? First<T>(string name, Func<TelemetryShare, T?> field)
        {
            var values = ordered.Select(s => (s.Blob, Value: field(s))).Where(v => v.Value is not null).ToList();
            if (values.Select(v => v.Value).Distinct().Count() > 1)
            {
                notes.Add(new TelemetryProblem(0, $"the blobs disagree on {name} ({string.Join(", ", values.Select(v => $"{v.Blob}: {v.Value}"))}); {values[0].Value} from {values[0].Blob} is used"));
            }

            return values.Count > 0 ? values[0].Value : default;
        }

        var zoneId = First("timezone", s => s.Timezone == "UTC" ? null : s.Timezone) ?? "UTC";
        return new EmissionsContext
        {
            JobId = jobId,
            Source = ordered.Count == 1 ? ordered[0].Blob : $"{ordered.Count} blobs under {jobId}/",
            Region = First("region", s => s.Region),
            Provider = First("provider", s => s.Provider),
            SubmittedAt = First("submittedAt", s => s.SubmittedAt),
            FunctionalUnit = First("functionalUnit", s => s.FunctionalUnit),
            FunctionalUnits = First("functionalUnits", s => s.FunctionalUnits),
            Pue = First("pue", s => s.Pue),
            TimeZone = TelemetryReadOptions.FindZone(zoneId) ?? TimeZoneInfo.Utc,
        };
    }
}

/// <summary>What one blob gave to a job's report.</summary>
public sealed record BlobContribution(
    string Blob,
    string ContentHash,
    string? ETag,
    TelemetryFormat Format,
    double EnergyKwh,
    int Devices,
    DateTimeOffset? First,
    DateTimeOffset? Last,
    long Samples,
    int ProblemCount);
