using CarbonFunctions.Core.Telemetry;

namespace CarbonFunctions.Core.Emissions;

/// <summary>What one telemetry blob contributes to its job's energy: its devices and its energy per bin.</summary>
public sealed record EnergyShare(string Blob, IReadOnlyList<DeviceSeries> Devices, IReadOnlyList<EnergyBin> Bins);

/// <summary>
/// Joins the shares of a job's telemetry blobs (nodes × run segments × chunks) into one energy profile.
/// A device is the same device in every blob that names it: its series are put in time order, the interval
/// between the last sample of one blob and the first of the next is integrated as any other interval when it
/// is within the bridging limit (chunks of one stream), and left out as a gap when it is longer.
/// The job is observed where some blob has samples (merged across blobs when they are within the limit);
/// between those spans nothing was running or nothing was uploaded, which the report lists as unobserved.
/// A device is missing where the job is observed but it has no samples.
/// </summary>
public static class JobEnergy
{
    public static EnergyProfile Combine(IReadOnlyList<EnergyShare> shares, EmissionsOptions options, TelemetryProblems problems)
    {
        ArgumentNullException.ThrowIfNull(shares);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(problems);
        var binTicks = options.BinWidth.Ticks;
        var maxGap = options.MaxGap.Ticks;
        var entries = shares.SelectMany(s => s.Devices.Where(d => d.Samples > 0).Select(d => (s.Blob, Series: d))).ToList();
        if (entries.Count == 0)
        {
            return new EnergyProfile([], [], options.BinWidth, null, null, 0, [], 0);
        }

        var bins = new BinAccumulator();
        foreach (var share in shares)
        {
            foreach (var bin in share.Bins)
            {
                bins.Add(bin.Start.UtcTicks / binTicks, bin.Joules);
            }
        }

        var active = Merge(
            shares.Where(s => s.Devices.Any(d => d.Samples > 0))
                .Select(s => (From: s.Devices.Where(d => d.Samples > 0).Min(d => d.First.UtcTicks), To: s.Devices.Where(d => d.Samples > 0).Max(d => d.Last.UtcTicks))),
            maxGap);
        var activeTicks = active.Sum(a => a.To - a.From);

        var devices = new List<DeviceEnergy>();
        var missing = new List<MissingInterval>();
        long covered = 0;
        long missingTicks = 0;
        foreach (var group in entries.GroupBy(e => e.Series.Device, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var series = group.OrderBy(e => e.Series.First).ThenBy(e => e.Series.Last).ToList();
            var joules = series.Sum(e => e.Series.Joules);
            var deviceCovered = series.Sum(e => e.Series.CoveredTicks);
            var ranges = new List<(long From, long To)>();
            foreach (var (_, s) in series)
            {
                ranges.AddRange(Ranges(s));
            }

            var previous = series[0];
            for (var i = 1; i < series.Count; i++)
            {
                var next = series[i];
                var from = previous.Series.Last.UtcTicks;
                var to = next.Series.First.UtcTicks;
                if (to < from)
                {
                    problems.Add(0, $"device {group.Key}: {previous.Blob} and {next.Blob} overlap by {TimeSpan.FromTicks(from - to).TotalSeconds:0.###} s from {next.Series.First:O}; both are counted (is one a copy of the other?)");
                }
                else if (to > from && to - from <= maxGap && previous.Series.MeasuredBy == next.Series.MeasuredBy)
                {
                    // The interval between two chunks of one stream is measured like any other.
                    var before = bins.Joules;
                    if (next.Series.MeasuredBy == "energyCounter")
                    {
                        var delta = next.Series.FirstValue - previous.Series.LastValue;
                        bins.Spread(from, to, delta < 0 ? next.Series.FirstValue : delta, binTicks);
                    }
                    else
                    {
                        bins.Trapezoid(from, previous.Series.LastValue, to, next.Series.FirstValue, binTicks);
                    }

                    joules += bins.Joules - before;
                    deviceCovered += to - from;
                    ranges.Add((from, to));
                }

                if (next.Series.Last >= previous.Series.Last)
                {
                    previous = next;
                }
            }

            covered += deviceCovered;
            foreach (var (from, to) in Missing(active, Merge(ranges, maxGap), maxGap))
            {
                missingTicks += to - from;
                if (missing.Count < options.MaxMissingIntervals)
                {
                    missing.Add(new MissingInterval(group.Key, Utc(from), Utc(to)));
                }
            }

            var samples = series.Sum(e => e.Series.Samples);
            if (samples == 1)
            {
                problems.Add(0, $"device {group.Key} has a single sample; no energy can be integrated for it");
            }

            var measuredBy = series.Select(e => e.Series.MeasuredBy).Distinct(StringComparer.Ordinal).ToList();
            devices.Add(new DeviceEnergy(
                group.Key,
                joules / 3.6e6,
                samples,
                series.Min(e => e.Series.First),
                series.Max(e => e.Series.Last),
                measuredBy.Count == 1 ? measuredBy[0] : string.Join("+", measuredBy),
                series.Sum(e => e.Series.CounterResets)));
        }

        bins.Flush();
        var start = entries.Min(e => e.Series.First);
        var end = entries.Max(e => e.Series.Last);
        var fraction = activeTicks <= 0 ? 0 : Math.Clamp(covered / (activeTicks * (double)devices.Count), 0, 1);
        var binList = bins.Values.OrderBy(b => b.Key).Select(b => new EnergyBin(Utc(b.Key * binTicks), b.Value)).ToList();
        var unobserved = new List<TimeRange>();
        for (var i = 1; i < active.Count; i++)
        {
            unobserved.Add(new TimeRange(Utc(active[i - 1].To), Utc(active[i].From)));
        }

        return new EnergyProfile(devices, binList, options.BinWidth, start, end, fraction, missing, TimeSpan.FromTicks(missingTicks).TotalSeconds)
        {
            Observed = [.. active.Select(a => new TimeRange(Utc(a.From), Utc(a.To)))],
            Unobserved = unobserved,
        };
    }

    /// <summary>The spans of one blob's device with samples: its first to last sample, cut at its gaps.</summary>
    private static IEnumerable<(long From, long To)> Ranges(DeviceSeries series)
    {
        var from = series.First.UtcTicks;
        foreach (var gap in series.Gaps.OrderBy(g => g.From))
        {
            yield return (from, gap.From.UtcTicks);
            from = gap.To.UtcTicks;
        }

        yield return (from, series.Last.UtcTicks);
    }

    /// <summary>Sorted, with ranges closer than <paramref name="join"/> joined.</summary>
    private static List<(long From, long To)> Merge(IEnumerable<(long From, long To)> ranges, long join)
    {
        var merged = new List<(long From, long To)>();
        foreach (var r in ranges.OrderBy(r => r.From))
        {
            if (merged.Count > 0 && r.From - merged[^1].To <= join)
            {
                merged[^1] = (merged[^1].From, Math.Max(merged[^1].To, r.To));
            }
            else
            {
                merged.Add(r);
            }
        }

        return merged;
    }

    /// <summary>The parts of the observed spans that a device's ranges leave out, longer than the bridging limit.</summary>
    private static IEnumerable<(long From, long To)> Missing(List<(long From, long To)> active, List<(long From, long To)> ranges, long maxGap)
    {
        foreach (var (a, b) in active)
        {
            var cursor = a;
            foreach (var (from, to) in ranges)
            {
                if (to <= cursor || from >= b)
                {
                    continue;
                }

                if (from > cursor && from - cursor > maxGap)
                {
                    yield return (cursor, from);
                }

                cursor = Math.Max(cursor, to);
            }

            if (b - cursor > maxGap)
            {
                yield return (cursor, b);
            }
        }
    }

    private static DateTimeOffset Utc(long ticks) => new(ticks, TimeSpan.Zero);
}
