using CarbonFunctions.Core.Telemetry;

namespace CarbonFunctions.Core.Emissions;

/// <summary>
/// Integrates power samples into energy as they stream in: per device, the trapezoid rule between
/// consecutive samples, never across a gap longer than <c>maxGap</c> (reported as missing coverage).
/// Energy is kept in fixed time bins (one minute by default, aligned to UTC) split exactly at bin
/// boundaries, so memory grows with the run's duration, not with the file, and intensity slots on
/// minute boundaries (every provider's) get exactly the energy of their interval.
/// A device with a cumulative energy counter (DCGM total energy) is measured by the counter, which
/// does not miss spikes between polls; its power samples are then ignored.
/// </summary>
public sealed class EnergyIntegrator : ITelemetrySink
{
    private readonly long _maxGapTicks;
    private readonly long _binTicks;
    private readonly int _maxMissing;
    private readonly Dictionary<string, DeviceTracks> _devices = new(StringComparer.Ordinal);
    private readonly TelemetryProblems _problems;

    public EnergyIntegrator(TimeSpan maxGap, TimeSpan binWidth, TelemetryProblems problems, int maxMissingIntervals = 50)
    {
        ArgumentNullException.ThrowIfNull(problems);
        if (maxGap <= TimeSpan.Zero || binWidth <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(maxGap), "maxGap and binWidth must be positive");
        }

