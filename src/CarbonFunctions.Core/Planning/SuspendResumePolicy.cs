namespace CarbonFunctions.Core.Planning;

/// <summary>
/// Interruptible jobs at the exact optimum on the slot grid (<see cref="SlotGrid"/>): the plan with the
/// least cost whose runs each last at least the minimum run length, whose pauses each last at least the
/// start-up allowance (at least one slot), and whose run time covers the work plus the resume overhead
/// of every segment after the first free one. Ties go to the plan that runs earlier (the first slot
/// where two optimal plans differ is a run in the chosen one).
/// </summary>
/// <remarks>
/// Backward dynamic programming over slots; the state at a slot edge is the phase (not started; running
/// for r slots, r capped at the minimum run; paused for j slots, j capped at the allowance) and the slots of
/// work still needed, x ≤ W + O. Two facts keep it O(slots × (W + O)) with two passes per slot:
/// while running, x falls by one per slot, so running states are stored by x + slot (the key is constant
/// along a run) and as cost-to-go minus the suffix sum of slot costs (constant along a run too); the
/// phases "running r &lt; minimum" and "paused j &lt; allowance" then move one phase per slot without
/// any arithmetic, by rotating which array holds which phase. Only the two capped phases are computed.
/// Regions are compared on cost alone, and the winner is solved once more with the decisions recorded.
/// </remarks>
internal static class SuspendResumePolicy
{
    public static List<Run>? Plan(PlanContext c, Timeline t) => Solve(c, t, trace: true, out _);

    /// <summary>The optimum's cost (slot costs, with the unknown-time penalty), or +∞ when no plan fits.</summary>
    public static double Cost(PlanContext c, Timeline t)
    {
        Solve(c, t, trace: false, out var cost);
        return cost;
    }

    private static List<Run>? Solve(PlanContext c, Timeline t, bool trace, out double best)
    {
        best = double.PositiveInfinity;
        var grid = SlotGrid.For(c);
        var n = grid.Count;
        var w = grid.SlotsFor(c.RunTime);
        var o = grid.SlotsFor(c.Overhead);
        var need0 = w + (c.FirstSegmentFree ? 0 : o);
        var minRun = Math.Max(1, grid.SlotsFor(c.EffectiveMinimumRun));
        var minPause = Math.Max(1, grid.SlotsFor(c.Allowance));
        var top = w + o; // need never usefully exceeds this: a segment that earns less than its overhead can be dropped
        var span = top + 1;
        if (n == 0 || need0 == 0 || need0 > n)
        {
            return null;
        }

        var words = (span + 63) >> 6;
        var s = Scratch.Get(n, span, minRun, minPause, trace, words);
        var cost = s.Cost.AsSpan(0, n);
        grid.Costs(t, cost);

        // run[r - 1]: running for r slots (r = minRun means "at least"), keyed by x + edge, valued cost-to-go − suffix.
        // idle[j - 1]: paused for j slots (j = minPause means "at least"), keyed by x, valued cost-to-go.
        var run = s.Run;
        var idle = s.Idle;
        var keys = n + span + 1;
        for (var r = 0; r <= minRun; r++)
        {
            run[r].AsSpan(0, keys).Fill(double.PositiveInfinity);
        }

        for (var j = 0; j <= minPause; j++)
        {
            idle[j].AsSpan(0, span).Fill(double.PositiveInfinity);
        }

        var inf = double.PositiveInfinity;
        run[minRun - 1][n] = 0; // at the last edge, a run of at least the minimum with nothing left to do is done
        var notStarted = inf;
        double suffix = 0;
        var stop = c.Running ? 1 : 0;
        var startBits = trace ? s.StartDecision : null;
        var runBits = trace ? s.RunDecision : null;
        for (var b = n - 1; b >= stop; b--)
        {
            var cb = cost[b];
            suffix += cb;
            var first = run[0];
            var capped = run[minRun - 1];
            var lastIdle = idle[minPause - 1];
            var firstIdle = idle[0];
            var freshRun = run[minRun];
            var freshIdle = idle[minPause];
            var row = b * words;

            // Only states that can be reached and can still finish: at edge b at most b slots of work are done
            // (x ≥ need0 − b) and at most n − b slots are left (x ≤ n − b). A reachable state only ever reads
            // reachable ones, and every state above the bound holds +∞ from the fill (it is never written),
            // so limiting the loops changes no reachable value.
            var lo = Math.Max(1, need0 - b);
            var hi = Math.Min(top, n - b);
            if (lo <= hi)
            {
                // Paused long enough: start now (pay the overhead, run slot b) or keep waiting; ties start.
                // With more than w left, a start cannot pay its overhead: wait (and record "wait").
                var startHi = Math.Min(hi, w);
                if (lo <= startHi)
                {
                    DpKernels.StartOrWait(lastIdle, first, freshIdle, suffix, o + b, lo, startHi, startBits, row);
                }

                for (var x = Math.Max(lo, startHi + 1); x <= hi; x++)
                {
                    freshIdle[x] = lastIdle[x];
                    DpKernels.SetBit(startBits, row, x, false);
                }

                // Running at least the minimum: run slot b or pause from it; ties run.
                DpKernels.RunOrPause(capped, firstIdle, freshRun, suffix, b, lo, hi, runBits, row);
            }

            freshRun[b] = -suffix; // nothing left to do: done

            var begin = suffix + first[need0 - 1 + b + 1];
            var beginWins = begin <= notStarted + Tolerance(notStarted);
            if (trace)
            {
                s.BeginDecision[b] = beginWins;
            }

            notStarted = beginWins ? begin : notStarted;

            // Shorter runs carry their x = 0 entry one edge back (they must keep running), then every phase moves on.
            for (var r = 1; r < minRun; r++)
            {
                run[r][b] = run[r][b + 1]; // cost-to-go grows by c_b and so does the suffix: the stored difference is unchanged
            }

            Rotate(run, minRun);
            Rotate(idle, minPause);
        }

        if (c.Running)
        {
            // The running stretch goes on through the first slot, then may pause at its end.
            var capped = run[minRun - 1];
            best = cost[0] + suffix + capped[need0 - 1 + 1];
        }
        else
        {
            best = notStarted;
        }

        if (!double.IsFinite(best) || !trace)
        {
            return trace ? null : [];
        }

        return Reconstruct(c, grid, s, n, words, need0, o, minRun, minPause);
    }

