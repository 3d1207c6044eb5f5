using CarbonFunctions.Core.Planning;

namespace CarbonFunctions.Bench.Planning.Legacy;

/// <summary>
/// LEGACY BASELINE, not used by the planner: the greedy-then-repair suspend-resume heuristic as it was in
/// src/CarbonFunctions.Core/Planning/SuspendResumePolicy.cs at commit 815431e, kept here only so that the
/// benchmarks can compare the exact programme with it in the same run (speed, allocations, share of the
/// optimum's saving). One change: it plans inside [earliest start, deadline − margin] instead of
/// [now, deadline], so that both planners work under the same start-up allowance and deadline margin.
/// It does not know the minimum pause between runs (the start-up allowance), so some of its plans pause
/// for less than the allowance; the exact programme never does.
/// Interruptible: run in the cheapest stretches before the deadline. Greedy by intensity (known time
/// before unknown, earlier on ties) until the chosen time covers the work plus a resume overhead for every
/// extra segment; then runs shorter than the minimum run length grow into their cheaper neighbour, whole
/// runs that are no longer needed are dropped (dearest first), and leftover time is trimmed from the
/// dearest run edges. The result is never worse than the best single window, which is also a valid plan.
/// </summary>
internal static class LegacySuspendResumePolicy
{
    public static List<Run>? Plan(PlanContext c, Timeline t)
    {
        var p = t.Pieces(c.EarliestStart, c.LatestEnd);
        var n = p.Length;
        var selected = new bool[n];
        long total = 0;
        var segments = 0;

        void Add(int k)
        {
            selected[k] = true;
            total += p[k].Length;
            var left = k > 0 && selected[k - 1];
            var right = k < n - 1 && selected[k + 1];
            segments += left && right ? -1 : left || right ? 0 : 1;
        }

        if (c.Running && n > 0)
        {
            Add(0);
        }

        // Sorting primitive keys is several times faster than a comparison delegate; unknown time sorts
        // after all forecast time, and equal keys are put back in time order (earlier first).
        var order = new int[n];
        var keys = new double[n];
        for (var k = 0; k < n; k++)
        {
            order[k] = k;
            keys[k] = p[k].Known ? p[k].GramsPerKwh : 1e12 + p[k].GramsPerKwh;
        }

        Array.Sort(keys, order);
        for (var i = 0; i < n;)
        {
            var j = i + 1;
            while (j < n && keys[j] == keys[i])
            {
                j++;
            }

            if (j - i > 1)
            {
                Array.Sort(order, i, j - i);
            }

            i = j;
        }
        foreach (var k in order)
        {
            if (total >= c.Needed(segments))
            {
                break;
            }

            if (!selected[k])
            {
                Add(k);
            }
        }

        if (total < c.Needed(segments))
        {
            return null;
        }

        ExtendShortRuns(c, p, selected, Add);
        var runs = Segments(c, p, selected);
        var excess = total - c.Needed(runs.Count);
        excess = DropUnneededRuns(c, runs, excess);
        TrimEdges(c, p, runs, excess);

        var plan = runs.Where(r => r.End > r.Start).Select(r => new Run(r.Start, r.End, c.MinNodes)).ToList();
        var window = BestWindowPolicy.Plan(c, t, c.MinNodes, c.SingleRunTime);
        return window is not null && t.Cost(window[0].Start, window[0].End) <= plan.Sum(r => t.Cost(r.Start, r.End)) ? window : plan;
    }

    /// <summary>Orders pieces: forecast time before unknown time, then lower intensity, then earlier.</summary>
    private static int Cheaper(Piece a, Piece b)
    {
        if (a.Known != b.Known)
        {
            return a.Known ? -1 : 1;
        }

        var byIntensity = a.GramsPerKwh.CompareTo(b.GramsPerKwh);
        return byIntensity != 0 ? byIntensity : a.Start.CompareTo(b.Start);
    }

