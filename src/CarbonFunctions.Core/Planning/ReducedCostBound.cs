namespace CarbonFunctions.Core.Planning;

/// <summary>
/// A Lagrangian lower bound on what the work done before a slot edge cost, one that knows what the fractional
/// bound (<see cref="ThroughputHull.Fill"/>) ignores: whole slots, the minimum run, the minimum pause and the resume
/// overhead; and, from the same prices, a lower bound on every plan that runs a given slot. For a price λ per quantum, any plan that has x of its need0 quanta left at edge b cost at least
/// H_b(λ) + λ·(need0 − x), where H_b(λ) is the least of Σ (nodes × cost − λ × quanta) + λ × overhead per resume
/// over every feasible schedule of the slots before b; H comes from a forward programme over slots × (run and pause
/// phases) with no work dimension, O(slots × (minimum run + minimum pause)) per price. The price that maximises
/// the whole grid's bound H_n(λ) + λ·need0 (the Lagrangian dual, concave in λ) is found by golden-section search
/// between 0.9 and 1.6 times the fractional optimum's marginal price (three steps: a rougher maximum only loosens
/// the bound, and every step is a pass over the grid), and a few prices around it are kept; the best of them counts.
/// </summary>
internal sealed class ReducedCostBound
{
    [ThreadStatic]
    private static ReducedCostBound? current;

    private static readonly double[] PriceFactors = [0.98, 1.0, 1.01, 1.02, 1.04, 1.07];

    private double[] least = [];
    private double[] run = [];
    private double[] pause = [];
    private double[] togo = [];
    private double[] runBound = [];
    private int edges;

    /// <summary>The prices λ (per quantum) the bound was built for.</summary>
    private readonly double[] prices = new double[PriceFactors.Length];

    /// <summary>The best bound on the whole grid's cost among the prices kept (the dual near its maximum).</summary>
    public double Dual { get; private set; }

    /// <summary>
    /// Builds the bound for one grid (slot costs per node, quanta and nodes per size, overhead in quanta, minimum run
    /// and pause in slots, whether the first slot is a running pool's) around the marginal price <paramref name="price"/>.
    /// </summary>
    public static ReducedCostBound For(ReadOnlySpan<double> cost, int[] work, int[] nodes, int need, int overhead, int minRun, int minPause, bool running, double price)
    {
        var b = current ??= new ReducedCostBound();
        b.Build(cost, work, nodes, need, overhead, minRun, minPause, running, price);
        return b;
    }

    /// <summary>
    /// The bound at edge <paramref name="edge"/> for a state with need0 − x = <paramref name="quanta"/> (negative when
    /// resume overheads still owed exceed the work done; the bound holds either way).
    /// </summary>
    public double At(int edge, int quanta)
    {
        var best = double.NegativeInfinity;
        for (var i = 0; i < prices.Length; i++)
        {
            best = Math.Max(best, least[(i * edges) + edge] + (prices[i] * quanta));
        }

        return best;
    }

