using System.Globalization;
using System.Text.RegularExpressions;
using CarbonFunctions.Core.Emissions;
using CarbonFunctions.Core.Forecasts;
using CarbonFunctions.Core.Jobs;
using CarbonFunctions.Core.Telemetry;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CarbonFunctions.Handlers.Emissions;

/// <summary>The outcome of one telemetry upload: the job's report after counting it, or why none could be made.</summary>
public sealed record TelemetryReportOutcome(string? JobId, EmissionsReport? Report, string? Error)
{
    public bool Saved => Report is not null;

    /// <summary>True when this blob's content had been counted already (a trigger firing twice): nothing changed.</summary>
    public bool AlreadyCounted { get; init; }
}

/// <summary>
/// The blob-trigger use case for <c>telemetry/{jobId}/{name}</c> (the name may hold folders, e.g.
/// <c>{node}/{segment}-{chunk}.csv</c>): streams the upload once, keeps its energy as the blob's share of the
/// job, and rebuilds the job's report from every share, with actual intensity for the run (the newest forecast
/// where actuals are missing) and for the counterfactual start at submission. A blob is identified by its
/// name: the same content handled twice changes nothing, a corrected upload replaces its own share only.
/// Devices are named <c>{node}/{device}</c> where node is the folders between the job id and the file name (or
/// the 'node' metadata), so that the GPUs of two nodes stay apart while a node's segments and chunks join.
/// Bad content never throws: it becomes a share with problems (the upload is left in place), so the trigger
/// does not retry it. Storage failures do throw, and the host's bounded retry applies to them.
/// <para>Blob metadata read (case-insensitive): region, provider (azure|aws), timezone (IANA),
/// submittedAt (ISO 8601 with offset), pollStart + pollIntervalMs (files without timestamps),
/// columns (headerless CSV), functionalUnit + functionalUnits (SCI), pue, node.</para>
/// </summary>
public sealed partial class TelemetryReportHandler(
    IForecastStore forecasts,
    IEmissionsReportStore reports,
    IOptions<EmissionsOptions> options,
    TimeProvider time,
    ILogger<TelemetryReportHandler> logger,
    Storage.Jobs.JobStore? jobs = null,
    Core.Planning.PlannerOptions? planner = null)
{
    /// <summary>
    /// The blob's ETag, when the host passes it with the metadata (the local scan does). A hyphen is not allowed
    /// in a metadata name, so no uploader can set it.
    /// </summary>
    public const string ETagKey = "x-blob-etag";

    private const int SaveAttempts = 16;

    [GeneratedRegex("^([a-z0-9][a-z0-9-]{0,62})/([^/].*)$")]
    private static partial Regex BlobPathPattern();

    public async Task<TelemetryReportOutcome> HandleAsync(
        string blobPath,
        Stream content,
        IReadOnlyDictionary<string, string> metadata,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(blobPath);
        ArgumentNullException.ThrowIfNull(content);
        ArgumentNullException.ThrowIfNull(metadata);
        if (Parse(blobPath) is not { } parsed)
        {
            // No job id: nothing to attach a report to. Logged, not thrown, so the trigger does not retry.
            logger.LogWarning("Telemetry blob {Path} is not telemetry/{{jobId}}/{{name}}; ignored", blobPath);
            return new TelemetryReportOutcome(null, null, $"'{blobPath}' is not telemetry/{{jobId}}/{{name}} with a valid job id");
        }

        var (jobId, blob, folder) = parsed;
        var settings = options.Value;
        var meta = new Dictionary<string, string>(metadata, StringComparer.OrdinalIgnoreCase);
        var notes = new List<TelemetryProblem>();
        var (context, readOptions) = ReadMetadata(jobId, blob, meta, notes);
        var node = meta.TryGetValue("node", out var n) && !string.IsNullOrWhiteSpace(n) ? n.Trim() : folder;

        using var hashing = new HashingStream(content);
        TelemetryEnergy energy;
        try
        {
            energy = TelemetryEmissions.Integrate(hashing, readOptions, settings, node);
        }
        catch (Exception ex) when (ex is not OperationCanceledException && ex is not Azure.RequestFailedException)
        {
            // A reader bug or an unreadable stream must still leave a share rather than a retry loop.
            logger.LogError(ex, "Telemetry {Path} could not be read", blobPath);
            notes.Add(new TelemetryProblem(0, $"the file could not be read: {ex.GetType().Name}: {ex.Message}"));
            energy = new TelemetryEnergy(
                new TelemetryReadResult(TelemetryFormat.Unknown, 0, 0, [], 0),
                new EnergyProfile([], [], settings.BinWidth, null, null, 0, [], 0));
        }

        // The hash is of the whole content, also where the reader stopped early (a NUL tail).
        var hash = await hashing.FinishAsync(cancellationToken);
        var read = energy.Read;
        var share = TelemetryShare.From(jobId, blob, node, energy, context, hash, hashing.Bytes, meta.GetValueOrDefault(ETagKey), time.GetUtcNow()) with
        {
            Problems = [.. notes.Concat(read.Problems).Take(settings.MaxProblems)],
            ProblemCount = read.ProblemCount + notes.Count,
        };

        if (await reports.GetShareAsync(jobId, blob, cancellationToken) is { } counted && counted.SameAs(share))
        {
            var (current, _) = await reports.GetVersionedAsync(jobId, cancellationToken);
            if (current is not null && current.Blobs.Any(b => b.Blob == blob && b.ContentHash == hash))
            {
                logger.LogInformation("Telemetry {Path} was counted already (same content); report for {JobId} unchanged", blobPath, jobId);
                if (share.ETag is not null && counted.ETag != share.ETag)
                {
                    await reports.SaveShareAsync(counted with { ETag = share.ETag }, cancellationToken);
                }

                return new TelemetryReportOutcome(jobId, current, null) { AlreadyCounted = true };
            }
        }
        else
        {
            await reports.SaveShareAsync(share, cancellationToken);
        }

        var report = await RebuildAsync(jobId, cancellationToken);
        logger.LogInformation(
            "Emissions report for {JobId} after {Blob}: {Status}, {Blobs} blobs, {EnergyKwh:0.###} kWh, {EmissionsKg:0.###} kg ({Source}), {Problems} problems",
            jobId, blob, report.Status, report.Blobs.Count, report.EnergyKwh, report.EmissionsKg, report.IntensitySource, report.ProblemCount);
        return new TelemetryReportOutcome(jobId, report, null);
    }

    /// <summary>True when the blob's share was counted from the content with this ETag (the local scan's cheap check).</summary>
    public async Task<bool> IsCountedAsync(string blobPath, string etag, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(blobPath);
        return Parse(blobPath) is { } parsed
            && await reports.GetShareAsync(parsed.JobId, parsed.Blob, cancellationToken) is { } share
            && share.ETag == etag;
    }

    /// <summary>
    /// The report from every share of the job. Saved only if no other writer saved one since it was read
    /// (two blobs of one job handled at once); on a conflict it is built again with the shares as they are then.
    /// </summary>
    public async Task<EmissionsReport> RebuildAsync(string jobId, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        for (var attempt = 1; ; attempt++)
        {
            var (_, version) = await reports.GetVersionedAsync(jobId, cancellationToken);
            var shares = await reports.ListSharesAsync(jobId, cancellationToken);
            var telemetry = JobTelemetry.Combine(shares, settings);
            var notes = new List<TelemetryProblem>();
            var context = JobTelemetry.Context(jobId, shares, notes);
            var (actuals, forecast) = await IntensitiesAsync(context, telemetry.Profile, notes, cancellationToken);
            var report = EmissionsCalculator.Compute(telemetry, context, actuals, forecast, settings, time.GetUtcNow(), notes);
            report = await ForecastRegretHandler.AttachAsync(jobs, forecasts, planner, report, cancellationToken);
            if (await reports.TrySaveAsync(report, version, cancellationToken))
            {
                return report;
            }

            if (attempt == SaveAttempts)
            {
                throw new InvalidOperationException($"the report of {jobId} changed under {SaveAttempts} attempts to save it; the trigger's retry will build it again");
            }

            // No back-off wait: every round some writer's save succeeds, so retrying at once makes progress.
            logger.LogInformation("Report for {JobId} was saved by another blob's handler meanwhile; building it again", jobId);
        }
    }

    /// <summary>Job id, blob name inside the container, and the folders between them (the node), or null.</summary>
    private static (string JobId, string Blob, string? Folder)? Parse(string blobPath)
    {
        // The trigger may give the path with or without the container name.
        var relative = blobPath.StartsWith("telemetry/", StringComparison.Ordinal) ? blobPath["telemetry/".Length..] : blobPath;
        var match = BlobPathPattern().Match(relative);
        if (!match.Success)
        {
            return null;
        }

        var rest = match.Groups[2].Value;
        var slash = rest.LastIndexOf('/');
        return (match.Groups[1].Value, relative, slash > 0 ? rest[..slash] : null);
    }

    private async Task<(CarbonIntensitySeries? Actuals, CarbonIntensitySeries? Forecast)> IntensitiesAsync(
        EmissionsContext context, EnergyProfile profile, List<TelemetryProblem> notes, CancellationToken cancellationToken)
    {
        if (profile.Start is not { } start || profile.End is not { } end)
        {
            return (null, null);
        }

        if (context.Region is null)
        {
            notes.Add(new TelemetryProblem(0, "no 'region' in the upload's metadata: energy only, no emissions"));
            return (null, null);
        }

        // One window holds both the run and its counterfactual start at submission.
        var from = context.SubmittedAt is { } submitted && submitted < start ? submitted : start;
        var to = end + profile.BinWidth;
        var actuals = await forecasts.GetActualsAsync(context.Region, from, to, cancellationToken);
        CarbonIntensitySeries? forecast = null;
        if (actuals is null || !actuals.Covers(from, to))
        {
            forecast = await forecasts.GetLatestForecastAsync(context.Region, from, to, cancellationToken);
        }

        return (actuals, forecast);
    }

    private static (EmissionsContext Context, TelemetryReadOptions Read) ReadMetadata(
        string jobId, string blobPath, Dictionary<string, string> meta, List<TelemetryProblem> notes)
    {
        var zone = TimeZoneInfo.Utc;
        if (meta.TryGetValue("timezone", out var zoneId))
        {
            zone = TelemetryReadOptions.FindZone(zoneId) ?? TimeZoneInfo.Utc;
            if (TelemetryReadOptions.FindZone(zoneId) is null)
            {
                notes.Add(new TelemetryProblem(0, $"unknown time zone '{zoneId}'; timestamps without an offset were read as UTC"));
            }
        }

        CloudProvider? provider = null;
        if (meta.TryGetValue("provider", out var providerText))
        {
            if (Enum.TryParse<CloudProvider>(providerText, ignoreCase: true, out var p))
            {
                provider = p;
            }
            else
            {
                notes.Add(new TelemetryProblem(0, $"unknown provider '{providerText}' (azure or aws); the default PUE applies"));
            }
        }

        var context = new EmissionsContext
        {
            JobId = jobId,
            Source = blobPath,
            Region = meta.TryGetValue("region", out var region) && !string.IsNullOrWhiteSpace(region) ? region.Trim() : null,
            Provider = provider,
            SubmittedAt = Instant(meta, "submittedAt", notes),
            FunctionalUnit = meta.GetValueOrDefault("functionalUnit"),
            FunctionalUnits = Number(meta, "functionalUnits", notes, min: 0),
            Pue = Number(meta, "pue", notes, min: 1),
            TimeZone = zone,
        };
        var intervalMs = Number(meta, "pollIntervalMs", notes, min: 1);
        var read = new TelemetryReadOptions
        {
            TimeZone = zone,
            PollStart = Instant(meta, "pollStart", notes),
            PollInterval = intervalMs is { } ms ? TimeSpan.FromMilliseconds(ms) : null,
            Columns = meta.TryGetValue("columns", out var columns) ? columns.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries) : null,
        };
        return (context, read);
    }

    private static DateTimeOffset? Instant(Dictionary<string, string> meta, string key, List<TelemetryProblem> notes)
    {
        if (!meta.TryGetValue(key, out var text))
        {
            return null;
        }

        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var value))
        {
            return value;
        }

        notes.Add(new TelemetryProblem(0, $"metadata {key} '{text}' is not an ISO 8601 time; ignored"));
        return null;
    }

    private static double? Number(Dictionary<string, string> meta, string key, List<TelemetryProblem> notes, double min)
    {
        if (!meta.TryGetValue(key, out var text))
        {
            return null;
        }

        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && double.IsFinite(value) && value >= min)
        {
            return value;
        }

        notes.Add(new TelemetryProblem(0, $"metadata {key} '{text}' is not a number >= {min}; ignored"));
        return null;
    }
}
