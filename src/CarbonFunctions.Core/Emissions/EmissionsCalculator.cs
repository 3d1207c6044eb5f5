using CarbonFunctions.Core.Forecasts;
using CarbonFunctions.Core.Jobs;
using CarbonFunctions.Core.Telemetry;

namespace CarbonFunctions.Core.Emissions;

/// <summary>What is known about the job behind a telemetry file.</summary>
public sealed record EmissionsContext
{
    public required string JobId { get; init; }
    public string? Source { get; init; }
    public string? Region { get; init; }
    public CloudProvider? Provider { get; init; }
    public DateTimeOffset? SubmittedAt { get; init; }

    /// <summary>What the job counts ("samples", "tokens", "steps") and how many it processed.</summary>
    public string? FunctionalUnit { get; init; }
    public double? FunctionalUnits { get; init; }

    /// <summary>PUE for this run, overriding the configured one.</summary>
    public double? Pue { get; init; }

    public TimeZoneInfo TimeZone { get; init; } = TimeZoneInfo.Utc;
}

/// <summary>
/// Turns an energy profile into an <see cref="EmissionsReport"/>: energy × PUE × intensity of the
/// slot it fell in (actuals first, the forecast where no actual is known), the GSF SCI, and the
/// counterfactual of starting at submission.
/// </summary>
public static class EmissionsCalculator
{
    public static EmissionsReport Compute(
        TelemetryReadResult read,
        EnergyProfile profile,
        EmissionsContext context,
        CarbonIntensitySeries? actuals,
        CarbonIntensitySeries? forecast,
        EmissionsOptions options,
        DateTimeOffset computedAt,
        IEnumerable<TelemetryProblem>? extraProblems = null)
    {
        ArgumentNullException.ThrowIfNull(read);
        ArgumentNullException.ThrowIfNull(profile);
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(options);
        var problems = new TelemetryProblems(options.MaxProblems);
        foreach (var p in read.Problems)
        {
            problems.Add(p.Line, p.Message);
        }

        foreach (var p in extraProblems ?? [])
        {
            problems.Add(p.Line, p.Message);
        }

        var problemCount = read.ProblemCount - read.Problems.Count + problems.Count;
        var pue = context.Pue ?? options.ResolvePue(context.Region, context.Provider);
        var energyKwh = profile.EnergyKwh;

        var actual = Attribute(profile, TimeSpan.Zero, actuals, forecast);
        if (energyKwh > 0 && actual.UncoveredKwh > 1e-12)
        {
            Note(ref problemCount, problems, $"no intensity (actual or forecast) for {actual.UncoveredKwh:0.######} kWh of the run in region '{context.Region ?? "(none)"}'; that energy is not in emissionsKg");
        }

        var emissionsKg = actual.Grams * pue / 1000;

        double? counterfactualKg = null;
        if (context.SubmittedAt is { } submitted && profile.Start is { } start && energyKwh > 0)
        {
            var shifted = Attribute(profile, submitted - start, actuals, forecast);
            if (shifted.UncoveredKwh > 1e-12)
            {
                Note(ref problemCount, problems, $"no intensity for {shifted.UncoveredKwh:0.######} kWh of the counterfactual run starting at submission ({submitted:O}); no counterfactual given");
            }
            else
            {
                counterfactualKg = shifted.Grams * pue / 1000;
            }
        }

        // GSF SCI: M = TE × (TiR / EL) × (RR / ToR), with TE × RR/ToR configured per device.
        var duration = profile.Start is { } s && profile.End is { } e ? e - s : TimeSpan.Zero;
        var embodiedKg = options.EmbodiedKgPerDevice * profile.Devices.Count * (duration / options.HardwareLifespan);
        double? sci = null;
        if (context.FunctionalUnits is > 0 && energyKwh > 0)
        {
            sci = (emissionsKg + embodiedKg) * 1000 / context.FunctionalUnits.Value;
        }

        var status = profile.Devices.Count == 0 || energyKwh <= 0
            ? ReportStatus.Failed
            : problemCount > 0 || profile.CoverageFraction < 0.999 || actual.UncoveredKwh > 1e-12 || actual.Source == IntensitySource.None
                ? ReportStatus.Partial
                : ReportStatus.Ok;
        if (status == ReportStatus.Failed && problemCount == 0)
        {
            Note(ref problemCount, problems, "no energy could be integrated (fewer than two usable samples per device)");
        }

        return new EmissionsReport
        {
            JobId = context.JobId,
            Status = status,
            Format = read.Format,
            Source = context.Source,
            EnergyKwh = energyKwh,
            Pue = pue,
            FacilityEnergyKwh = energyKwh * pue,
            EmissionsKg = emissionsKg,
            EmbodiedKg = embodiedKg,
            Sci = sci,
            SciUnit = sci is null ? null : $"gCO2e per {context.FunctionalUnit ?? "unit"}",
            FunctionalUnits = context.FunctionalUnits,
            Devices = profile.Devices,
            Start = profile.Start,
            End = profile.End,
            Coverage = new Coverage(profile.CoverageFraction, profile.MissingDeviceSeconds, profile.Missing),
            IntensitySource = actual.Source,
            EnergyWithoutIntensityKwh = actual.UncoveredKwh,
            Region = context.Region,
            Timezone = context.TimeZone.Id,
            SubmittedAt = context.SubmittedAt,
            CounterfactualKg = counterfactualKg,
            SavingsKg = counterfactualKg - emissionsKg,
            Problems = problems.First,
            ProblemCount = problemCount,
            ComputedAt = computedAt,
        };
    }

