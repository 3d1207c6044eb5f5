namespace CarbonFunctions.Core.Planning;

/// <summary>
/// Elastic pools. Interruptible jobs get the exact optimum on the slot grid (<see cref="SlotGrid"/>):
/// every slot is paused or runs at one pool size between min and max nodes, runs last at least the
/// minimum run length, pauses at least the start-up allowance, and the work done (throughput relative to
/// min nodes, per slot) covers the job plus a resume overhead for every segment after the first free
/// one. Ties go to the plan that runs earlier and then on more nodes. The work left over from rounding
/// to whole slots is then given back where it saves most: a slot may end its last part one node smaller
/// (the split CarbonScaler's greedy makes), or the last run ends early.
/// Non-interruptible jobs never pause, so they get the best contiguous window for each constant pool
/// size, keeping the size with the least emissions.
/// </summary>
/// <remarks>
/// Work is counted in quanta of 1/Q of a slot at min nodes, Q the smallest of 1..20 that makes every
/// size's throughput ratio whole (a curve given to one decimal needs Q = 10); a curve that no Q up to 20
/// fits is rounded down, so a plan never does less work than it promises. Backward dynamic programming
/// over slots × (phase, quanta left), O(slots × sizes × (minimum run + 1) × quanta): see
/// docs/ARCHITECTURE.md for when CarbonScaler's greedy is already optimal.
/// </remarks>
internal static class ElasticPolicy
{
    public static List<Run>? Plan(PlanContext c, Timeline t, bool interruptible) =>
        interruptible ? Exact(c, t) : ConstantSize(c, t);

    /// <summary>Run time at <paramref name="nodes"/> nodes of work measured in run time at min nodes.</summary>
    public static long RunTimeAt(PlanContext c, int nodes, long runTimeAtMin) =>
        (long)Math.Ceiling(runTimeAtMin * c.Throughput(c.MinNodes) / c.Throughput(nodes));

    private static List<Run>? ConstantSize(PlanContext c, Timeline t)
    {
        List<Run>? best = null;
        var bestGrams = double.PositiveInfinity;
        for (var nodes = c.MinNodes; nodes <= c.MaxNodes; nodes++)
        {
            var runTime = RunTimeAt(c, nodes, c.RunTime) + (c.FirstSegmentFree ? 0 : c.Overhead);
            var plan = BestWindowPolicy.Plan(c, t, nodes, runTime);
            if (plan is null)
            {
                continue;
            }

            var grams = nodes * t.Cost(plan[0].Start, plan[0].End);
            if (grams < bestGrams - (1e-12 * Math.Max(1, grams)))
            {
                (best, bestGrams) = (plan, grams);
            }
        }

        return best;
    }

    /// <summary>The work quantum: Q per min-node slot, and each size's work per slot in quanta.</summary>
    internal static (int Q, int[] Work) Quanta(PlanContext c)
    {
        var sizes = c.MaxNodes - c.MinNodes + 1;
        var ratios = new double[sizes];
        for (var i = 0; i < sizes; i++)
        {
            ratios[i] = c.Throughput(c.MinNodes + i) / c.Throughput(c.MinNodes);
        }

        var q = 20;
        for (var candidate = 1; candidate <= 20; candidate++)
        {
            if (ratios.All(r => Math.Abs((r * candidate) - Math.Round(r * candidate)) < 1e-6))
            {
                q = candidate;
                break;
            }
        }

        return (q, [.. ratios.Select(r => Math.Max(0, (int)Math.Floor((r * q) + 1e-6)))]);
    }

    private static List<Run>? Exact(PlanContext c, Timeline t)
    {
        var levels = GridOptimum(c, t, out var grid, out var cost);
        return levels is null ? null : GiveBackRounding(c, grid, cost, levels);
    }

