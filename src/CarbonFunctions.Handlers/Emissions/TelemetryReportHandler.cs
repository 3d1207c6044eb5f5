using System.Globalization;
using System.Text.RegularExpressions;
using CarbonFunctions.Core.Emissions;
using CarbonFunctions.Core.Forecasts;
using CarbonFunctions.Core.Jobs;
using CarbonFunctions.Core.Telemetry;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CarbonFunctions.Handlers.Emissions;

/// <summary>The outcome of one telemetry upload: the saved report, or why none could be made.</summary>
public sealed record TelemetryReportOutcome(string? JobId, EmissionsReport? Report, string? Error)
{
    public bool Saved => Report is not null;
}

/// <summary>
/// The blob-trigger use case for <c>telemetry/{jobId}/{name}</c>: streams the upload once, integrates
/// its energy, looks up actual intensity for the run (the newest forecast where actuals are missing)
/// and for the counterfactual start at submission, and saves the report. Bad content never throws:
/// it becomes a report with problems (the upload is left in place), so the trigger does not retry it.
/// Storage failures do throw, and the host's bounded retry applies to them.
/// <para>Blob metadata read (case-insensitive): region, provider (azure|aws), timezone (IANA),
/// submittedAt (ISO 8601 with offset), pollStart + pollIntervalMs (files without timestamps),
/// columns (headerless CSV), functionalUnit + functionalUnits (SCI), pue.</para>
/// </summary>
public sealed partial class TelemetryReportHandler(
    IForecastStore forecasts,
    IEmissionsReportStore reports,
    IOptions<EmissionsOptions> options,
    TimeProvider time,
    ILogger<TelemetryReportHandler> logger)
{
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
        // The trigger may give the path with or without the container name.
        var relative = blobPath.StartsWith("telemetry/", StringComparison.Ordinal) ? blobPath["telemetry/".Length..] : blobPath;
        var match = BlobPathPattern().Match(relative);
        if (!match.Success)
        {
            // No job id: nothing to attach a report to. Logged, not thrown, so the trigger does not retry.
            logger.LogWarning("Telemetry blob {Path} is not telemetry/{{jobId}}/{{name}}; ignored", blobPath);
            return new TelemetryReportOutcome(null, null, $"'{blobPath}' is not telemetry/{{jobId}}/{{name}} with a valid job id");
        }

        var jobId = match.Groups[1].Value;
        var settings = options.Value;
        var meta = new Dictionary<string, string>(metadata, StringComparer.OrdinalIgnoreCase);
        var notes = new List<TelemetryProblem>();
        var (context, readOptions) = ReadMetadata(jobId, blobPath, meta, notes);

        EmissionsReport report;
        try
        {
            var energy = TelemetryEmissions.Integrate(content, readOptions, settings);
            var (actuals, forecast) = await IntensitiesAsync(context, energy.Profile, notes, cancellationToken);
            report = EmissionsCalculator.Compute(energy.Read, energy.Profile, context, actuals, forecast, settings, time.GetUtcNow(), notes);
        }
        catch (Exception ex) when (ex is not OperationCanceledException && ex is not Azure.RequestFailedException)
        {
            // A reader bug or an unreadable stream must still leave a report rather than a retry loop.
            logger.LogError(ex, "Telemetry {Path} could not be read", blobPath);
            notes.Add(new TelemetryProblem(0, $"the file could not be read: {ex.GetType().Name}: {ex.Message}"));
            report = EmissionsCalculator.Compute(
                new TelemetryReadResult(TelemetryFormat.Unknown, 0, 0, [], 0),
                new EnergyProfile([], [], settings.BinWidth, null, null, 0, [], 0),
                context, null, null, settings, time.GetUtcNow(), notes);
        }

        await reports.SaveAsync(report, cancellationToken);
        logger.LogInformation(
            "Emissions report for {JobId}: {Status}, {EnergyKwh:0.###} kWh, {EmissionsKg:0.###} kg ({Source}), {Problems} problems",
            jobId, report.Status, report.EnergyKwh, report.EmissionsKg, report.IntensitySource, report.ProblemCount);
        return new TelemetryReportOutcome(jobId, report, null);
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
