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
/// A large file can be integrated in parts side by side (<see cref="NewPart"/>, <see cref="TryAppend"/>):
/// appending a part bridges each device's last sample to its next one with the same rules.
/// </summary>
public sealed class EnergyIntegrator : IMergeableTelemetrySink<EnergyIntegrator>
{
    private readonly long _maxGapTicks;
    private readonly long _binTicks;
    private readonly int _maxMissing;
    private readonly EmissionsOptions _combine;
    private readonly Dictionary<string, DeviceTracks> _devices = new(StringComparer.Ordinal);
    private readonly TelemetryProblems _problems;
    private string? _lastName;
    private DeviceTracks? _lastTracks;
    private string? _previousName;
    private DeviceTracks? _previousTracks;
    private int _lastHit;

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
        _combine = new EmissionsOptions { MaxGap = maxGap, BinWidth = binWidth, MaxMissingIntervals = maxMissingIntervals };
    }

    /// <summary>Problems found while integrating (time going back), with the lines of the samples.</summary>
    public TelemetryProblems Problems => _problems;

    public EnergyIntegrator NewPart() =>
        new(TimeSpan.FromTicks(_maxGapTicks), TimeSpan.FromTicks(_binTicks), new TelemetryProblems(_problems.Keep), _maxMissing);

    /// <summary>
    /// Appends a later part of the file. Exact when each device's first sample in <paramref name="next"/> comes
    /// after its last one here: the bridge between them is then the interval one pass would have integrated, and
    /// everything after it saw the same previous sample. Otherwise one pass would have skipped that first sample
    /// (time going back or standing still) and compared the following ones with the sample here: false.
    /// </summary>
    public bool TryAppend(EnergyIntegrator next, long lineOffset)
    {
        ArgumentNullException.ThrowIfNull(next);
        foreach (var (name, later) in next._devices)
        {
            if (_devices.TryGetValue(name, out var tracks)
                && (!tracks.Power.CanAppend(later.Power) || (tracks.Counter is { } counter && later.Counter is { } laterCounter && !counter.CanAppend(laterCounter))))
            {
                return false;
            }
        }

        foreach (var (name, later) in next._devices)
        {
            if (!_devices.TryGetValue(name, out var tracks))
            {
                _devices[name] = later;
                continue;
            }

            tracks.Power.Append(later.Power, this);
            if (later.Counter is not null)
            {
                tracks.Counter ??= new Track(counter: true);
                tracks.Counter.Append(later.Counter, this);
            }
        }

        _problems.Append(next._problems, lineOffset);
        return true;
    }

    // Power, Tracks, Track.Add and Trapezoid run once per sample of files with millions of rows, in processes (the
    // CLI) that are over in a second: compiled fully optimised at once rather than in tier-0 code first.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
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

    /// <summary>
    /// What was read, per device (named <c>{node}/{device}</c> when a node is given), and the energy per bin:
    /// the share of one telemetry blob in its job's report.
    /// </summary>
    public (IReadOnlyList<DeviceSeries> Devices, IReadOnlyList<EnergyBin> Bins) Series(string? node = null)
    {
        var devices = new List<DeviceSeries>();
        var bins = new Dictionary<long, double>();
        foreach (var (name, tracks) in _devices.OrderBy(d => d.Key, StringComparer.Ordinal))
        {
            var track = tracks.Counter is { Samples: > 1 } c ? c : tracks.Power;
            if (track.Samples == 0)
            {
                continue;
            }

            track.Bins.Flush();
            foreach (var (bin, joules) in track.Bins.Values)
            {
                bins[bin] = bins.GetValueOrDefault(bin) + joules;
            }

            devices.Add(new DeviceSeries(
                node is null ? name : $"{node}/{name}",
                track.IsCounter ? "energyCounter" : "power",
                track.Samples,
                Utc(track.First),
                track.FirstValue,
                Utc(track.Last),
                track.LastValue,
                track.Bins.Joules,
                track.Covered,
                track.GapTicks,
                [.. track.Gaps.Select(g => new TimeRange(Utc(g.From), Utc(g.To)))],
                track.Resets));
        }

        var binList = bins.OrderBy(b => b.Key).Select(b => new EnergyBin(Utc(b.Key * _binTicks), b.Value)).ToList();
        return (devices, binList);
    }

    /// <summary>The energy profile of everything read so far (one blob: no node prefix).</summary>
    public EnergyProfile Complete()
    {
        var (devices, bins) = Series();
        var share = new EnergyShare("", devices, bins);
        return JobEnergy.Combine([share], _combine, _problems);
    }

    private static DateTimeOffset Utc(long ticks) => new(ticks, TimeSpan.Zero);

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private DeviceTracks Tracks(string device)
    {
        // Devices alternate row by row (0, 1, 0, 1...): two slots checked by reference first, and a miss replaces
        // the slot not hit last, so that a hit writes no reference (no GC write barrier per sample).
        if (ReferenceEquals(device, _lastName))
        {
            _lastHit = 0;
            return _lastTracks!;
        }

        if (ReferenceEquals(device, _previousName))
        {
            _lastHit = 1;
            return _previousTracks!;
        }

        if (!_devices.TryGetValue(device, out var tracks))
        {
            tracks = new DeviceTracks();
            _devices[device] = tracks;
        }

        if (_lastHit == 0)
        {
            _previousName = device;
            _previousTracks = tracks;
            _lastHit = 1;
        }
        else
        {
            _lastName = device;
            _lastTracks = tracks;
            _lastHit = 0;
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

        public double FirstValue { get; private set; }

        public long Last => _lastTicks;

        public double LastValue => _lastValue;

        public long Covered { get; private set; }

        public long GapTicks { get; private set; }

        public int Resets { get; private set; }

        public List<(long From, long To)> Gaps { get; } = [];

        public BinAccumulator Bins { get; } = new();

        /// <summary>Whether <see cref="Append"/> gives what one pass would: the later samples start after this track's last.</summary>
        public bool CanAppend(Track later) => Samples == 0 || later.Samples == 0 || later.First > _lastTicks;

        /// <summary>
        /// Continues this track with a later part's: its first sample is added as one pass adds it (the bridge: a
        /// trapezoid, a counter delta or a gap), then the part's own intervals, which saw that sample as theirs.
        /// </summary>
        public void Append(Track later, EnergyIntegrator owner)
        {
            if (later.Samples == 0)
            {
                return;
            }

            Add(later.First, later.FirstValue, line: 0, owner);
            Samples += later.Samples - 1;
            Covered += later.Covered;
            GapTicks += later.GapTicks;
            Gaps.AddRange(later.Gaps.Take(owner._maxMissing - Gaps.Count));
            Resets += later.Resets;
            Bins.Append(later.Bins);
            _lastTicks = later._lastTicks;
            _lastValue = later._lastValue;
        }

        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
        public void Add(long ticks, double value, long line, EnergyIntegrator owner)
        {
            if (Samples == 0)
            {
                First = ticks;
                FirstValue = value;
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

                Bins.Spread(_lastTicks, ticks, delta, owner._binTicks);
                Covered += dt;
            }
            else
            {
                Bins.Trapezoid(_lastTicks, _lastValue, ticks, value, owner._binTicks);
                Covered += dt;
            }

            Samples++;
            _lastTicks = ticks;
            _lastValue = value;
        }
    }
}