    /// <summary>The optimum on the grid: the pool size of every slot (0 = paused), or null when nothing fits.</summary>
    internal static int[]? GridOptimum(PlanContext c, Timeline t, out SlotGrid grid, out double[] cost)
    {
        grid = SlotGrid.For(c);
        var n = grid.Count;
        var (q, work) = Quanta(c);
        var o = grid.SlotsFor(c.Overhead) * q;
        var need0 = (grid.SlotsFor(c.RunTime) * q) + (c.FirstSegmentFree ? 0 : o);
        var minRun = Math.Max(1, grid.SlotsFor(c.EffectiveMinimumRun));
        var minPause = Math.Max(1, grid.SlotsFor(c.Allowance));
        var top = need0 + (c.FirstSegmentFree ? o : 0);
        var span = top + 1;
        cost = new double[n];
        if (n == 0 || need0 == 0)
        {
            return null;
        }

        grid.Costs(t, cost);
        var sizes = work.Length;
        var nodes = new int[sizes];
        for (var i = 0; i < sizes; i++)
        {
            nodes[i] = c.MinNodes + i;
        }

        // Layers at edge b + 1 (cur) and b (next): Run[r] = running r + 1 slots (the last: at least minRun),
        // Idle[j] = paused j + 1 slots (the last: at least minPause); index = quanta of work left. Run arrays
        // carry `pad` copies of their x = 0 entry in front, so "x − work, at least 0" is a plain offset.
        var pad = Math.Max(1, work.Max());
        var phases = minRun + 2;
        var s = Scratch.Get(minRun, minPause, span, pad, n * phases * span);
        var cur = s.A;
        var next = s.B;
        cur.Reset(span, pad);
        next.Reset(span, pad);
        cur.SetRun(minRun - 1, 0, 0, pad);
        var choice = s.Choice; // 0 = pause or wait, s + 1 = run the slot at MinNodes + s nodes
        var startValue = s.StartValue;
        var startSize = s.StartSize;
        var stop = c.Running ? 1 : 0;
        for (var b = n - 1; b >= stop; b--)
        {
            var cb = cost[b];
            var row = b * phases * span;
            for (var r = 0; r < minRun; r++)
            {
                var capped = r == minRun - 1;
                var onward = cur.Run[Math.Min(r + 1, minRun - 1)];
                var target = next.Run[r];
                var from = capped ? 1 : 0;
                DpKernels.BestSize(onward, pad, 0, cb, nodes, work, from, span - 1, target, pad, choice, row + (r * span));
                if (capped)
                {
                    target[pad] = 0;
                    choice[row + (r * span)] = 0;
                    var idleFirst = cur.Idle[0];
                    for (var x = 1; x < span; x++)
                    {
                        var go = target[pad + x];
                        var pause = idleFirst[x];
                        if (!(go <= pause + DpKernels.Tolerance(pause)))
                        {
                            target[pad + x] = pause;
                            choice[row + (r * span) + x] = 0;
                        }
                    }
                }

                target.AsSpan(0, pad).Fill(target[pad]);
            }

            for (var j = 0; j < minPause - 1; j++)
            {
                cur.Idle[j + 1].AsSpan(0, span).CopyTo(next.Idle[j]);
            }

            var waitRow = row + (minRun * span);
            var waiting = cur.Idle[minPause - 1];
            var fresh = next.Idle[minPause - 1];
            fresh[0] = double.PositiveInfinity;
            var startTop = top - o; // a start from x needs x + o ≤ top
            if (startTop >= 1)
            {
                DpKernels.BestSize(cur.Run[0], pad, o, cb, nodes, work, 1, startTop, startValue, 0, startSize, 0);
            }

            for (var x = 1; x < span; x++)
            {
                var wait = waiting[x];
                var go = x <= startTop ? startValue[x] : double.PositiveInfinity;
                var starts = go <= wait + DpKernels.Tolerance(wait);
                fresh[x] = starts ? go : wait;
                choice[waitRow + x] = starts && x <= startTop ? startSize[x] : (byte)0;
            }

            DpKernels.BestSize(cur.Run[0], pad, 0, cb, nodes, work, need0, need0, startValue, 0, startSize, 0);
            var (begin, first) = (startValue[need0], startSize[need0]);
            var begins = begin <= cur.NotStarted + DpKernels.Tolerance(cur.NotStarted);
            next.NotStarted = begins ? begin : cur.NotStarted;
            choice[row + ((minRun + 1) * span)] = begins ? first : (byte)0;
            (cur, next) = (next, cur);
        }

        var levels = new int[n];
        int phase, length, left;
        if (c.Running)
        {
            // The running stretch goes on through the first slot, at the size that suits the rest best.
            DpKernels.BestSize(cur.Run[minRun - 1], pad, 0, cost[0], nodes, work, need0, need0, startValue, 0, startSize, 0);
            var (value, size) = (startValue[need0], startSize[need0]);
            if (!double.IsFinite(value))
            {
                return null;
            }

            levels[0] = c.MinNodes + size - 1;
            (phase, length, left) = (1, minRun, Math.Max(0, need0 - work[size - 1]));
        }
        else
        {
            if (!double.IsFinite(cur.NotStarted))
            {
                return null;
            }

            (phase, length, left) = (0, 0, need0);
        }

        // Follow the recorded choices forward. phase: 0 not started, 1 running, 2 paused.
        for (var b = stop; b < n; b++)
        {
            var row = b * phases * span;
            if (phase == 1 && left == 0 && length >= minRun)
            {
                break;
            }

            if (phase == 2 && length < minPause)
            {
                length++;
                continue;
            }

            var pick = phase switch
            {
                1 => choice[row + ((length - 1) * span) + left],
                0 => choice[row + ((minRun + 1) * span)],
                _ => choice[row + (minRun * span) + left],
            };
            if (pick == 0)
            {
                (phase, length) = phase == 1 ? (2, 1) : (phase, length);
                continue;
            }

            if (phase == 2)
            {
                left += o;
            }

            length = phase == 1 ? Math.Min(length + 1, minRun) : 1;
            phase = 1;
            levels[b] = c.MinNodes + pick - 1;
            left = Math.Max(0, left - work[pick - 1]);
        }

        return levels;
    }

