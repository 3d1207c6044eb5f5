using System.Runtime.Intrinsics;

namespace CarbonFunctions.Core.Planning;

/// <summary>
/// A Lagrangian lower bound on what the work done before a slot edge cost, one that knows what the fractional
/// bound (<see cref="ThroughputHull.Fill"/>) ignores: whole slots, the minimum run, the minimum pause and the resume
/// overhead; and, from the same prices, a lower bound on every plan that runs a given slot.
/// </summary>
/// <remarks>
/// For a price λ per quantum, any plan that has x of its need0 quanta left at edge b cost at least
/// H_b(λ) + λ·(need0 − x), where H_b(λ) is the least of Σ (nodes × cost − λ × quanta) + λ × overhead per resume over
/// every feasible schedule of the slots before b; H comes from a forward programme over slots × (run and pause
/// phases) with no work dimension, O(slots × (minimum run + minimum pause)) per price. The whole grid's bound
/// L(λ) = H_n(λ) + λ·need0 (the Lagrangian dual) is concave and piecewise linear in λ, with slope need0 minus the
/// credited work of the cheapest schedule; its maximum is found by cutting planes (the next price is where the
/// tangents at the two ends of the bracket meet), which lands on a kink in a few passes. Every price tried is kept:
/// they lie around the maximum, and for each state the best of them counts.
/// </remarks>
internal sealed class ReducedCostBound
{
    /// <summary>Passes over the grid the search may make (each price tried is kept for <see cref="At"/>).</summary>
    private const int MaxPrices = 7;

    /// <summary>How close to the dual's maximum the search stops (relative): well under the programme's first step above it (1e-3).</summary>
    private const double DualTolerance = 3e-4;

    [ThreadStatic]
    private static ReducedCostBound? current;

    private readonly double[] prices = new double[MaxPrices];
    private double[] least = [];
    private double[] values = [];
    private double[] credits = [];
    private double[] togo = [];
    private double[] runBound = [];
    private (double Price, double Work)[] slots = [];
    private int edges;
    private int stateStride;
    private double finalNeed;
    private double beat;
    private int kept;

    /// <summary>The best bound on the whole grid's cost among the prices kept (the dual at or near its maximum).</summary>
    public double Dual { get; private set; }

    /// <summary>
    /// Builds the bound for one grid (slot costs per node, quanta and nodes per size, overhead in quanta, minimum run
    /// and pause in slots, whether the first slot is a running pool's), starting from the marginal price
    /// <paramref name="price"/> of the fractional bound.
    /// </summary>
    /// <remarks>
    /// With <paramref name="finalNeed"/> it also bounds the plan as run (<see cref="FinalBound"/>), and stops as soon as
    /// that bound exceeds <paramref name="beat"/> (<see cref="Beaten"/>; the other bounds are then not built).
    /// </remarks>
    public static ReducedCostBound For(ReadOnlySpan<double> cost, int[] work, int[] nodes, int need, int overhead, int minRun, int minPause, bool running, double price, double finalNeed = double.NaN, double beat = double.PositiveInfinity)
    {
        var b = current ??= new ReducedCostBound();
        (b.finalNeed, b.beat) = (finalNeed, beat);
        b.Build(new Grid(cost, work, nodes, need, overhead, minRun, minPause, running), price);
        return b;
    }

    /// <summary>True when <see cref="FinalBound"/> came out above the plan to beat: nothing else was built.</summary>
    public bool Beaten => FinalBound > beat;

    /// <summary>
    /// A lower bound on the cost of the plan as it is run, after the work over from whole slots is given back (the last
    /// run may end inside its last slot, slots may end a node smaller), or −∞ when no need was given for it. It holds
    /// when every slot has one intensity and the overhead is a whole number of slots: the give-back only takes parts
    /// of slots away, so a schedule whose last slot counts at most min(0, its price) and that needs only the exact
    /// work (<c>finalNeed</c> quanta, not rounded up to slots) is a relaxation of every such plan.
    /// </summary>
    public double FinalBound { get; private set; }

    /// <summary>
    /// The bound at edge <paramref name="edge"/> for a state with need0 − x = <paramref name="quanta"/> (negative when
    /// resume overheads still owed exceed the work done; the bound holds either way).
    /// </summary>
    public double At(int edge, int quanta)
    {
        var best = double.NegativeInfinity;
        for (var i = 0; i < kept; i++)
        {
            best = Math.Max(best, least[(i * edges) + edge] + (prices[i] * quanta));
        }

        return best;
    }