    private static void Note(ref int count, TelemetryProblems problems, string message)
    {
        problems.Add(0, message);
        count++;
    }

    /// <summary>
    /// Grams (before PUE) of the profile shifted by <paramref name="shift"/>. Each bin is cut at every
    /// slot boundary inside it and each part gets its share of the bin's energy by time, so a bin
    /// straddling two slots is split; within a bin power is taken as even (exact when slots are
    /// multiples of the bin, which holds for every unshifted run).
    /// </summary>
    internal static Attribution Attribute(EnergyProfile profile, TimeSpan shift, CarbonIntensitySeries? actuals, CarbonIntensitySeries? forecast)
    {
        double grams = 0;
        double actualJoules = 0;
        double forecastJoules = 0;
        double uncoveredJoules = 0;
        var width = profile.BinWidth.Ticks;
        foreach (var bin in profile.Bins)
        {
            var a = bin.Start.UtcTicks + shift.Ticks;
            var b = a + width;
            var t = a;
            while (t < b)
            {
                var (ga, na) = Slot(actuals, t);
                var (gf, nf) = Slot(forecast, t);
                var next = Math.Min(b, Math.Min(na, ga is null ? nf : na));
                var joules = bin.Joules * (next - t) / width;
                if (ga is { } g1)
                {
                    grams += joules / 3.6e6 * g1;
                    actualJoules += joules;
                }
                else if (gf is { } g2)
                {
                    grams += joules / 3.6e6 * g2;
                    forecastJoules += joules;
                }
                else
                {
                    uncoveredJoules += joules;
                }

                t = next;
            }
        }

        var source = (actualJoules > 0, forecastJoules > 0) switch
        {
            (true, false) => IntensitySource.Actual,
            (false, true) => IntensitySource.Forecast,
            (true, true) => IntensitySource.Mixed,
            _ => IntensitySource.None,
        };
        return new Attribution(grams, source, uncoveredJoules / 3.6e6);
    }

    /// <summary>Intensity at an instant and when it next may change (slot end or next slot start).</summary>
    private static (double? Grams, long NextTicks) Slot(CarbonIntensitySeries? series, long ticks)
    {
        if (series is null || series.Points.Count == 0)
        {
            return (null, long.MaxValue);
        }

        var points = series.Points;
        int lo = 0, hi = points.Count - 1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            var p = points[mid];
            if (ticks < p.Start.UtcTicks)
            {
                hi = mid - 1;
            }
            else if (ticks >= p.End.UtcTicks)
            {
                lo = mid + 1;
            }
            else
            {
                return (p.GramsPerKwh, p.End.UtcTicks);
            }
        }

        // Not inside a point: lo is the first point starting after the instant.
        return (null, lo < points.Count ? points[lo].Start.UtcTicks : long.MaxValue);
    }

    internal readonly record struct Attribution(double Grams, IntensitySource Source, double UncoveredKwh);
}
