using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

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
/// over slots × (phase, quanta left), O(slots × sizes × (minimum run + 1) × quanta) in the worst case; each
/// pass keeps only the band of quanta-left values that can still lead to a plan within a limit and skips the
/// slots that no such plan runs (most of a window whose valleys are far cheaper than the rest), which leaves
/// the plan exactly as the full programme makes it (<see cref="GridOptimum"/>). See docs/BENCHMARKS.md
/// (Planning) for the speed and for when CarbonScaler's greedy is already optimal.
/// </remarks>
internal static class ElasticPolicy
{
    /// <summary>Relative room above a pass's limit: far above the 1e-12 tie tolerance, so tied plans are never cut.</summary>
    private const double LimitMargin = 1e-7;

    /// <summary>
    /// The plan in one region, or null when none fits; for an interruptible job also null when the region provably
    /// cannot come in at or under <paramref name="beat"/> grams (another region's plan), within the planner's
    /// region tolerance.
    /// </summary>
    public static List<Run>? Plan(PlanContext c, Timeline t, bool interruptible, double beat = double.PositiveInfinity) =>
        interruptible ? Exact(c, t, beat) : ConstantSize(c, t);

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

    /// <summary>
    /// The work quantum: Q per min-node slot, each size's work per slot in quanta, and whether those are its
    /// throughput exactly (false when no Q up to 20 fits and the work is rounded down).
    /// </summary>
    internal static (int Q, int[] Work, bool Exact) Quanta(PlanContext c)
    {
        var sizes = c.MaxNodes - c.MinNodes + 1;
        var ratios = new double[sizes];
        for (var i = 0; i < sizes; i++)
        {
            ratios[i] = c.Throughput(c.MinNodes + i) / c.Throughput(c.MinNodes);
        }

        var (q, exact) = (20, false);
        for (var candidate = 1; candidate <= 20; candidate++)
        {
            if (ratios.All(r => Math.Abs((r * candidate) - Math.Round(r * candidate)) < 1e-6))
            {
                (q, exact) = (candidate, true);
                break;
            }
        }

        return (q, [.. ratios.Select(r => Math.Max(0, (int)Math.Floor((r * q) + 1e-6)))], exact);
    }

    private static List<Run>? Exact(PlanContext c, Timeline t, double beat)
    {
        if (!Optimum(c, t, pruned: true, out var grid, beat))
        {
            return null;
        }

        var s = Scratch.Current;
        return GiveBackRounding(c, grid, s.Cost.AsSpan(0, grid.Count), s.Levels.AsSpan(0, grid.Count));
    }

    /// <summary>The optimum on the grid: the pool size of every slot (0 = paused), or null when nothing fits.</summary>
    /// <remarks>
    /// Solved as a bound-pruned programme (see <see cref="Solve"/>): a pass keeps only states whose exact cost to
    /// go plus a lower bound on the cost so far stays within a limit, and its answer is the optimum whenever it
    /// comes in under the limit with a margin. The first limit is a guess a little above the larger of the
    /// fractional bound and the Lagrangian dual; a pass that finds a dearer plan is repeated with that plan's cost,
    /// one that finds none with a wider guess, and after a dozen guesses with no limit at all, so the answer never
    /// depends on the guess (only the time does). <paramref name="pruned"/> false solves every state, for the tests that compare the two.
    /// </remarks>
    internal static int[]? GridOptimum(PlanContext c, Timeline t, out SlotGrid grid, out double[] cost, bool pruned = true)
    {
        var found = Optimum(c, t, pruned, out grid);
        var s = Scratch.Current;
        cost = s.Cost.AsSpan(0, grid.Count).ToArray();
        return found ? s.Levels.AsSpan(0, grid.Count).ToArray() : null;
    }