    /// <summary><see cref="At(int, int)"/> for eight states at once (the same arithmetic in every lane).</summary>
    public Vector512<double> At(int edge, Vector512<double> quanta)
    {
        var best = Vector512.Create(double.NegativeInfinity);
        for (var i = 0; i < kept; i++)
        {
            best = Vector512.Max(best, Vector512.Create(least[(i * edges) + edge]) + (Vector512.Create(prices[i]) * quanta));
        }

        return best;
    }

    /// <summary>
    /// A lower bound on the cost of any plan that runs slot <paramref name="slot"/> (at any size): a slot whose bound
    /// exceeds a pass's limit is paused in every plan within it.
    /// </summary>
    public double RunBound(int slot) => runBound[slot];

    /// <summary>
    /// A lower bound on the cost of any plan that passes through state <paramref name="state"/> at edge
    /// <paramref name="edge"/> (0 not started, 1 + r running r + 1 slots, 1 + minRun + j paused j + 1 slots).
    /// </summary>
    public double StateBound(int edge, int state) => togo[(edge * stateStride) + state];

    private void Build(Grid g, double price)
    {
        var n = g.Cost.Length;
        edges = n + 1;
        if (least.Length < MaxPrices * edges)
        {
            least = new double[Math.Max(MaxPrices * edges, 2 * least.Length)];
        }

        values = values.Length >= g.States ? values : new double[g.States];
        credits = credits.Length >= g.States ? credits : new double[g.States];
        kept = 0;
        Dual = double.NegativeInfinity;
        FinalBound = double.NegativeInfinity;
        var best = 0.0;
        var start = double.IsFinite(price) && price > 0 ? price : 0;
        var (dual, slope) = Try(g, start, ref best);
        if (start > 0 && slope != 0 && !Beaten)
        {
            // Bracket the maximum, close by first (it usually lies within a few percent of the fractional price): the
            // slope is need0 minus the credited work of the cheapest schedule, and falls as λ rises.
            var (a, la, ga) = slope > 0 ? (start, dual, slope) : (double.NaN, double.NaN, double.NaN);
            var (b, lb, gb) = slope < 0 ? (start, dual, slope) : (double.NaN, double.NaN, double.NaN);
            ReadOnlySpan<double> reach = [0.03, 0.1, 0.3, 1];
            foreach (var r in reach)
            {
                if ((!double.IsNaN(a) && !double.IsNaN(b)) || kept >= MaxPrices - 1 || Beaten)
                {
                    break;
                }

                var next = slope > 0 ? start * (1 + r) : start * (1 - r);
                var (l, s) = Try(g, next, ref best);
                if (s > 0)
                {
                    (a, la, ga) = (next, l, s);
                }
                else
                {
                    (b, lb, gb) = (next, l, s);
                }
            }

            // Cutting planes: try where the tangents at a and b meet; a point on both tangents is the maximum.
            while (!double.IsNaN(a) && !double.IsNaN(b) && ga > 0 && gb < 0 && kept < MaxPrices && !Beaten)
            {
                var next = (lb - la + (ga * a) - (gb * b)) / (ga - gb);
                if (!(next > a && next < b))
                {
                    break;
                }

                // The tangents meet above the maximum: once that is within a hair of the best found, stop.
                var ceiling = la + (ga * (next - a));
                if (ceiling - Dual <= DualTolerance * Math.Max(1, Math.Abs(Dual)))
                {
                    break;
                }

                var (l, s) = Try(g, next, ref best);
                if (ceiling - l <= 1e-12 * Math.Max(1, Math.Abs(l)) || s == 0)
                {
                    break;
                }

                if (s > 0)
                {
                    (a, la, ga) = (next, l, s);
                }
                else
                {
                    (b, lb, gb) = (next, l, s);
                }
            }
        }

        if (!Beaten)
        {
            RunBounds(g, best);
        }
    }