    private static void ExtendShortRuns(PlanContext c, Piece[] p, bool[] selected, Action<int> add)
    {
        var n = p.Length;
        var minimum = c.EffectiveMinimumRun;
        var k = 0;
        while (k < n)
        {
            if (!selected[k])
            {
                k++;
                continue;
            }

            var a = k;
            var b = k;
            while (b + 1 < n && selected[b + 1])
            {
                b++;
            }

            // The stretch running now has already run for an unknown time; it is not lengthened.
            var pinned = c.Running && a == 0;
            while (!pinned && p[b].End - p[a].Start < minimum)
            {
                var left = a > 0 ? a - 1 : -1;
                var right = b + 1 < n ? b + 1 : -1;
                if (left < 0 && right < 0)
                {
                    break;
                }

                add(right < 0 ? left : left < 0 ? right : Cheaper(p[left], p[right]) <= 0 ? left : right);
                while (a > 0 && selected[a - 1])
                {
                    a--;
                }

                while (b + 1 < n && selected[b + 1])
                {
                    b++;
                }

                pinned = c.Running && a == 0;
            }

            k = b + 1;
        }
    }

    private static List<Segment> Segments(PlanContext c, Piece[] p, bool[] selected)
    {
        var runs = new List<Segment>();
        for (var k = 0; k < p.Length; k++)
        {
            if (!selected[k])
            {
                continue;
            }

            var b = k;
            double cost = 0;
            while (b + 1 < p.Length && selected[b + 1])
            {
                b++;
            }

            for (var i = k; i <= b; i++)
            {
                cost += p[i].GramsPerKwh * p[i].Length;
            }

            runs.Add(new Segment { First = k, Last = b, Start = p[k].Start, End = p[b].End, Pinned = c.Running && k == 0, Cost = cost });
            k = b;
        }

        return runs;
    }

    private static long DropUnneededRuns(PlanContext c, List<Segment> runs, long excess)
    {
        foreach (var run in runs.OrderByDescending(r => r.Cost / (r.End - r.Start)).ToList())
        {
            if (runs.Count <= 1)
            {
                break;
            }

            var saved = c.Needed(runs.Count) - c.Needed(runs.Count - 1);
            if (!run.Pinned && excess >= run.End - run.Start - saved)
            {
                runs.Remove(run);
                excess -= run.End - run.Start - saved;
            }
        }

        return excess;
    }

    private static void TrimEdges(PlanContext c, Piece[] p, List<Segment> runs, long excess)
    {
        var minimum = c.EffectiveMinimumRun;
        while (excess > 0)
        {
            Segment? best = null;
            var fromLeft = false;
            long amount = 0;
            Piece bestPiece = default;
            foreach (var run in runs)
            {
                var room = Math.Min(excess, run.End - run.Start - minimum);
                if (room <= 0)
                {
                    continue;
                }

                var right = p[run.Last];
                var rightUsable = Math.Min(room, run.End - Math.Max(right.Start, run.Start));
                if (rightUsable > 0 && (best is null || Cheaper(bestPiece, right) < 0))
                {
                    (best, fromLeft, amount, bestPiece) = (run, false, rightUsable, right);
                }

                var left = p[run.First];
                var leftUsable = Math.Min(room, Math.Min(left.End, run.End) - run.Start);
                if (!run.Pinned && leftUsable > 0 && (best is null || Cheaper(bestPiece, left) < 0))
                {
                    (best, fromLeft, amount, bestPiece) = (run, true, leftUsable, left);
                }
            }

            if (best is null)
            {
                return; // every run is at the minimum length: the job finishes a little early in its last run
            }

            if (fromLeft)
            {
                best.Start += amount;
                while (best.First < best.Last && best.Start >= p[best.First].End)
                {
                    best.First++;
                }
            }
            else
            {
                best.End -= amount;
                while (best.Last > best.First && best.End <= p[best.Last].Start)
                {
                    best.Last--;
                }
            }

            excess -= amount;
        }
    }

    private sealed class Segment
    {
        public int First { get; set; }

        public int Last { get; set; }

        public long Start { get; set; }

        public long End { get; set; }

        public bool Pinned { get; init; }

        public double Cost { get; init; }
    }
}