/// <summary>
/// Energy per time bin, summed as it streams: consecutive samples mostly fall in the same bin, so the
/// current bin is kept apart and written to the dictionary only when the next one starts.
/// </summary>
internal sealed class BinAccumulator
{
    private long _bin = long.MinValue;
    private double _binJoules;

    public Dictionary<long, double> Values { get; } = [];

    public double Joules { get; private set; }

    // Once per sample (see SmiCsvReader.Flush).
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining | System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public void Add(long bin, double joules)
    {
        if (bin != _bin)
        {
            Flush();
            _bin = bin;
        }

        _binJoules += joules;
        Joules += joules;
    }

    public void Flush()
    {
        if (_bin != long.MinValue)
        {
            Values[_bin] = Values.GetValueOrDefault(_bin) + _binJoules;
            _bin = long.MinValue;
            _binJoules = 0;
        }
    }

    /// <summary>Adds a later part's bins (a bin the two share gets both sums).</summary>
    public void Append(BinAccumulator later)
    {
        Flush();
        later.Flush();
        foreach (var (bin, joules) in later.Values)
        {
            Values[bin] = Values.GetValueOrDefault(bin) + joules;
        }

        Joules += later.Joules;
    }

    /// <summary>Linear power between two samples, integrated separately on each bin it touches.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public void Trapezoid(long t0, double p0, long t1, double p1, long binTicks)
    {
        var first = BinOf(t0, binTicks);
        if (t1 <= (first + 1) * binTicks)
        {
            // The common case: both samples in one bin.
            Add(first, (p0 + p1) / 2 * ((t1 - t0) / (double)TimeSpan.TicksPerSecond));
            return;
        }

        var slope = (p1 - p0) / (t1 - t0);
        var a = t0;
        while (a < t1)
        {
            var bin = BinOf(a, binTicks);
            var b = Math.Min(t1, (bin + 1) * binTicks);
            var pa = p0 + (slope * (a - t0));
            var pb = p0 + (slope * (b - t0));
            Add(bin, (pa + pb) / 2 * ((b - a) / (double)TimeSpan.TicksPerSecond));
            a = b;
        }
    }

    /// <summary>Counter energy between two readings, spread evenly over the interval's time.</summary>
    public void Spread(long t0, long t1, double joules, long binTicks)
    {
        var a = t0;
        while (a < t1)
        {
            var bin = BinOf(a, binTicks);
            var b = Math.Min(t1, (bin + 1) * binTicks);
            Add(bin, joules * (b - a) / (t1 - t0));
            a = b;
        }
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining | System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static long BinOf(long ticks, long binTicks)
    {
        var bin = Math.DivRem(ticks, binTicks, out var within);
        return within < 0 ? bin - 1 : bin;
    }
}

/// <summary>A half-open time interval [From, To).</summary>
public sealed record TimeRange(DateTimeOffset From, DateTimeOffset To)
{
    public TimeSpan Duration => To - From;
}

/// <summary>
/// One device as one telemetry blob saw it: enough to join it to the same device's other blobs (the first and
/// last samples bridge the interval between two chunks of a stream) and to say where it has no samples.
/// </summary>
public sealed record DeviceSeries(
    string Device,
    string MeasuredBy,
    long Samples,
    DateTimeOffset First,
    double FirstValue,
    DateTimeOffset Last,
    double LastValue,
    double Joules,
    long CoveredTicks,
    long GapTicks,
    IReadOnlyList<TimeRange> Gaps,
    int CounterResets);

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
    /// <summary>Where some device has samples (one span per run segment, chunks joined).</summary>
    public IReadOnlyList<TimeRange> Observed { get; init; } = [];

    /// <summary>Between observed spans: the pool was paused or stopped, or telemetry for it was not uploaded.</summary>
    public IReadOnlyList<TimeRange> Unobserved { get; init; } = [];

    public double TotalJoules => Bins.Sum(b => b.Joules);

    public double EnergyKwh => TotalJoules / 3.6e6;
}
