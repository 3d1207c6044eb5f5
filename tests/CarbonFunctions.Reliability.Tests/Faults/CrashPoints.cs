namespace CarbonFunctions.Reliability.Tests.Faults;

/// <summary>
/// Named points in a job's life where the test kills the host: the host that reaches one of the armed points stops there
/// for good (its call never returns, so nothing after that point runs, as after a SIGKILL), and the test builds a new
/// host on the same account. Each point fires once; with several jobs in flight their steps interleave, so every point
/// not yet fired stays armed and the first one reached is the one that kills. Out of process (the crash host),
/// <paramref name="kill"/> ends the process for real at the point instead.
/// </summary>
internal sealed class CrashPoints(IEnumerable<string> points, Action<string>? kill = null)
{
    private readonly Lock _gate = new();
    private readonly HashSet<string> _armed = [.. points];
    private TaskCompletionSource<string> _reached = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _live;

    /// <summary>The point the current host died at; completes with its name.</summary>
    public Task<string> Reached => _reached.Task;

    public List<string> Fired { get; } = [];

    public int Remaining
    {
        get
        {
            lock (_gate)
            {
                return _armed.Count;
            }
        }
    }

    /// <summary>Called before a new host starts: it may die at any point still armed.</summary>
    public void NextHost()
    {
        lock (_gate)
        {
            _reached = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
            _live = true;
        }
    }

    /// <summary>Called by the hooks at each named point; never returns when the point is armed (once per host).</summary>
    public async Task PassAsync(string point)
    {
        TaskCompletionSource<string>? reached = null;
        lock (_gate)
        {
            if (_live && _armed.Remove(point))
            {
                _live = false;
                Fired.Add(point);
                reached = _reached;
            }
        }

        if (reached is not null)
        {
            kill?.Invoke(point);
            reached.TrySetResult(point);
            await Task.Delay(Timeout.Infinite);
        }
    }
}
