namespace CarbonFunctions.Local.Hosting;

/// <summary>
/// A clock that stands still until the local host moves it: when nothing is due the host jumps it to the next
/// wake-up, so days of planned work replay in seconds. Only moves forward.
/// </summary>
public sealed class VirtualClock(DateTimeOffset start) : TimeProvider
{
    private long _ticks = start.UtcTicks;

    public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref _ticks), TimeSpan.Zero);

    public void AdvanceTo(DateTimeOffset instant)
    {
        long current;
        do
        {
            current = Interlocked.Read(ref _ticks);
            if (instant.UtcTicks <= current)
            {
                return;
            }
        }
        while (Interlocked.CompareExchange(ref _ticks, instant.UtcTicks, current) != current);
    }
}
