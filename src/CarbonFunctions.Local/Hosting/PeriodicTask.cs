namespace CarbonFunctions.Local.Hosting;

/// <summary>Work the local host runs on a schedule (the local stand-in for a timer-triggered function).</summary>
public sealed class PeriodicTask(string name, Func<DateTimeOffset, DateTimeOffset> nextAfter, Func<CancellationToken, Task> run)
{
    public string Name { get; } = name;

    /// <summary>When it is next due; the host sets it after each run.</summary>
    public DateTimeOffset? DueAt { get; private set; }

    public void Schedule(DateTimeOffset now) => DueAt = nextAfter(now);

    /// <summary>Makes it due at once (every periodic task runs when the host starts).</summary>
    public void DueNow(DateTimeOffset now) => DueAt = now;

    public async Task RunAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        await run(cancellationToken);
        DueAt = nextAfter(now);
    }
}
