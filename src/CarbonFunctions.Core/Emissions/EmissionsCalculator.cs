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
    /// <summary>One telemetry file's report (the offline CLI and tests).</summary>
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
        return Compute(new JobTelemetry(read.Format, profile, read.Problems, read.ProblemCount, read.FieldErrorCount, []), context, actuals, forecast, options, computedAt, extraProblems);
    }

    /// <summary>A job's report from all of its telemetry.</summary>
    public static EmissionsReport Compute(
        JobTelemetry telemetry,
        EmissionsContext context,
        CarbonIntensitySeries? actuals,
        CarbonIntensitySeries? forecast,
        EmissionsOptions options,
        DateTimeOffset computedAt,
        IEnumerable<TelemetryProblem>? extraProblems = null)
    {
        ArgumentNullException.ThrowIfNull(telemetry);
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(options);
        var profile = telemetry.Profile;
        var problems = new TelemetryProblems(options.MaxProblems);
        foreach (var p in telemetry.Problems)
        {
            problems.Add(p);
        }

        foreach (var p in extraProblems ?? [])
        {
            problems.Add(p);
        }

        var problemCount = telemetry.ProblemCount - telemetry.Problems.Count + problems.Count;
        var pue = context.Pue ?? options.ResolvePue(context.Region, context.Provider);
        if (!(pue >= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(context), pue, "PUE is facility energy over IT energy and cannot be below 1.0");
        }

        var energyKwh = profile.EnergyKwh;

        var intervals = new List<IntensityInterval>();
        var actual = Attribute(profile, TimeSpan.Zero, actuals, forecast, intervals, pue);
        if (energyKwh > 0 && actual.UncoveredKwh > 1e-12)
        {
            Note(ref problemCount, problems, $"no intensity (actual or forecast) for {actual.UncoveredKwh:0.######} kWh of the run in region '{context.Region ?? "(none)"}'; that energy is not in emissionsKg");
        }

        var emissionsKg = actual.Grams * pue / 1000;

        double? counterfactualKg = null;
        if (context.SubmittedAt is { } submitted && profile.Start is { } start && energyKwh > 0)
        {
            var shifted = Attribute(profile, submitted - start, actuals, forecast, null, pue);
            if (shifted.UncoveredKwh > 1e-12)
            {
                Note(ref problemCount, problems, $"no intensity for {shifted.UncoveredKwh:0.######} kWh of the counterfactual run starting at submission ({submitted:O}); no counterfactual given");
            }
            else
            {
                counterfactualKg = shifted.Grams * pue / 1000;
            }
        }

        // GSF SCI: M = TE × (TiR / EL) × (RR / ToR), with TE × RR/ToR configured per device; time in use is
        // the observed time (a paused pool holds no hardware).
        var duration = profile.Observed.Count > 0
            ? TimeSpan.FromTicks(profile.Observed.Sum(o => o.Duration.Ticks))
            : profile.Start is { } s && profile.End is { } e ? e - s : TimeSpan.Zero;
        var embodiedKg = options.EmbodiedKgPerDevice * profile.Devices.Count * (duration / options.HardwareLifespan);
        double? sci = null;
        if (context.FunctionalUnits is > 0 && energyKwh > 0)
        {
            sci = (emissionsKg + embodiedKg) * 1000 / context.FunctionalUnits.Value;
        }

        var unreadable = telemetry.Blobs.Where(b => b.EnergyKwh <= 0).Select(b => b.Blob).ToList();
        var status = profile.Devices.Count == 0 || energyKwh <= 0
            ? ReportStatus.Failed
            : problemCount > 0 || profile.CoverageFraction < 0.999 || actual.UncoveredKwh > 1e-12 || actual.Source == IntensitySource.None || unreadable.Count > 0
                ? ReportStatus.Partial
                : ReportStatus.Ok;
        if (status == ReportStatus.Failed && problemCount == 0)
        {
            Note(ref problemCount, problems, "no energy could be integrated (fewer than two usable samples per device)");
        }

        var coverage = new Coverage(profile.CoverageFraction, profile.MissingDeviceSeconds, profile.Missing)
        {
            Devices = [.. profile.Devices.Select(d => d.Device)],
            Blobs = Math.Max(telemetry.Blobs.Count, 1),
            Observed = profile.Observed,
            Unobserved = profile.Unobserved,
            Unreadable = unreadable,
        };
        coverage = coverage with { Summary = Summarise(coverage, profile, telemetry.FieldErrorCount, actual.UncoveredKwh) };
        return new EmissionsReport
        {
            JobId = context.JobId,
            Status = status,
            Format = telemetry.Format,
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
            Coverage = coverage,
            IntensitySource = actual.Source,
            EnergyWithoutIntensityKwh = actual.UncoveredKwh,
            Region = context.Region,
            Timezone = context.TimeZone.Id,
            SubmittedAt = context.SubmittedAt,
            CounterfactualKg = counterfactualKg,
            SavingsKg = counterfactualKg - emissionsKg,
            Intervals = intervals,
            Blobs = telemetry.Blobs,
            Problems = problems.First,
            ProblemCount = problemCount,
            FieldErrorCount = telemetry.FieldErrorCount,
            ComputedAt = computedAt,
        };
    }

    private static string Summarise(Coverage coverage, EnergyProfile profile, int fieldErrors, double uncoveredKwh)
    {
        var parts = new List<string>
        {
            $"{coverage.Blobs} blob(s), {coverage.Devices.Count} device(s)"
                + (profile.Start is { } s && profile.End is { } e ? $", {s:yyyy-MM-ddTHH:mm:ssZ} to {e:yyyy-MM-ddTHH:mm:ssZ}" : "")
                + $", {coverage.Fraction:P1} of device time covered",
        };
        var missing = new List<string>();
        if (coverage.Missing.Count > 0)
        {
            missing.Add($"{coverage.MissingDeviceSeconds:0.#} device-seconds without samples in {coverage.Missing.Count}{(coverage.Missing.Count >= 50 ? "+" : "")} interval(s)");
        }

        if (coverage.Unobserved.Count > 0)
        {
            missing.Add($"{coverage.Unobserved.Count} span(s) with no telemetry at all (paused, or not uploaded): "
                + string.Join(", ", coverage.Unobserved.Take(5).Select(u => $"{u.From:HH:mm:ss}-{u.To:HH:mm:ss}")));
        }

        if (coverage.Unreadable.Count > 0)
        {
            missing.Add($"no energy from {string.Join(", ", coverage.Unreadable.Take(5))}");
        }

        if (fieldErrors > 0)
        {
            missing.Add($"{fieldErrors} field error(s) skipped");
        }

        if (uncoveredKwh > 1e-12)
        {
            missing.Add($"{uncoveredKwh:0.######} kWh without intensity");
        }

        parts.Add(missing.Count == 0 ? "nothing missing" : "missing: " + string.Join("; ", missing));
        return string.Join("; ", parts);
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
    /// multiples of the bin, which holds for every unshifted run). When <paramref name="intervals"/> is
    /// given, each slot used is listed there with its energy and intensity.
    /// </summary>
    internal static Attribution Attribute(EnergyProfile profile, TimeSpan shift, CarbonIntensitySeries? actuals, CarbonIntensitySeries? forecast, List<IntensityInterval>? intervals = null, double pue = 1)
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
                var (ia, na) = Slot(actuals, t);
                var (iff, nf) = Slot(forecast, t);
                var next = Math.Min(b, Math.Min(na, ia < 0 ? nf : na));
                var joules = bin.Joules * (next - t) / width;
                if (ia >= 0)
                {
                    var point = actuals!.Points[ia];
                    grams += joules / 3.6e6 * point.GramsPerKwh;
                    actualJoules += joules;
                    Record(intervals, actuals, point, IntensitySource.Actual, t, next, joules, pue);
                }
                else if (iff >= 0)
                {
                    var point = forecast!.Points[iff];
                    grams += joules / 3.6e6 * point.GramsPerKwh;
                    forecastJoules += joules;
                    Record(intervals, forecast, point, IntensitySource.Forecast, t, next, joules, pue);
                }
                else
                {
                    uncoveredJoules += joules;
                    Record(intervals, null, default, IntensitySource.None, t, next, joules, pue);
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

    /// <summary>Adds energy to the slot's interval: the last one when it is the same slot, else a new one.</summary>
    private static void Record(List<IntensityInterval>? intervals, CarbonIntensitySeries? series, CarbonIntensityPoint point, IntensitySource source, long from, long to, double joules, double pue)
    {
        if (intervals is null || joules == 0)
        {
            return;
        }

        var kwh = joules / 3.6e6;
        var start = series is null ? new DateTimeOffset(from, TimeSpan.Zero) : point.Start;
        var end = series is null ? new DateTimeOffset(to, TimeSpan.Zero) : point.End;
        if (intervals.Count > 0 && intervals[^1] is var last && last.Source == source
            && (series is null ? last.End.UtcTicks == from : last.Start == start && last.Provider == series.Source && last.SeriesGeneratedAt == series.GeneratedAt))
        {
            var energy = last.EnergyKwh + kwh;
            intervals[^1] = last with { End = end, EnergyKwh = energy, EmissionsKg = last.GramsPerKwh is { } g ? energy * g * pue / 1000 : 0 };
            return;
        }

        intervals.Add(new IntensityInterval(start, end, kwh, series is null ? null : point.GramsPerKwh, source, series?.Source, series?.Signal, series?.GeneratedAt,
            series is null ? 0 : kwh * point.GramsPerKwh * pue / 1000));
    }

    /// <summary>The index of the point covering an instant (-1 when none) and when the answer next may change.</summary>
    private static (int Index, long NextTicks) Slot(CarbonIntensitySeries? series, long ticks)
    {
        if (series is null || series.Points.Count == 0)
        {
            return (-1, long.MaxValue);
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
                return (mid, p.End.UtcTicks);
            }
        }

        // Not inside a point: lo is the first point starting after the instant.
        return (-1, lo < points.Count ? points[lo].Start.UtcTicks : long.MaxValue);
    }

    internal readonly record struct Attribution(double Grams, IntensitySource Source, double UncoveredKwh);
}