    /// <summary>
    /// Whole slots and rounded-up work leave some work over: end slots one node smaller for their last part,
    /// or end the last run early, taking first what saves the most per unit of work given back.
    /// </summary>
    private static List<Run> GiveBackRounding(PlanContext c, SlotGrid grid, double[] cost, int[] levels)
    {
        var minThroughput = c.Throughput(c.MinNodes);
        var segments = 0;
        double done = 0;
        for (var b = 0; b < levels.Length; b++)
        {
            if (levels[b] > 0 && (b == 0 || levels[b - 1] == 0))
            {
                segments++;
            }

            done += levels[b] > 0 ? grid.Length * c.Throughput(levels[b]) / minThroughput : 0;
        }

        var excess = done - c.Needed(segments);
        var cut = new long[levels.Length];
        var lastSlot = Array.FindLastIndex(levels, l => l > 0);
        var options = new List<(double Rate, int Slot, bool End)>();
        for (var b = 0; b < levels.Length; b++)
        {
            if (levels[b] > c.MinNodes)
            {
                options.Add((cost[b] / ((c.Throughput(levels[b]) - c.Throughput(levels[b] - 1)) / minThroughput), b, false));
            }
        }

        if (lastSlot >= 0)
        {
            options.Add((levels[lastSlot] * cost[lastSlot] / (c.Throughput(levels[lastSlot]) / minThroughput), lastSlot, true));
        }

        var endCut = 0L;
        foreach (var (_, slot, end) in options.OrderByDescending(p => p.Rate).ThenBy(p => p.Slot))
        {
            if (excess <= 0)
            {
                break;
            }

            var perTick = end ? c.Throughput(levels[slot]) / minThroughput : (c.Throughput(levels[slot]) - c.Throughput(levels[slot] - 1)) / minThroughput;
            var room = end ? LastRunRoom(c, grid, levels, lastSlot) - cut[slot] : grid.Length - (slot == lastSlot ? endCut : 0);
            var ticks = Math.Min(room, (long)Math.Floor((excess / perTick) + 1e-6));
            if (ticks <= 0)
            {
                continue;
            }

            if (end)
            {
                endCut = ticks;
            }
            else
            {
                cut[slot] = ticks;
            }

            excess -= ticks * perTick;
        }

        var runs = new List<Run>();
        for (var b = 0; b < levels.Length; b++)
        {
            if (levels[b] == 0)
            {
                continue;
            }

            var start = grid.At(b);
            var finish = grid.At(b + 1) - (b == lastSlot ? endCut : 0);
            var split = Math.Max(start, finish - cut[b]);
            Append(runs, new Run(start, split, levels[b]));
            Append(runs, new Run(split, finish, levels[b] - 1));
        }

        return runs;
    }