        _maxGapTicks = maxGap.Ticks;
        _binTicks = binWidth.Ticks;
        _maxMissing = maxMissingIntervals;
        _problems = problems;
    }

    public void Power(string device, long utcTicks, double watts, long line)
    {
        Tracks(device).Power.Add(utcTicks, watts, line, this);
    }

    public void EnergyCounter(string device, long utcTicks, double joules, long line)
    {
        var tracks = Tracks(device);
        tracks.Counter ??= new Track(counter: true);
        tracks.Counter.Add(utcTicks, joules, line, this);
    }

    /// <summary>The energy profile of everything read so far.</summary>
    public EnergyProfile Complete()
    {
        var chosen = _devices.OrderBy(d => d.Key, StringComparer.Ordinal)
            .Select(d => (Name: d.Key, Track: d.Value.Counter is { Samples: > 1 } c ? c : d.Value.Power))
            .Where(d => d.Track.Samples > 0)
            .ToList();
        if (chosen.Count == 0)
        {
            return new EnergyProfile([], [], TimeSpan.FromTicks(_binTicks), null, null, 0, [], 0);
        }

        var start = chosen.Min(d => d.Track.First);
        var end = chosen.Max(d => d.Track.Last);
        var bins = new SortedDictionary<long, double>();
        var devices = new List<DeviceEnergy>();
        var missing = new List<MissingInterval>();
        long covered = 0;
        long missingTicks = 0;
        foreach (var (name, track) in chosen)
        {
            foreach (var (bin, joules) in track.Bins)
            {
                bins[bin] = bins.GetValueOrDefault(bin) + joules;
            }

            covered += track.Covered;
            var gaps = new List<(long From, long To)>();
            missingTicks += track.GapTicks;
            if (track.First - start > _maxGapTicks)
            {
                gaps.Add((start, track.First));
                missingTicks += track.First - start;
            }

            gaps.AddRange(track.Gaps);
            if (end - track.Last > _maxGapTicks)
            {
                gaps.Add((track.Last, end));
                missingTicks += end - track.Last;
            }

            foreach (var (from, to) in gaps)
            {
                if (missing.Count < _maxMissing)
                {
                    missing.Add(new MissingInterval(name, Utc(from), Utc(to)));
                }
            }

            if (track.Samples == 1)
            {
                _problems.Add(0, $"device {name} has a single sample; no energy can be integrated for it");
            }

            devices.Add(new DeviceEnergy(
                name,
                track.Joules / 3.6e6,
                track.Samples,
                Utc(track.First),
                Utc(track.Last),
                track.IsCounter ? "energyCounter" : "power",
                track.Resets));
        }

        var span = end - start;
        var fraction = span <= 0 ? 0 : Math.Clamp((double)covered / (span * (double)chosen.Count), 0, 1);
        var binList = bins.Select(b => new EnergyBin(Utc(b.Key * _binTicks), b.Value)).ToList();
        return new EnergyProfile(devices, binList, TimeSpan.FromTicks(_binTicks), Utc(start), Utc(end), fraction, missing, TimeSpan.FromTicks(missingTicks).TotalSeconds);
    }

    private static DateTimeOffset Utc(long ticks) => new(ticks, TimeSpan.Zero);

    private DeviceTracks Tracks(string device)
    {
        if (!_devices.TryGetValue(device, out var tracks))
        {
            tracks = new DeviceTracks();
            _devices[device] = tracks;
        }

        return tracks;
    }

    private sealed class DeviceTracks
    {
        public Track Power { get; } = new(counter: false);

        public Track? Counter { get; set; }
    }

    private sealed class Track(bool counter)
    {
        private long _lastTicks;
        private double _lastValue;

        public bool IsCounter => counter;

        public long Samples { get; private set; }

        public long First { get; private set; }

        public long Last => _lastTicks;

        public double Joules { get; private set; }

        public long Covered { get; private set; }

        public long GapTicks { get; private set; }

        public int Resets { get; private set; }

        public List<(long From, long To)> Gaps { get; } = [];

        public Dictionary<long, double> Bins { get; } = [];

        public void Add(long ticks, double value, long line, EnergyIntegrator owner)
        {
            if (Samples == 0)
            {
                First = ticks;
                _lastTicks = ticks;
                _lastValue = value;
                Samples = 1;
                return;
            }

            var dt = ticks - _lastTicks;
            if (dt <= 0)
            {
                if (dt < 0)
                {
                    owner._problems.Add(line, $"time goes back by {TimeSpan.FromTicks(-dt).TotalSeconds:0.###} s for this device; sample skipped");
                }

                return;
            }

            if (dt > owner._maxGapTicks)
            {
                GapTicks += dt;
                if (Gaps.Count < owner._maxMissing)
                {
                    Gaps.Add((_lastTicks, ticks));
                }
            }
            else if (counter)
            {
                var delta = value - _lastValue;
                if (delta < 0)
                {
                    // The counter restarted (driver reload / reboot) inside this interval: it has
                    // counted from zero since, and what ran before the restart was not measured.
                    delta = value;
                    Resets++;
                }

                Spread(_lastTicks, ticks, delta, owner._binTicks);
                Covered += dt;
            }
            else
            {
                Trapezoid(_lastTicks, _lastValue, ticks, value, owner._binTicks);
                Covered += dt;
            }

            Samples++;
            _lastTicks = ticks;
            _lastValue = value;
        }

        /// <summary>Linear power between two samples, integrated separately on each bin it touches.</summary>
        private void Trapezoid(long t0, double p0, long t1, double p1, long binTicks)
        {
            var slope = (p1 - p0) / (t1 - t0);
            var a = t0;
            while (a < t1)
            {
                var bin = Math.DivRem(a, binTicks, out var within);
                if (within < 0)
                {
                    bin--;
                }

                var b = Math.Min(t1, (bin + 1) * binTicks);
                var pa = p0 + (slope * (a - t0));
                var pb = p0 + (slope * (b - t0));
                var joules = (pa + pb) / 2 * ((b - a) / (double)TimeSpan.TicksPerSecond);
                Bins[bin] = Bins.GetValueOrDefault(bin) + joules;
                Joules += joules;
                a = b;
            }
        }

        /// <summary>Counter energy between two readings, spread evenly over the interval's time.</summary>
        private void Spread(long t0, long t1, double joules, long binTicks)
        {
            var a = t0;
            while (a < t1)
            {
                var bin = Math.DivRem(a, binTicks, out var within);
                if (within < 0)
                {
                    bin--;
                }

                var b = Math.Min(t1, (bin + 1) * binTicks);
                var part = joules * (b - a) / (t1 - t0);
                Bins[bin] = Bins.GetValueOrDefault(bin) + part;
                Joules += part;
                a = b;
            }
        }
    }
}

/// <summary>Energy of one device over the run.</summary>
public sealed record DeviceEnergy(
    string Device,
    double EnergyKwh,
    long Samples,
    DateTimeOffset First,
    DateTimeOffset Last,
    string MeasuredBy,
    int CounterResets);

/// <summary>Energy (joules, all devices) in one time bin starting at <see cref="Start"/>.</summary>
public readonly record struct EnergyBin(DateTimeOffset Start, double Joules);

/// <summary>An interval with no samples for a device (a gap longer than the bridging limit).</summary>
public sealed record MissingInterval(string Device, DateTimeOffset From, DateTimeOffset To);

/// <summary>What integration produced: per-device totals, energy per time bin, coverage.</summary>
public sealed record EnergyProfile(
    IReadOnlyList<DeviceEnergy> Devices,
    IReadOnlyList<EnergyBin> Bins,
    TimeSpan BinWidth,
    DateTimeOffset? Start,
    DateTimeOffset? End,
    double CoverageFraction,
    IReadOnlyList<MissingInterval> Missing,
    double MissingDeviceSeconds)
{
    public double TotalJoules => Bins.Sum(b => b.Joules);

    public double EnergyKwh => TotalJoules / 3.6e6;
}