    private static List<Run> Reconstruct(PlanContext c, SlotGrid grid, Scratch s, int n, int words, int need0, int o, int minRun, int minPause)
    {
        var runs = new List<Run>();
        int? openedAt = null;
        var phase = c.Running ? Phase.Running : Phase.NotStarted;
        var length = c.Running ? minRun : 0;
        var x = c.Running ? need0 - 1 : need0;
        var b = c.Running ? 1 : 0;
        if (c.Running)
        {
            openedAt = 0;
        }

        void Close(int end)
        {
            runs.Add(new Run(grid.At(openedAt!.Value), grid.At(end), c.MinNodes));
            openedAt = null;
        }

        for (; b < n; b++)
        {
            var row = b * words;
            if (phase == Phase.Running)
            {
                if (x == 0 && length >= minRun)
                {
                    break;
                }

                if (length < minRun || DpKernels.Bit(s.RunDecision, row, x))
                {
                    length = Math.Min(length + 1, minRun);
                    x = Math.Max(0, x - 1);
                    continue;
                }

                Close(b);
                (phase, length) = (Phase.Paused, 1);
                continue;
            }

            if (phase == Phase.Paused && length < minPause)
            {
                length++;
                continue;
            }

            var starts = phase == Phase.NotStarted ? s.BeginDecision[b] : DpKernels.Bit(s.StartDecision, row, x);
            if (starts)
            {
                x = (phase == Phase.NotStarted ? x : x + o) - 1;
                (phase, length, openedAt) = (Phase.Running, 1, b);
            }
        }

        if (openedAt is not null)
        {
            Close(b);
        }

        // The grid rounds the work and overheads up to whole slots: give back the rounding at the very end,
        // as far as the last run stays at least the minimum.
        var excess = runs.Sum(r => r.End - r.Start) - c.Needed(runs.Count);
        var last = runs[^1];
        var trim = Math.Min(excess, Math.Max(0, last.End - last.Start - c.EffectiveMinimumRun));
        if (trim > 0)
        {
            runs[^1] = last with { End = last.End - trim };
        }

        return runs;
    }

    private static double Tolerance(double value) => DpKernels.Tolerance(value);

    /// <summary>Moves phase arrays one place down: [0] ← [1] … [m − 1] ← [m] (the fresh one), [m] ← old [0] (spare).</summary>
    private static void Rotate(double[][] arrays, int m)
    {
        var spare = arrays[0];
        for (var i = 0; i < m; i++)
        {
            arrays[i] = arrays[i + 1];
        }

        arrays[m] = spare;
    }

    private enum Phase
    {
        NotStarted,
        Running,
        Paused,
    }

    /// <summary>Per-thread buffers, grown on demand, so planning thousands of jobs allocates almost nothing.</summary>
    private sealed class Scratch
    {
        [ThreadStatic]
        private static Scratch? current;

        public double[] Cost { get; private set; } = [];

        public double[][] Run { get; private set; } = [];

        public double[][] Idle { get; private set; } = [];

        /// <summary>Per slot, one bit per x: start (1) or wait (0) when paused long enough.</summary>
        public ulong[] StartDecision { get; private set; } = [];

        /// <summary>Per slot, one bit per x: run on (1) or pause (0) when running at least the minimum.</summary>
        public ulong[] RunDecision { get; private set; } = [];

        public bool[] BeginDecision { get; private set; } = [];

        public static Scratch Get(int n, int span, int minRun, int minPause, bool trace, int words)
        {
            var s = current ??= new Scratch();
            s.Cost = Grow(s.Cost, n);
            s.Run = GrowAll(s.Run, minRun + 1, n + span + 1);
            s.Idle = GrowAll(s.Idle, minPause + 1, span);
            if (trace)
            {
                s.StartDecision = Grow(s.StartDecision, n * words);
                s.RunDecision = Grow(s.RunDecision, n * words);
                s.BeginDecision = Grow(s.BeginDecision, n);
            }

            return s;
        }

        private static T[] Grow<T>(T[] a, int size) => a.Length >= size ? a : new T[Math.Max(size, a.Length * 2)];

        private static double[][] GrowAll(double[][] a, int count, int size)
        {
            if (a.Length < count)
            {
                var bigger = new double[count][];
                for (var i = 0; i < count; i++)
                {
                    bigger[i] = i < a.Length ? a[i] : [];
                }

                a = bigger;
            }

            for (var i = 0; i < count; i++)
            {
                a[i] = Grow(a[i], size);
            }

            return a;
        }
    }
}