    /// <summary><see cref="GridOptimum"/> into this thread's buffers: the slot costs and the levels of the first grid.Count slots.</summary>
    private static bool Optimum(PlanContext c, Timeline t, bool pruned, out SlotGrid grid, double beat = double.PositiveInfinity)
    {
        grid = SlotGrid.For(c);
        var n = grid.Count;
        var (q, work, wholeQuanta) = Quanta(c);
        var o = grid.SlotsFor(c.Overhead) * q;
        var need0 = (grid.SlotsFor(c.RunTime) * q) + (c.FirstSegmentFree ? 0 : o);
        var cost = Scratch.Current.ForSlots(n);
        if (n == 0 || need0 == 0)
        {
            return false;
        }

        grid.Costs(t, cost.AsSpan(0, n));
        var nodes = new int[work.Length];
        for (var i = 0; i < nodes.Length; i++)
        {
            nodes[i] = c.MinNodes + i;
        }

        var p = new Programme(
            Slots: n,
            Cost: cost,
            Work: work,
            Nodes: nodes,
            Need: need0,
            Overhead: o,
            MinRun: Math.Max(1, grid.SlotsFor(c.EffectiveMinimumRun)),
            MinPause: Math.Max(1, grid.SlotsFor(c.Allowance)),
            Top: need0 + (c.FirstSegmentFree ? o : 0),
            Running: c.Running,
            MinNodes: c.MinNodes);
        // The fractional bound (work bought cheapest first along the throughput hull) and its marginal price, where
        // the search for the Lagrangian dual starts.
        Span<double> quanta = stackalloc double[work.Length];
        for (var i = 0; i < work.Length; i++)
        {
            quanta[i] = work[i];
        }

        Span<double> widths = stackalloc double[work.Length];
        Span<double> slopes = stackalloc double[work.Length];
        var hull = ThroughputHull.Segments(quanta, nodes, widths, slopes);
        var sorted = Scratch.Current.SortedFor(n);
        cost.AsSpan(0, n).CopyTo(sorted);
        var lower = ThroughputHull.Fill(sorted.AsSpan(0, n), widths[..hull], slopes[..hull], need0, out var price);
        if (double.IsPositiveInfinity(lower))
        {
            return false; // even the relaxation cannot fit the work into the window
        }

        // The bound on the plan as run (after the give-back) holds where every slot has one intensity, resumes cost
        // whole slots, and every size's quanta are its throughput exactly (rounded-down quanta would credit a plan
        // with less work than it does, and the give-back takes the true excess); it lets a region that cannot beat
        // another's plan go without its programme.
        var exact = wholeQuanta
            && c.Overhead == grid.SlotsFor(c.Overhead) * grid.Length
            && (t.PiecesAsSlots(grid.Origin, grid.Length, n) >= 0 || t.UniformOnGrid(grid.Origin, grid.Length, n));
        var finalNeed = exact ? (c.RunTime * (double)q / grid.Length) + (c.FirstSegmentFree ? 0 : o) : double.NaN;
        var beatCost = (beat + (JobPlanner.RegionTolerance * Math.Max(1, Math.Abs(beat)))) / (c.WattsPerNode / 1000);
        var reduced = ReducedCostBound.For(cost.AsSpan(0, n), work, nodes, need0, o, p.MinRun, p.MinPause, c.Running, price, finalNeed, beatCost);
        if (reduced.Beaten)
        {
            return false; // this region cannot beat the plan found in another
        }

        lower = Math.Max(lower, reduced.Dual);

        // Guess upwards from the lower bound: a pass that finds nothing proves the optimum lies above its limit,
        // so the next guess starts there, twice as far up; one that finds a dearer plan than its limit allows
        // has found an upper bound, and the pass with that limit is exact.
        var step = (lower * 1e-3) + LimitMargin;
        var limit = pruned ? lower + step : double.PositiveInfinity;
        for (var attempt = 1; ; attempt++)
        {
            var found = Solve(p, reduced, limit, out var value);
            if (found && (double.IsPositiveInfinity(limit) || (value * (1 + LimitMargin)) + LimitMargin <= limit))
            {
                return true;
            }

            if (double.IsPositiveInfinity(limit))
            {
                return false;
            }

            step *= 2;
            limit = found ? (value * (1 + (2 * LimitMargin))) + (2 * LimitMargin)
                : attempt < 12 ? limit + step
                : double.PositiveInfinity;
        }
    }

