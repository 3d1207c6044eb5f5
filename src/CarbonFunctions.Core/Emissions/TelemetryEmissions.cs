using CarbonFunctions.Core.Forecasts;
using CarbonFunctions.Core.Telemetry;

namespace CarbonFunctions.Core.Emissions;

/// <summary>The result of streaming one telemetry file: what was read and the energy it holds.</summary>
public sealed record TelemetryEnergy(TelemetryReadResult Read, EnergyProfile Profile)
{
    /// <summary>Per device, what the file held (named with the node prefix when one was given).</summary>
    public IReadOnlyList<DeviceSeries> Series { get; init; } = [];
}

/// <summary>
/// Telemetry file → emissions report, the whole pipeline without I/O of its own. The blob handler
/// integrates first (to learn the run's interval), fetches intensities, then reports; the offline
/// entry point (<c>carbonctl emissions compute</c>) has its intensity series already.
/// </summary>
public static class TelemetryEmissions
{
    /// <summary>Streams the file once (a large file on disk in parts side by side) and integrates its energy; bad content ends up in the problems.</summary>
    public static TelemetryEnergy Integrate(Stream telemetry, TelemetryReadOptions readOptions, EmissionsOptions options, string? node = null)
    {
        ArgumentNullException.ThrowIfNull(readOptions);
        ArgumentNullException.ThrowIfNull(options);
        var integrator = new EnergyIntegrator(options.MaxGap, options.BinWidth, new TelemetryProblems(options.MaxProblems), options.MaxMissingIntervals);
        var read = TelemetryReader.Read(telemetry, readOptions with { MaxProblems = options.MaxProblems }, integrator);
        var integration = integrator.Problems;
        var (series, bins) = integrator.Series(node);
        var profile = JobEnergy.Combine([new EnergyShare("", series, bins)], options, integration);
        var merged = read.Problems.Concat(integration.First).Take(options.MaxProblems).ToList();
        return new TelemetryEnergy(read with { Problems = merged, ProblemCount = read.ProblemCount + integration.Count }, profile) { Series = series };
    }

    /// <summary>
    /// Offline API: a telemetry stream and an intensity series (treated as actuals) to a report.
    /// </summary>
    public static EmissionsReport Compute(
        Stream telemetry,
        CarbonIntensitySeries? intensity,
        EmissionsContext context,
        EmissionsOptions options,
        DateTimeOffset computedAt,
        TelemetryReadOptions? readOptions = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        var energy = Integrate(telemetry, readOptions ?? new TelemetryReadOptions { TimeZone = context.TimeZone }, options);
        var actuals = intensity is { Kind: SeriesKind.Actual } ? intensity : null;
        var forecast = intensity is { Kind: SeriesKind.Forecast } ? intensity : null;
        return EmissionsCalculator.Compute(energy.Read, energy.Profile, context, actuals, forecast, options, computedAt);
    }
}