    private void Build(ReadOnlySpan<double> cost, int[] work, int[] nodes, int need, int overhead, int minRun, int minPause, bool running, double price)
    {
        var n = cost.Length;
        edges = n + 1;
        if (least.Length < (PriceFactors.Length + 1) * edges)
        {
            least = new double[Math.Max((PriceFactors.Length + 1) * edges, 2 * least.Length)];
        }

        run = run.Length >= minRun ? run : new double[minRun];
        pause = pause.Length >= minPause ? pause : new double[minPause];
        var scratch = least.AsSpan(PriceFactors.Length * edges, edges);

        // Golden-section search for the dual's maximum between 0.9 and 1.6 times the fractional marginal price (the
        // runs' structure only makes work dearer, so the maximum lies at or above it).
        var centre = double.IsFinite(price) && price > 0 ? price : 0;
        if (centre > 0)
        {
            const double Golden = 0.6180339887498949;
            double a = 0.9 * centre, d = 1.6 * centre;
            double x1 = d - (Golden * (d - a)), x2 = a + (Golden * (d - a));
            double f1 = DualAt(cost, work, nodes, need, overhead, minRun, minPause, running, x1, scratch);
            double f2 = DualAt(cost, work, nodes, need, overhead, minRun, minPause, running, x2, scratch);
            for (var step = 0; step < 3; step++)
            {
                if (f1 < f2)
                {
                    (a, x1, f1) = (x1, x2, f2);
                    x2 = a + (Golden * (d - a));
                    f2 = DualAt(cost, work, nodes, need, overhead, minRun, minPause, running, x2, scratch);
                }
                else
                {
                    (d, x2, f2) = (x2, x1, f1);
                    x1 = d - (Golden * (d - a));
                    f1 = DualAt(cost, work, nodes, need, overhead, minRun, minPause, running, x1, scratch);
                }
            }

            centre = f1 >= f2 ? x1 : x2;
        }

        Dual = double.NegativeInfinity;
        var best = centre;
        for (var i = 0; i < PriceFactors.Length; i++)
        {
            prices[i] = centre * PriceFactors[i];
            var dual = DualAt(cost, work, nodes, need, overhead, minRun, minPause, running, prices[i], least.AsSpan(i * edges, edges));
            if (dual > Dual)
            {
                (Dual, best) = (dual, prices[i]);
            }
        }

        RunBounds(cost, work, nodes, need, overhead, minRun, minPause, running, best);
    }

    /// <summary>
    /// A lower bound on the cost of any plan that runs slot <paramref name="slot"/> (at any size): a slot whose bound
    /// exceeds a pass's limit is paused in every plan within it.
    /// </summary>
    public double RunBound(int slot) => runBound[slot];

