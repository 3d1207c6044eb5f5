using System.Globalization;

namespace CarbonFunctions.Core.Simulation;

/// <summary>
/// A clock that runs <see cref="Scale"/> times faster than the wall clock from an anchor (a virtual instant paired with a
/// wall-clock instant), and can jump forward. The demo runs its host on one, and hands the same anchor to every node
/// agent it starts (<see cref="ToString"/> / <see cref="Parse"/>), so that host, agents and workloads, in separate
/// processes, agree on the time without talking to each other. Timers and delays run scaled as well: a five-minute
/// wait on a 600× clock takes half a second.
/// </summary>
public sealed class ScaledClock : TimeProvider
{
    private readonly Lock _gate = new();
    private readonly TimeProvider _wall;
    private DateTimeOffset _virtualAnchor;
    private DateTimeOffset _wallAnchor;

    public ScaledClock(DateTimeOffset virtualStart, double scale, TimeProvider? wall = null)
        : this(virtualStart, (wall ?? System).GetUtcNow(), scale, wall)
    {
    }

    private ScaledClock(DateTimeOffset virtualAnchor, DateTimeOffset wallAnchor, double scale, TimeProvider? wall)
    {
        if (!double.IsFinite(scale) || scale < 1 || scale > 1_000_000)
        {
            throw new ArgumentOutOfRangeException(nameof(scale), scale, "the scale must be between 1 and 1,000,000");
        }

        _wall = wall ?? System;
        _virtualAnchor = virtualAnchor;
        _wallAnchor = wallAnchor;
        Scale = scale;
    }

    /// <summary>Virtual seconds per wall-clock second.</summary>
    public double Scale { get; }

    /// <summary>True until <see cref="Release"/>: a held clock stands at its start (while the demo sets itself up).</summary>
    public bool IsHeld { get; private set; }

    /// <summary>A clock that stands at <paramref name="virtualStart"/> until <see cref="Release"/> is called.</summary>
    public static ScaledClock Held(DateTimeOffset virtualStart, double scale, TimeProvider? wall = null) =>
        new(virtualStart, scale, wall) { IsHeld = true };

    /// <summary>Starts a held clock running from where it stands.</summary>
    public void Release()
    {
        lock (_gate)
        {
            if (IsHeld)
            {
                _wallAnchor = _wall.GetUtcNow();
                IsHeld = false;
            }
        }
    }

    public override DateTimeOffset GetUtcNow()
    {
        lock (_gate)
        {
            return Now(_wall.GetUtcNow());
        }
    }

    private DateTimeOffset Now(DateTimeOffset wallNow) =>
        IsHeld ? _virtualAnchor : _virtualAnchor + TimeSpan.FromTicks((long)((wallNow - _wallAnchor).Ticks * Scale));

    /// <summary>Moves the clock to <paramref name="instant"/> at once (never back); from there it runs on at its scale.</summary>
    public void JumpTo(DateTimeOffset instant)
    {
        lock (_gate)
        {
            var wallNow = _wall.GetUtcNow();
            if (instant > Now(wallNow))
            {
                _virtualAnchor = instant;
                _wallAnchor = wallNow;
            }
        }
    }

    /// <summary>The wall-clock time that <paramref name="span"/> of this clock's time takes.</summary>
    public TimeSpan ToWall(TimeSpan span) =>
        span == Timeout.InfiniteTimeSpan || span <= TimeSpan.Zero ? span : TimeSpan.FromTicks(Math.Max(1, (long)(span.Ticks / Scale)));

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
        new ScaledTimer(this, _wall.CreateTimer(callback, state, ToWall(dueTime), ToWall(period)));

    /// <summary>The anchor as one argument: <c>virtual=ISO;wall=ISO;scale=N</c>, read back by <see cref="Parse"/>.</summary>
    public override string ToString()
    {
        lock (_gate)
        {
            return string.Create(CultureInfo.InvariantCulture, $"virtual={_virtualAnchor.UtcDateTime:O};wall={_wallAnchor.UtcDateTime:O};scale={Scale:R}");
        }
    }

    /// <summary>Reads <see cref="ToString"/>'s form; a clock built from it agrees with the original to the wall clocks' difference.</summary>
    public static ScaledClock Parse(string text, TimeProvider? wall = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = text.Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(p => p.Split('=', 2))
            .Where(p => p.Length == 2)
            .ToDictionary(p => p[0], p => p[1], StringComparer.Ordinal);
        if (parts.Count != 3
            || !parts.TryGetValue("virtual", out var v) || !DateTimeOffset.TryParse(v, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var virtualAnchor)
            || !parts.TryGetValue("wall", out var w) || !DateTimeOffset.TryParse(w, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var wallAnchor)
            || !parts.TryGetValue("scale", out var s) || !double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var scale))
        {
            throw new FormatException($"'{text}' is not a clock anchor (virtual=ISO;wall=ISO;scale=N)");
        }

        return new ScaledClock(virtualAnchor, wallAnchor, scale, wall);
    }

    private sealed class ScaledTimer(ScaledClock clock, ITimer inner) : ITimer
    {
        public bool Change(TimeSpan dueTime, TimeSpan period) => inner.Change(clock.ToWall(dueTime), clock.ToWall(period));

        public void Dispose() => inner.Dispose();

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