    /// <summary>One price: its H_b in a new row of <see cref="least"/>, the dual there and its slope; keeps the best price.</summary>
    private (double Dual, double Slope) Try(Grid g, double lambda, ref double best)
    {
        var row = kept++;
        prices[row] = lambda;
        var output = least.AsSpan(row * edges, edges);
        var v = values.AsSpan(0, g.States);
        var k = credits.AsSpan(0, g.States);
        v.Fill(double.PositiveInfinity);
        k.Clear();
        v[0] = g.Running ? double.PositiveInfinity : 0;
        output[0] = v[0];
        var resume = g.Overhead * lambda;
        var partialEnd = double.PositiveInfinity; // the least schedule whose last slot runs in part, if at all
        var ending = Math.Max(1, g.RunCap - 1); // the run states whose next slot can close a run of the minimum
        for (var b = 0; b < g.Cost.Length; b++)
        {
            var (slot, slotWork) = g.Slot(b, lambda);
            if (!double.IsNaN(finalNeed))
            {
                var before = b == 0 && g.Running ? 0 : g.RunCap == 1 ? g.Fresh(v, k, resume).Value : double.PositiveInfinity;
                for (var i = ending; i <= g.RunCap; i++)
                {
                    before = Math.Min(before, v[i]);
                }

                partialEnd = Math.Min(partialEnd, before + Math.Min(0, slot));
            }

            if (b == 0 && g.Running)
            {
                // A running pool's stretch already lasts the minimum run.
                v[g.RunCap] = slot;
                k[g.RunCap] = slotWork;
            }
            else
            {
                g.Advance(v, k, slot, slotWork, resume);
            }

            output[b + 1] = Least(v, out _);
        }

        var end = Least(v, out var at);
        var dual = end + (lambda * g.Need);
        if (!double.IsNaN(finalNeed))
        {
            FinalBound = Math.Max(FinalBound, Math.Min(end, partialEnd) + (lambda * finalNeed));
        }

        if (dual > Dual)
        {
            (Dual, best) = (dual, lambda);
        }

        return (dual, g.Need - k[at]);
    }

    /// <summary>
    /// The least Lagrangian cost of a schedule that runs each slot, at price λ: the forward values (the slots before,
    /// per state) meet backward ones (the slots after, per state) at the slot's run transitions. A schedule may end
    /// in any state but a run shorter than the minimum.
    /// </summary>
    private void RunBounds(Grid g, double lambda)
    {
        var (n, states, runCap, pause0, pauseCap) = (g.Cost.Length, g.States, g.RunCap, g.Pause0, g.PauseCap);
        var resume = g.Overhead * lambda;
        var inf = double.PositiveInfinity;
        if (togo.Length < (n + 1) * states)
        {
            togo = new double[Math.Max((n + 1) * states, 2 * togo.Length)];
        }

        runBound = runBound.Length >= n ? runBound : new double[Math.Max(n, 2 * runBound.Length)];
        slots = slots.Length >= n ? slots : new (double, double)[Math.Max(n, 2 * slots.Length)];

        // Backward: togo[b * states + s] = the least cost of slots b.. from state s at edge b.
        var end = togo.AsSpan(n * states, states);
        end.Clear();
        end[1..runCap].Fill(inf);
        for (var b = n - 1; b >= 0; b--)
        {
            slots[b] = g.Slot(b, lambda);
            var slot = slots[b].Price;
            var after = togo.AsSpan((b + 1) * states, states);
            var here = togo.AsSpan(b * states, states);
            var start = slot + after[1];
            here[0] = Math.Min(after[0], start);
            for (var i = 1; i < runCap; i++)
            {
                here[i] = slot + after[i + 1];
            }

            here[runCap] = Math.Min(slot + after[runCap], after[pause0]);
            for (var j = pause0; j < pauseCap; j++)
            {
                here[j] = after[j + 1];
            }

            here[pauseCap] = Math.Min(after[pauseCap], resume + start);
        }

        // Forward, meeting the backward values at every slot's run transitions; at each edge the forward value of a
        // state is added to its cost to go (no longer needed there) for the bound through that state.
        var v = values.AsSpan(0, states);
        var k = credits.AsSpan(0, states);
        v.Fill(inf);
        v[0] = g.Running ? inf : 0;
        var need = lambda * g.Need;
        for (var b = 0; b <= n; b++)
        {
            var here = togo.AsSpan(b * states, states);
            for (var i = 0; i < states; i++)
            {
                here[i] += v[i] + need;
            }

            if (b == n)
            {
                break;
            }

            var (slot, slotWork) = slots[b];
            var after = togo.AsSpan((b + 1) * states, states);
            var bound = g.Fresh(v, k, resume).Value + after[1];
            for (var i = 1; i <= runCap; i++)
            {
                bound = Math.Min(bound, v[i] + after[Math.Min(i + 1, runCap)]);
            }

            if (b == 0 && g.Running)
            {
                bound = after[runCap]; // a running pool's stretch already lasts the minimum run
                v[runCap] = slot;
            }
            else
            {
                g.Advance(v, k, slot, slotWork, resume);
            }

            runBound[b] = bound + slot + need;
        }

        stateStride = states;
    }