    /// <summary>
    /// The least Lagrangian cost of a schedule that runs each slot, at price λ: a forward pass (cost of the slots
    /// before, per state) meets a backward one (cost of the slots after, per state) at the slot's run transitions.
    /// States per edge: 0 not started, 1 + i running i + 1 slots, 1 + minRun + j paused j + 1 slots (the last of each
    /// kind: at least the minimum). A schedule may end in any state but a run shorter than the minimum.
    /// </summary>
    private void RunBounds(ReadOnlySpan<double> cost, int[] work, int[] nodes, int need, int overhead, int minRun, int minPause, bool running, double lambda)
    {
        var n = cost.Length;
        var states = 1 + minRun + minPause;
        var (runCap, pause0, pauseCap) = (minRun, 1 + minRun, minRun + minPause);
        var resume = overhead * lambda;
        var inf = double.PositiveInfinity;
        if (togo.Length < (n + 2) * states)
        {
            togo = new double[Math.Max((n + 2) * states, 2 * togo.Length)];
        }

        runBound = runBound.Length >= n ? runBound : new double[Math.Max(n, 2 * runBound.Length)];

        // Backward: togo[b * states + s] = the least cost of slots b.. from state s at edge b.
        var end = togo.AsSpan(n * states, states);
        end.Clear();
        end[1..runCap].Fill(inf);
        for (var b = n - 1; b >= 0; b--)
        {
            var slot = SlotPrice(cost[b], work, nodes, lambda);
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

        // Forward, meeting the backward values at every slot's run transitions.
        var ahead = togo.AsSpan((n + 1) * states, states); // the forward values at the current edge
        ahead.Fill(inf);
        ahead[0] = running ? inf : 0;
        for (var b = 0; b < n; b++)
        {
            var slot = SlotPrice(cost[b], work, nodes, lambda);
            var after = togo.AsSpan((b + 1) * states, states);
            var fresh = Math.Min(ahead[0], ahead[pauseCap] + resume);
            var bound = fresh + after[1];
            for (var i = 1; i <= runCap; i++)
            {
                bound = Math.Min(bound, ahead[i] + after[Math.Min(i + 1, runCap)]);
            }

            if (b == 0 && running)
            {
                bound = after[runCap]; // a running pool's stretch already lasts the minimum run
            }

            runBound[b] = bound + slot + (lambda * need);

            // Move the forward values over slot b (in place, from the last phase down).
            var ran = ahead[runCap];
            var settled = Math.Min(ahead[pauseCap], minPause == 1 ? ran : ahead[pauseCap - 1]);
            for (var j = pauseCap; j > pause0; j--)
            {
                ahead[j] = j == pauseCap ? settled : ahead[j - 1];
            }

            ahead[pause0] = minPause == 1 ? settled : ran;
            var longest = Math.Min(ran, minRun == 1 ? fresh : ahead[runCap - 1]);
            for (var i = runCap; i > 1; i--)
            {
                ahead[i] = i == runCap ? longest + slot : ahead[i - 1] + slot;
            }

            ahead[1] = minRun == 1 ? longest + slot : fresh + slot;
            if (b == 0 && running)
            {
                ahead.Fill(inf);
                ahead[runCap] = slot;
            }
        }
    }

    private static double SlotPrice(double cost, int[] work, int[] nodes, double lambda)
    {
        var slot = double.PositiveInfinity;
        for (var k = 0; k < work.Length; k++)
        {
            slot = Math.Min(slot, (nodes[k] * cost) - (lambda * work[k]));
        }

        return slot;
    }

    /// <summary>Fills <paramref name="output"/> with H_b(λ) for every edge and returns the whole grid's bound H_n(λ) + λ·need.</summary>
    private double DualAt(ReadOnlySpan<double> cost, int[] work, int[] nodes, int need, int overhead, int minRun, int minPause, bool running, double lambda, Span<double> output)
    {
        Forward(cost, work, nodes, overhead * lambda, minRun, minPause, running, lambda, output);
        return output[cost.Length] + (lambda * need);
    }

    /// <summary>
    /// States after each slot: not started (cost 0), running r + 1 slots (the last: at least the minimum run),
    /// paused j + 1 slots (the last: at least the minimum pause). out[b] = the least over every state at edge b.
    /// </summary>
    private void Forward(ReadOnlySpan<double> cost, int[] work, int[] nodes, double resume, int minRun, int minPause, bool running, double lambda, Span<double> output)
    {
        var inf = double.PositiveInfinity;
        var r = run.AsSpan(0, minRun);
        var p = pause.AsSpan(0, minPause);
        r.Fill(inf);
        p.Fill(inf);
        var notStarted = running ? inf : 0;
        output[0] = running ? inf : 0;
        for (var b = 0; b < cost.Length; b++)
        {
            var slot = inf;
            for (var k = 0; k < work.Length; k++)
            {
                slot = Math.Min(slot, (nodes[k] * cost[b]) - (lambda * work[k]));
            }

            var ran = r[minRun - 1];
            var rested = p[minPause - 1];
            var start = b == 0 && running ? 0 : Math.Min(notStarted, rested + resume);

            // Runs: a start begins one; each slot moves a run one phase on; the last phase stays.
            var longest = minRun == 1 ? Math.Min(ran, start) : Math.Min(ran, r[minRun - 2]);
            for (var i = minRun - 1; i >= 2; i--)
            {
                r[i] = i == minRun - 1 ? longest + slot : r[i - 1] + slot;
            }

            if (minRun >= 2)
            {
                r[1] = minRun == 2 ? longest + slot : r[0] + slot;
                r[0] = start + slot;
            }
            else
            {
                r[0] = longest + slot;
            }

            if (b == 0 && running)
            {
                // A running pool's stretch already lasts the minimum run.
                r.Fill(inf);
                r[minRun - 1] = slot;
            }

            // Pauses: a run long enough may pause; each slot moves a pause one phase on.
            var settled = minPause == 1 ? Math.Min(rested, ran) : Math.Min(rested, p[minPause - 2]);
            for (var j = minPause - 1; j >= 1; j--)
            {
                p[j] = j == minPause - 1 ? settled : p[j - 1];
            }

            p[0] = minPause == 1 ? settled : ran;

            var edge = notStarted;
            foreach (var v in r)
            {
                edge = Math.Min(edge, v);
            }

            foreach (var v in p)
            {
                edge = Math.Min(edge, v);
            }

            output[b + 1] = edge;
        }
    }
}