    /// <summary>How much the last run may end early and still last the minimum run, within its last slot.</summary>
    private static long LastRunRoom(PlanContext c, SlotGrid grid, int[] levels, int lastSlot)
    {
        var first = lastSlot;
        while (first > 0 && levels[first - 1] > 0)
        {
            first--;
        }

        return Math.Clamp(((lastSlot - first + 1) * grid.Length) - c.EffectiveMinimumRun, 0, grid.Length);
    }

    private static void Append(List<Run> runs, Run run)
    {
        if (run.End <= run.Start || run.Nodes <= 0)
        {
            return;
        }

        if (runs.Count > 0 && runs[^1].End == run.Start && runs[^1].Nodes == run.Nodes)
        {
            runs[^1] = runs[^1] with { End = run.End };
        }
        else
        {
            runs.Add(run);
        }
    }

    /// <summary>One edge's values: run phases (padded in front), idle phases, and not started.</summary>
    private sealed class Layer
    {
        public double[][] Run { get; private set; } = [];

        public double[][] Idle { get; private set; } = [];

        public double NotStarted { get; set; } = double.PositiveInfinity;

        public void Grow(int minRun, int minPause, int span, int pad)
        {
            Run = Scratch.GrowAll(Run, minRun, pad + span);
            Idle = Scratch.GrowAll(Idle, minPause, span);
        }

        public void Reset(int span, int pad)
        {
            foreach (var a in Run)
            {
                a.AsSpan(0, pad + span).Fill(double.PositiveInfinity);
            }

            foreach (var a in Idle)
            {
                a.AsSpan(0, span).Fill(double.PositiveInfinity);
            }

            NotStarted = double.PositiveInfinity;
        }

        public void SetRun(int phase, int x, double value, int pad)
        {
            Run[phase][pad + x] = value;
            if (x == 0)
            {
                Run[phase].AsSpan(0, pad).Fill(value);
            }
        }
    }

    /// <summary>Per-thread buffers, grown on demand and reused, so a plan allocates only its result.</summary>
    private sealed class Scratch
    {
        [ThreadStatic]
        private static Scratch? current;

        public Layer A { get; } = new();

        public Layer B { get; } = new();

        public byte[] Choice { get; private set; } = [];

        public double[] StartValue { get; private set; } = [];

        public byte[] StartSize { get; private set; } = [];

        public static Scratch Get(int minRun, int minPause, int span, int pad, int choices)
        {
            var s = current ??= new Scratch();
            s.A.Grow(minRun, minPause, span, pad);
            s.B.Grow(minRun, minPause, span, pad);
            s.Choice = Grow(s.Choice, choices);
            s.StartValue = Grow(s.StartValue, span);
            s.StartSize = Grow(s.StartSize, span);
            return s;
        }

        public static double[][] GrowAll(double[][] a, int count, int size)
        {
            // Exactly `count` arrays, so that a layer's phases are its arrays in order.
            var resized = new double[count][];
            for (var i = 0; i < count; i++)
            {
                resized[i] = i < a.Length && a[i].Length >= size ? a[i] : new double[Math.Max(size, i < a.Length ? 2 * a[i].Length : 0)];
            }

            return resized;
        }

        private static T[] Grow<T>(T[] a, int size) => a.Length >= size ? a : new T[Math.Max(size, a.Length * 2)];
    }

    private static double Tolerance(double value) => DpKernels.Tolerance(value);
}