    /// <summary>
    /// One pass of the backward programme over slots × (phase, quanta left), keeping at each slot edge only the
    /// band of work-left values x whose cost to go (exact: this programme's own value) plus a lower bound on the
    /// cost of the work done before the edge (<see cref="ReducedCostBound.At"/>) is within <paramref name="limit"/>,
    /// crossing every stretch of slots that no plan within the limit runs (<see cref="ReducedCostBound.RunBound"/>)
    /// in one step, since only pauses cross it, and leaving out at each edge the phases no such plan passes through
    /// (<see cref="ReducedCostBound.StateBound"/>). A state on an optimal path (or on a plan tied with it) always passes,
    /// and so do all states after it, so the values on those paths and every choice between them are exactly those
    /// of the full programme: the same plan, ties included. The levels go to this thread's
    /// <see cref="Scratch.Levels"/>; false (value +∞) when no plan within the limit exists.
    /// </summary>
    private static bool Solve(Programme p, ReducedCostBound reduced, double limit, out double value)
    {
        var (n, cost, work, nodes, need0, o, minRun, minPause, top) = (p.Slots, p.Cost, p.Work, p.Nodes, p.Need, p.Overhead, p.MinRun, p.MinPause, p.Top);
        var span = top + 1;
        var maxWork = work.Max();

        // Layers at edge b + 1 (cur) and b (next): Run[r] = running r + 1 slots (the last: at least minRun),
        // Idle[j] = paused j + 1 slots (the last: at least minPause); index = quanta of work left. Run arrays
        // carry `pad` copies of their x = 0 entry in front, so "x − work, at least 0" is a plain offset.
        // Outside a layer's band [Lo, Hi] every entry (pads included when Lo > 0) is +∞.
        var pad = Math.Max(1, maxWork);
        var s = Scratch.Get(minRun, minPause, span, pad, n);
        var cur = s.A;
        var next = s.B;
        cur.Reset(span, pad);
        next.Reset(span, pad);
        cur.SetRun(minRun - 1, 0, 0, pad);
        (cur.Lo, cur.Hi) = (0, 0);
        // Choices per slot b, for its candidate band only: at Base[b] the not-started choice, then minRun + 1
        // rows (running r + 1 slots; waiting to start) of Width[b] entries from x = From[b].
        // 0 = pause or wait, s + 1 = run the slot at MinNodes + s nodes. Width[b] < 0: a slot no plan within the
        // limit runs, with no choices (the trace pauses there).
        var (rowBase, rowFrom, rowWidth) = (s.Base, s.From, s.Width);
        var used = 0;
        var startValue = s.StartValue;
        var startSize = s.StartSize;
        var stop = p.Running ? 1 : 0;
        var startTop = top - o; // a start from x needs x + o ≤ top
        value = double.PositiveInfinity;

        // A plan that has done its work ends, at any edge: a run at least the minimum with no work left (x = 0) costs
        // nothing more. The band must reach x = 0 at every edge where such an end can be within the limit, however far
        // the band of the next edge lies from it.
        bool Done(int edge) => reduced.StateBound(edge, minRun) <= limit && !(reduced.At(edge, need0) > limit);
        bool DoneBefore(int edge)
        {
            for (var e = stop; e < edge; e++)
            {
                if (Done(e))
                {
                    return true;
                }
            }

            return false;
        }

        for (var b = n - 1; b >= stop; b--)
        {
            if (reduced.RunBound(b) > limit)
            {
                // A stretch of slots that no plan within the limit runs: only pauses cross it.
                var first = b;
                while (first > stop && reduced.RunBound(first - 1) > limit)
                {
                    first--;
                }

                rowWidth.AsSpan(first, b - first + 1).Fill(-1); // no choices: the trace pauses there

                next.PauseAcross(cur, b - first + 1, o, pad, Done(first));
                b = first;
            }
            else
            {
                // One slot of the programme: next (edge b) from cur (edge b + 1), its band [Lo, Hi] before narrowing.
                var cb = cost[b];
                var empty = cur.Lo > cur.Hi;
                var cl = Done(b) ? 0 : empty ? 1 : Math.Max(0, cur.Lo - o);
                var ch = empty ? 0 : Math.Min(top, cur.Hi + maxWork);
                var width = Math.Max(0, ch - cl + 1);
                var choice = s.Choices(used + 1 + ((minRun + 1) * width));
                (rowBase[b], rowFrom[b], rowWidth[b]) = (used, cl, width);
                var row = used + 1 - cl; // row + (r * width) + x: the choice of run phase r at x
                used += 1 + ((minRun + 1) * width);
                next.ClearOutside(cl, ch, pad);
                for (var r = 0; r < minRun; r++)
                {
                    var capped = r == minRun - 1;
                    var onward = cur.Run[Math.Min(r + 1, minRun - 1)];
                    var target = next.Run[r];
                    if (reduced.StateBound(b, 1 + r) > limit)
                    {
                        Unreachable(target, pad + cl, width, cl == 0 ? pad : 0); // no plan within the limit passes here
                        continue;
                    }

                    var from = Math.Max(capped ? 1 : 0, cl);
                    DpKernels.BestSize(onward, pad, 0, cb, nodes, work, from, ch, target, pad, choice, row + (r * width));
                    if (capped)
                    {
                        if (cl == 0)
                        {
                            target[pad] = 0;
                            choice[row + (r * width)] = 0;
                        }

                        var at = row + (r * width);
                        DpKernels.GoOrOther(target, pad, choice, at, cur.Idle[0], 0, target, pad, choice, at, Math.Max(1, cl), ch);
                    }

                    if (cl == 0)
                    {
                        target.AsSpan(0, pad).Fill(target[pad]);
                    }
                }

                for (var j = 0; j < minPause - 1; j++)
                {
                    if (reduced.StateBound(b, minRun + 1 + j) > limit)
                    {
                        Unreachable(next.Idle[j], cl, width, 0);
                    }
                    else
                    {
                        cur.Idle[j + 1].AsSpan(cl, width).CopyTo(next.Idle[j].AsSpan(cl));
                    }
                }

                var waitRow = row + (minRun * width);
                var waiting = cur.Idle[minPause - 1];
                var fresh = next.Idle[minPause - 1];
                if (reduced.StateBound(b, minRun + minPause) > limit)
                {
                    Unreachable(fresh, cl, width, 0);
                }
                else
                {
                    if (cl == 0)
                    {
                        fresh[0] = double.PositiveInfinity;
                    }

                    var firstStart = Math.Max(1, cl);
                    var lastStart = Math.Min(startTop, ch);
                    DpKernels.BestSize(cur.Run[0], pad, o, cb, nodes, work, firstStart, lastStart, startValue, 0, startSize, 0);
                    DpKernels.GoOrOther(startValue, 0, startSize, 0, waiting, 0, fresh, 0, choice, waitRow, firstStart, lastStart);
                    var late = Math.Max(firstStart, lastStart + 1); // too little room for the overhead: these can only wait
                    if (late <= ch)
                    {
                        waiting.AsSpan(late, ch - late + 1).CopyTo(fresh.AsSpan(late));
                        choice.AsSpan(waitRow + late, ch - late + 1).Clear();
                    }
                }

                DpKernels.BestSize(cur.Run[0], pad, 0, cb, nodes, work, need0, need0, startValue, 0, startSize, 0);
                var (begin, first) = (startValue[need0], startSize[need0]);
                var begins = begin <= cur.NotStarted + DpKernels.Tolerance(cur.NotStarted);
                next.NotStarted = begins ? begin : cur.NotStarted;
                choice[rowBase[b]] = begins ? first : (byte)0;
                (next.Lo, next.Hi) = cl <= ch ? (cl, ch) : (1, 0);
            }

            // Narrow the band from both ends to the states that can still come in under the limit.
            var (lo, hi) = next.Narrow(reduced, b, need0, limit, pad);

            next.Clear(next.Lo, lo - 1, pad);
            next.Clear(Math.Max(hi + 1, lo), next.Hi, pad);
            (next.Lo, next.Hi) = lo <= hi ? (lo, hi) : (1, 0);
            if (next.NotStarted > limit)
            {
                next.NotStarted = double.PositiveInfinity; // nothing done yet, so its cost so far is 0
            }

            (cur, next) = (next, cur);
            if (cur.Lo > cur.Hi && double.IsPositiveInfinity(cur.NotStarted) && !DoneBefore(b))
            {
                return false; // no state left within the limit, and no plan can end before
            }
        }

        var levels = s.Levels;
        levels.AsSpan(0, n).Clear();
        int phase, length, left;
        if (p.Running)
        {
            // The running stretch goes on through the first slot, at the size that suits the rest best.
            DpKernels.BestSize(cur.Run[minRun - 1], pad, 0, cost[0], nodes, work, need0, need0, startValue, 0, startSize, 0);
            var (v, size) = (startValue[need0], startSize[need0]);
            if (!double.IsFinite(v))
            {
                return false;
            }

            value = v;
            levels[0] = p.MinNodes + size - 1;
            (phase, length, left) = (1, minRun, Math.Max(0, need0 - work[size - 1]));
        }
        else
        {
            if (!double.IsFinite(cur.NotStarted))
            {
                return false;
            }

            value = cur.NotStarted;
            (phase, length, left) = (0, 0, need0);
        }

        // Follow the recorded choices forward. phase: 0 not started, 1 running, 2 paused.
        for (var b = stop; b < n; b++)
        {
            var row = rowBase[b] + 1 - rowFrom[b];
            var width = rowWidth[b];
            var choice = s.Choice;
            if (phase == 1 && left == 0 && length >= minRun)
            {
                break;
            }

            if (phase == 2 && length < minPause)
            {
                length++;
                continue;
            }

            var pick = width < 0 ? (byte)0 : phase switch // a slot no plan within the limit runs: pause
            {
                1 => choice[row + ((length - 1) * width) + left],
                0 => choice[rowBase[b]],
                _ => choice[row + (minRun * width) + left],
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
            levels[b] = p.MinNodes + pick - 1;
            left = Math.Max(0, left - work[pick - 1]);
        }

        return true;
    }

    /// <summary>Sets <paramref name="count"/> entries from <paramref name="from"/> to +∞, and the pad in front when asked.</summary>
    private static void Unreachable(double[] phase, int from, int count, int pad)
    {
        phase.AsSpan(from, count).Fill(double.PositiveInfinity);
        phase.AsSpan(0, pad).Fill(double.PositiveInfinity);
    }

    /// <summary>
    /// Whole slots and rounded-up work leave some work over: end slots one node smaller for their last part,
    /// or end the last run early, taking first what saves the most per unit of work given back.
    /// </summary>
    private static List<Run> GiveBackRounding(PlanContext c, SlotGrid grid, ReadOnlySpan<double> cost, ReadOnlySpan<int> levels)
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
        var cut = Scratch.Current.CutsFor(levels.Length);
        var lastSlot = levels.LastIndexOfAnyExcept(0);
        var options = Scratch.Current.Options;
        options.Clear();
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
        options.Sort(static (a, b) => a.Rate != b.Rate ? b.Rate.CompareTo(a.Rate) : a.Slot != b.Slot ? a.Slot.CompareTo(b.Slot) : a.End.CompareTo(b.End));
        foreach (var (_, slot, end) in options)
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
    private static long LastRunRoom(PlanContext c, SlotGrid grid, ReadOnlySpan<int> levels, int lastSlot)
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
        private static readonly Vector512<double> Lanes = Vector512.Create(0.0, 1, 2, 3, 4, 5, 6, 7);

        public double[][] Run { get; private set; } = [];

        public double[][] Idle { get; private set; } = [];

        public double NotStarted { get; set; } = double.PositiveInfinity;

        /// <summary>The band of work-left values this layer holds; every entry outside it is +∞ (Lo > Hi: none).</summary>
        public int Lo { get; set; }

        public int Hi { get; set; }

        /// <summary>
        /// The band [Lo, Hi] narrowed from both ends to the x whose cheapest state, plus the bound on what the work done
        /// before edge <paramref name="edge"/> cost, is within <paramref name="limit"/>; eight x at a time where the
        /// hardware allows, with the same arithmetic. need0 − x is negative after a resume whose overhead exceeds the
        /// work before it; the Lagrangian bound holds for it as it is (clamping it would not).
        /// </summary>
        public (int Lo, int Hi) Narrow(ReducedCostBound reduced, int edge, int need0, double limit, int pad)
        {
            var (lo, hi) = (Lo, Hi);
            while (lo <= hi)
            {
                if (Vector512.IsHardwareAccelerated && hi - lo >= 7)
                {
                    var within = ~Beyond8(reduced, edge, need0, limit, pad, lo) & 0xFFu;
                    var run = within == 0 ? 8 : BitOperations.TrailingZeroCount(within);
                    lo += run;
                    if (run < 8)
                    {
                        break;
                    }
                }
                else if (Least(lo, pad) + reduced.At(edge, need0 - lo) > limit)
                {
                    lo++;
                }
                else
                {
                    break;
                }
            }

            while (hi >= lo)
            {
                if (Vector512.IsHardwareAccelerated && hi - lo >= 7)
                {
                    var within = ~Beyond8(reduced, edge, need0, limit, pad, hi - 7) & 0xFFu;
                    var run = within == 0 ? 8 : BitOperations.LeadingZeroCount(within << 24);
                    hi -= run;
                    if (run < 8)
                    {
                        break;
                    }
                }
                else if (Least(hi, pad) + reduced.At(edge, need0 - hi) > limit)
                {
                    hi--;
                }
                else
                {
                    break;
                }
            }

            return (lo, hi);
        }

        /// <summary>Bit i set where x = <paramref name="x0"/> + i is beyond the limit (the scalar test, eight lanes at once).</summary>
        private uint Beyond8(ReducedCostBound reduced, int edge, int need0, double limit, int pad, int x0)
        {
            var least = Vector512.Create(double.PositiveInfinity);
            foreach (var a in Run)
            {
                least = Vector512.Min(least, Vector512.LoadUnsafe(ref MemoryMarshal.GetArrayDataReference(a), (nuint)(pad + x0)));
            }

            foreach (var a in Idle)
            {
                least = Vector512.Min(least, Vector512.LoadUnsafe(ref MemoryMarshal.GetArrayDataReference(a), (nuint)x0));
            }

            var quanta = Vector512.Create((double)(need0 - x0)) - Lanes;
            var sum = least + reduced.At(edge, quanta);
            return (uint)Vector512.ExtractMostSignificantBits(Vector512.GreaterThan(sum, Vector512.Create(limit)));
        }

        /// <summary>The least value of any run or pause state at x.</summary>
        public double Least(int x, int pad)
        {
            var least = double.PositiveInfinity;
            foreach (var a in Run)
            {
                least = Math.Min(least, a[pad + x]);
            }

            foreach (var a in Idle)
            {
                least = Math.Min(least, a[x]);
            }

            return least;
        }

        /// <summary>
        /// This layer (at edge b) from <paramref name="after"/> (at edge b + <paramref name="slots"/>) across slots that
        /// every plan within the limit pauses: runs shorter than the minimum cannot go on, a run long enough pauses (or
        /// has ended, with no work left), pauses lengthen, and nothing starts. Work left is unchanged; the band is the
        /// later one's, reaching down to x = 0 where a plan may end here with its work done (<paramref name="done"/>) or
        /// where one slot of the programme would reach it.
        /// </summary>
        public void PauseAcross(Layer after, int slots, int overhead, int pad, bool done)
        {
            var empty = after.Lo > after.Hi;
            var (from, to) = empty ? (done ? (0, 0) : (1, 0)) : (done || after.Lo <= overhead ? 0 : after.Lo, after.Hi);
            ClearOutside(from, to, pad);
            var minRun = Run.Length;
            var minPause = Idle.Length;
            if (from <= to)
            {
                var width = to - from + 1;
                for (var r = 0; r < minRun - 1; r++)
                {
                    Unreachable(Run[r], pad + from, width, from == 0 ? pad : 0);
                }

                var capped = Run[minRun - 1];
                after.Idle[Math.Min(slots - 1, minPause - 1)].AsSpan(from, width).CopyTo(capped.AsSpan(pad + from));
                if (from == 0)
                {
                    capped.AsSpan(0, pad + 1).Clear(); // done: nothing more to pay
                }

                for (var j = 0; j < minPause; j++)
                {
                    after.Idle[Math.Min(j + slots, minPause - 1)].AsSpan(from, width).CopyTo(Idle[j].AsSpan(from));
                }
            }

            NotStarted = after.NotStarted;
            (Lo, Hi) = (from, to);
        }

        /// <summary>Sets every entry of the current band that lies outside [from, to] to +∞ (before the layer is rewritten there).</summary>
        public void ClearOutside(int from, int to, int pad)
        {
            if (Lo > Hi)
            {
                return;
            }

            if (from > to)
            {
                Clear(Lo, Hi, pad);
                return;
            }

            Clear(Lo, Math.Min(Hi, from - 1), pad);
            Clear(Math.Max(Lo, to + 1), Hi, pad);
        }

        /// <summary>Sets entries [from, to] of every phase to +∞, and the run arrays' pads when x = 0 is among them.</summary>
        public void Clear(int from, int to, int pad)
        {
            if (from > to)
            {
                return;
            }

            foreach (var a in Run)
            {
                a.AsSpan(pad + from, to - from + 1).Fill(double.PositiveInfinity);
                if (from == 0)
                {
                    a.AsSpan(0, pad).Fill(double.PositiveInfinity);
                }
            }

            foreach (var a in Idle)
            {
                a.AsSpan(from, to - from + 1).Fill(double.PositiveInfinity);
            }
        }

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
            (Lo, Hi) = (1, 0);
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

        /// <summary>This thread's buffers.</summary>
        public static Scratch Current => current ??= new Scratch();

        /// <summary>Per slot of the grid: its cost, the planned level, the ticks cut from its end.</summary>
        public double[] Cost { get; private set; } = [];

        public int[] Levels { get; private set; } = [];

        public long[] Cut { get; private set; } = [];

        /// <summary>The give-back's options (rate, slot, whether it ends the last run early).</summary>
        public List<(double Rate, int Slot, bool End)> Options { get; } = [];

        /// <summary>A copy of the slot costs to reorder (the fractional bound sorts the cheapest).</summary>
        public double[] Sorted { get; private set; } = [];

        public double[] SortedFor(int n) => Sorted = Grow(Sorted, n);

        /// <summary>The cost buffer grown to <paramref name="n"/> slots (the levels with it).</summary>
        public double[] ForSlots(int n)
        {
            Cost = Grow(Cost, n);
            Levels = Grow(Levels, n);
            return Cost;
        }

        /// <summary>The cut buffer for <paramref name="n"/> slots, cleared.</summary>
        public long[] CutsFor(int n)
        {
            Cut = Grow(Cut, n);
            Cut.AsSpan(0, n).Clear();
            return Cut;
        }

        /// <summary>Where each slot's choices start, the first x they cover and how many x per row.</summary>
        public int[] Base { get; private set; } = [];

        public int[] From { get; private set; } = [];

        public int[] Width { get; private set; } = [];

        public static Scratch Get(int minRun, int minPause, int span, int pad, int slots)
        {
            var s = current ??= new Scratch();
            s.A.Grow(minRun, minPause, span, pad);
            s.B.Grow(minRun, minPause, span, pad);
            s.Base = Grow(s.Base, slots);
            s.From = Grow(s.From, slots);
            s.Width = Grow(s.Width, slots);
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

        /// <summary>The choice buffer with room for <paramref name="size"/> entries, keeping those written in this pass.</summary>
        public byte[] Choices(int size)
        {
            if (Choice.Length < size)
            {
                var grown = new byte[Math.Max(size, Choice.Length * 2)];
                Choice.CopyTo(grown, 0);
                Choice = grown;
            }

            return Choice;
        }

        private static T[] Grow<T>(T[] a, int size) => a.Length >= size ? a : new T[Math.Max(size, a.Length * 2)];
    }

    /// <summary>The programme of one job and region on its grid, in quanta.</summary>
    private readonly record struct Programme(int Slots, double[] Cost, int[] Work, int[] Nodes, int Need, int Overhead, int MinRun, int MinPause, int Top, bool Running, int MinNodes);
}