    private static double Least(ReadOnlySpan<double> v, out int at)
    {
        at = 0;
        for (var i = 1; i < v.Length; i++)
        {
            at = v[i] < v[at] ? i : at;
        }

        return v[at];
    }

    /// <summary>
    /// One grid's programme without the work dimension. States per edge: 0 not started, 1 + i running i + 1 slots,
    /// 1 + minRun + j paused j + 1 slots (the last of each kind: at least the minimum).
    /// </summary>
    private readonly ref struct Grid(ReadOnlySpan<double> cost, int[] work, int[] nodes, int need, int overhead, int minRun, int minPause, bool running)
    {
        public ReadOnlySpan<double> Cost { get; } = cost;

        public int Need { get; } = need;

        public int Overhead { get; } = overhead;

        public bool Running { get; } = running;

        public int States => 1 + minRun + minPause;

        public int RunCap => minRun;

        public int Pause0 => minRun + 1;

        public int PauseCap => minRun + minPause;

        /// <summary>The cheapest size of slot b at price λ: nodes × cost − λ × quanta, and its quanta.</summary>
        public (double Price, double Work) Slot(int b, double lambda)
        {
            var (price, quanta) = (double.PositiveInfinity, 0.0);
            for (var i = 0; i < work.Length; i++)
            {
                var p = (nodes[i] * Cost[b]) - (lambda * work[i]);
                (price, quanta) = p < price ? (p, work[i]) : (price, quanta);
            }

            return (price, quanta);
        }

        /// <summary>
        /// Moves the forward values over one slot, with the credited work (quanta less overhead per resume) of the
        /// cheapest path to each state: a start begins a run, runs move one phase on (the last stays), a run long
        /// enough may pause, pauses move one phase on, and a pause long enough may resume.
        /// </summary>
        public void Advance(Span<double> v, Span<double> k, double slot, double slotWork, double resume)
        {
            var (runCap, pause0, pauseCap) = (RunCap, Pause0, PauseCap);
            var (fresh, freshCredit) = Fresh(v, k, resume);
            var (ran, ranCredit) = (v[runCap], k[runCap]);
            var (settled, settledCredit) = Cheaper(v[pauseCap], k[pauseCap], minPause == 1 ? ran : v[pauseCap - 1], minPause == 1 ? ranCredit : k[pauseCap - 1]);
            for (var j = pauseCap; j > pause0; j--)
            {
                (v[j], k[j]) = j == pauseCap ? (settled, settledCredit) : (v[j - 1], k[j - 1]);
            }

            (v[pause0], k[pause0]) = minPause == 1 ? (settled, settledCredit) : (ran, ranCredit);
            var (longest, longestCredit) = Cheaper(ran, ranCredit, minRun == 1 ? fresh : v[runCap - 1], minRun == 1 ? freshCredit : k[runCap - 1]);
            for (var i = runCap; i > 1; i--)
            {
                (v[i], k[i]) = i == runCap ? (longest + slot, longestCredit + slotWork) : (v[i - 1] + slot, k[i - 1] + slotWork);
            }

            (v[1], k[1]) = minRun == 1 ? (longest + slot, longestCredit + slotWork) : (fresh + slot, freshCredit + slotWork);
        }

        /// <summary>The cheapest way to run a slot from outside a run: start fresh, or resume a pause long enough.</summary>
        public (double Value, double Credit) Fresh(ReadOnlySpan<double> v, ReadOnlySpan<double> k, double resume) =>
            v[PauseCap] + resume < v[0] ? (v[PauseCap] + resume, k[PauseCap] - Overhead) : (v[0], k[0]);

        private static (double Value, double Credit) Cheaper(double a, double ka, double b, double kb) => b < a ? (b, kb) : (a, ka);
    }
}
