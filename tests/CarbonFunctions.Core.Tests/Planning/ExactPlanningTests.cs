using CarbonFunctions.Core.Planning;
using static CarbonFunctions.Core.Tests.Planning.PlanningFixtures;

namespace CarbonFunctions.Core.Tests.Planning;

/// <summary>
/// The suspend-resume and elastic optima against exhaustive search over every choice on the 5-minute
/// grid, on seeded random small cases with many equal intensities (so ties are common): the planner must
/// pick exactly the selection that the brute force finds, earliest-first on ties.
/// </summary>
public sealed class ExactPlanningTests
{
    private const int Slot = 5;

    public static TheoryData<int> Seeds() => [.. Enumerable.Range(1, 12)];

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Suspend_resume_picks_the_brute_force_optimum_earliest_first(int seed)
    {
        var random = new Random(seed);
        for (var round = 0; round < 40; round++)
        {
            var n = random.Next(4, 11);
            var values = Enumerable.Range(0, n).Select(_ => (double)(10 * random.Next(1, 5))).ToArray();
            var work = random.Next(1, Math.Max(2, n - 2));
            var overhead = random.Next(0, 3);
            var minRun = random.Next(0, 4);
            var allowance = random.Next(0, 3);
            var margin = random.Next(0, 2);
            var series = FiveMinute([.. values, .. Enumerable.Repeat(500.0, margin)]);
            var job = Job(TimeSpan.FromMinutes(work * Slot), Min(Slot * (n + margin)), "suspend-resume", overhead: TimeSpan.FromMinutes(overhead * Slot));
            var options = Options with
            {
                MinimumRunLength = TimeSpan.FromMinutes(minRun * Slot),
                StartupAllowance = TimeSpan.FromMinutes(allowance * Slot),
                DeadlineMargin = TimeSpan.FromMinutes(margin * Slot),
            };

            var expected = BruteForce(values, allowance, 1, levels => Feasible(levels, work, overhead, Math.Max(1, Math.Min(minRun, work)), Math.Max(1, allowance), 1, l => l));
            var plan = JobPlanner.Plan(job, Input(T0, series), options);
            var what = $"seed {seed} round {round}: [{string.Join(", ", values)}] W={work} O={overhead} M={minRun} A={allowance} margin={margin}";
            if (expected is null)
            {
                Assert.True(plan.Warning is not null, what);
                continue;
            }

            Assert.True(plan.Warning is null, what + ": " + plan.Warning);
            Assert.Equal(string.Join("", expected), string.Join("", Selection(plan, n)));

            // Only the rounding of a run padded up to the minimum run is given back, at the very end.
            var gridGrams = Grams([.. expected.Select((l, i) => (Slot * (double)l, values[i]))]);
            Assert.True(plan.ExpectedGramsCo2e <= gridGrams + 1e-9, what);
            var ran = plan.Slots.Sum(s => s.Duration.TotalMinutes);
            Assert.True(ran >= (work + (overhead * (plan.Slots.Count - 1))) * Slot - 1e-9, what);
            Assert.True(plan.End <= job.Deadline - options.DeadlineMargin, what);
        }
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Elastic_picks_the_brute_force_grid_optimum_earliest_first(int seed)
    {
        double[][] curves = [[1, 2, 3], [1, 1.5, 1.8], [1, 1.9, 2.7]];
        var random = new Random(seed);
        for (var round = 0; round < 20; round++)
        {
            var n = random.Next(3, 7);
            var values = Enumerable.Range(0, n).Select(_ => (double)(10 * random.Next(1, 5))).ToArray();
            var curve = curves[random.Next(curves.Length)];
            var work = random.Next(1, n + 2);
            var overhead = random.Next(0, 2);
            var minRun = random.Next(0, 3);
            var allowance = random.Next(0, 2);
            var job = Job(TimeSpan.FromMinutes(work * Slot), Min(Slot * n), "elastic", minNodes: 1, maxNodes: 3, throughput: curve, overhead: TimeSpan.FromMinutes(overhead * Slot));
            var options = Options with { MinimumRunLength = TimeSpan.FromMinutes(minRun * Slot), StartupAllowance = TimeSpan.FromMinutes(allowance * Slot) };
            var q = curve[1] == 2 ? 1 : 10;
            int Quanta(int nodes) => nodes == 0 ? 0 : (int)Math.Round(curve[nodes - 1] * q);

            var expected = BruteForce(values, allowance, 3, levels => Feasible(levels, work, overhead, Math.Max(1, Math.Min(minRun, work)), Math.Max(1, allowance), q, Quanta));
            var context = Context(job, options);
            var levels = ElasticPolicy.GridOptimum(context, Timeline.For(FiveMinute(values)), out _, out _);
            var what = $"seed {seed} round {round}: [{string.Join(", ", values)}] curve [{string.Join(", ", curve)}] W={work} O={overhead} M={minRun} A={allowance}";
            if (expected is null)
            {
                Assert.True(levels is null, what);
                continue;
            }

            Assert.True(levels is not null, what);
            Assert.True(string.Join("", expected.Skip(allowance)) == string.Join("", levels!), what + $": expected {string.Join("", expected.Skip(allowance))} got {string.Join("", levels!)}");

            // The plan itself never costs more than the grid optimum and does all the work before the deadline.
            var plan = JobPlanner.Plan(job, Input(T0, FiveMinute(values)), options);
            var gridGrams = expected.Select((l, i) => l * values[i] * Slot / 60.0).Sum();
            Assert.True(plan.ExpectedGramsCo2e <= gridGrams + 1e-9, what);
            var done = plan.Slots.Sum(s => curve[s.Nodes - 1] * s.Duration.TotalMinutes);
            var segments = plan.Slots.Count(s => !plan.Slots.Any(p => p.End == s.Start));
            Assert.True(done >= (work * Slot) + (overhead * Slot * (segments - 1)) - 1e-6, what + $": did {done} min of work");
            Assert.True(plan.End <= job.Deadline, what);
        }
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void The_run_and_state_bounds_never_exceed_the_cheapest_plan_through_them(int seed)
    {
        // The elastic programme skips slots whose bound exceeds its limit; a bound above a plan that runs the slot
        // would lose that plan.
        double[][] curves = [[1, 2, 3], [1, 1.5, 1.8], [1, 1.9, 2.7]];
        var random = new Random(seed);
        var excluded = 0;
        for (var round = 0; round < 20; round++)
        {
            var n = random.Next(3, 8);
            var values = Enumerable.Range(0, n).Select(_ => (double)(10 * random.Next(1, 9))).ToArray();
            var curve = curves[random.Next(curves.Length)];
            var q = curve[1] == 2 ? 1 : 10;
            int[] work = [.. curve.Select(c => (int)Math.Round(c * q))];
            int[] nodes = [1, 2, 3];
            var need = random.Next(1, n) * q;
            var overhead = random.Next(0, 2);
            var minRun = random.Next(1, 3);
            var minPause = random.Next(1, 3);
            double[] widths = new double[3], slopes = new double[3];
            var hull = ThroughputHull.Segments([.. work.Select(w => (double)w)], nodes, widths, slopes);
            _ = ThroughputHull.Fill([.. values], widths.AsSpan(0, hull), slopes.AsSpan(0, hull), need, out var price);
            var bound = ReducedCostBound.For(values, work, nodes, need, overhead * q, minRun, minPause, running: false, price);

            var cheapest = Enumerable.Repeat(double.PositiveInfinity, n).ToArray();
            var states = 1 + minRun + minPause;
            var through = Enumerable.Repeat(double.PositiveInfinity, (n + 1) * states).ToArray();
            var levels = new int[n];
            for (var code = 0; code < (int)Math.Pow(4, n); code++)
            {
                for (int i = 0, rest = code; i < n; i++, rest /= 4)
                {
                    levels[i] = rest % 4;
                }

                if (Feasible(levels, need / q, overhead, minRun, minPause, q, l => l == 0 ? 0 : work[l - 1]))
                {
                    var cost = levels.Select((l, i) => l * values[i]).Sum();
                    for (var b = 0; b < n; b++)
                    {
                        cheapest[b] = levels[b] > 0 ? Math.Min(cheapest[b], cost) : cheapest[b];
                    }

                    for (var e = 0; e <= n; e++)
                    {
                        var at = (e * states) + StateAt(levels, e, minRun, minPause);
                        through[at] = Math.Min(through[at], cost);
                    }
                }
            }

            for (var e = 0; e <= n; e++)
            {
                for (var state = 0; state < states; state++)
                {
                    Assert.True(bound.StateBound(e, state) <= through[(e * states) + state] + 1e-9, $"seed {seed} round {round} edge {e} state {state}: bound {bound.StateBound(e, state)} above {through[(e * states) + state]}");
                }
            }

            var optimum = cheapest.Min();
            for (var b = 0; b < n; b++)
            {
                var what = $"seed {seed} round {round} slot {b}: [{string.Join(", ", values)}] curve [{string.Join(", ", curve)}] W={need} O={overhead} M={minRun} P={minPause}";
                Assert.True(bound.RunBound(b) <= cheapest[b] + 1e-9, what + $": bound {bound.RunBound(b)} above {cheapest[b]}");
                excluded += bound.RunBound(b) > optimum + 1e-9 ? 1 : 0;
            }
        }

        Assert.True(excluded > 0, "the bound never excluded a slot from the optimum's limit");
    }

    [Fact]
    public void A_one_hour_overhead_takes_the_single_long_valley_over_many_short_ones()
    {
        // The case that defeated the greedy: cheap hours scattered among dear ones, each resume costing an hour.
        // Eight isolated cheap hours (20 g) and one 6-hour valley at 30 g; the job needs 6 h.
        double[] hourly = [20, 90, 20, 90, 20, 90, 20, 90, 30, 30, 30, 30, 30, 30, 90, 20, 90, 20, 90, 20, 90, 20, 90, 90];
        var series = Series(T0, TimeSpan.FromHours(1), hourly);
        var job = Job(TimeSpan.FromHours(6), T0.AddHours(24), "suspend-resume", overhead: TimeSpan.FromHours(1));

        var plan = JobPlanner.Plan(job, Input(T0, series), Options);

        var slot = Assert.Single(plan.Slots);
        Assert.Equal((T0.AddHours(8), T0.AddHours(14)), (slot.Start, slot.End));
        Assert.Equal(6 * 30, plan.ExpectedGramsCo2e!.Value, 9);
    }

    /// <summary>The state of a plan at an edge as the elastic bounds number them: 0 not started, 1 + r running r + 1 slots, 1 + minRun + j paused j + 1 slots (the last of each: at least the minimum).</summary>
    private static int StateAt(int[] levels, int edge, int minRun, int minPause)
    {
        var started = levels.Take(edge).Any(l => l > 0);
        if (!started)
        {
            return 0;
        }

        var running = levels[edge - 1] > 0;
        var length = 0;
        for (var i = edge - 1; i >= 0 && (levels[i] > 0) == running; i--)
        {
            length++;
        }

        return running ? Math.Min(length, minRun) : minRun + Math.Min(length, minPause);
    }

    private static PlanContext Context(CarbonFunctions.Core.Jobs.TrainingJob job, PlannerOptions options) => new(
        Now: T0.UtcTicks,
        Deadline: job.Deadline.UtcTicks,
        RunTime: job.EstimatedDuration.Ticks,
        Overhead: job.ResumeOverhead.Ticks,
        FirstSegmentFree: true,
        Running: false,
        MinNodes: job.Pool.MinNodes,
        MaxNodes: job.Pool.MaxNodes,
        WattsPerNode: 1000,
        RelativeThroughput: job.Pool.RelativeThroughput,
        MinimumRunLength: options.MinimumRunLength.Ticks,
        Threshold: null,
        Allowance: options.StartupAllowance.Ticks,
        Margin: options.DeadlineMargin.Ticks,
        SlotTicks: options.SlotLength.Ticks);

    /// <summary>1 for every 5-minute slot a planned slot overlaps, else 0.</summary>
    private static int[] Selection(JobPlan plan, int n) =>
        [.. Enumerable.Range(0, n).Select(i => plan.Slots.Any(s => s.Start < Min(Slot * (i + 1)) && s.End > Min(Slot * i)) ? 1 : 0)];

    /// <summary>
    /// Every level vector (0..maxLevel per slot, none before the allowance) that is feasible; the cheapest,
    /// and on ties the greatest in slot order (runs earlier, then on more nodes). Null when none is feasible.
    /// </summary>
    private static int[]? BruteForce(double[] values, int allowance, int maxLevel, Func<int[], bool> feasible)
    {
        var n = values.Length;
        int[]? best = null;
        var bestCost = double.PositiveInfinity;
        var levels = new int[n];
        var total = (long)Math.Pow(maxLevel + 1, n - allowance);
        for (long code = 0; code < total; code++)
        {
            var rest = code;
            for (var i = n - 1; i >= allowance; i--)
            {
                levels[i] = (int)(rest % (maxLevel + 1));
                rest /= maxLevel + 1;
            }

            if (!feasible(levels))
            {
                continue;
            }

            var cost = levels.Select((l, i) => l * values[i]).Sum();
            var tie = Math.Abs(cost - bestCost) <= 1e-9 * Math.Max(1, cost);
            if (best is null || (!tie && cost < bestCost) || (tie && Greater(levels, best)))
            {
                (best, bestCost) = ([.. levels], Math.Min(cost, bestCost));
            }
        }

        return best;
    }

    private static bool Greater(int[] a, int[] b)
    {
        for (var i = 0; i < a.Length; i++)
        {
            if (a[i] != b[i])
            {
                return a[i] > b[i];
            }
        }

        return false;
    }

    /// <summary>Runs of non-zero levels at least minRun long, pauses between them at least minPause, work (in quanta) covering W + O per extra run.</summary>
    private static bool Feasible(int[] levels, int work, int overhead, int minRun, int minPause, int q, Func<int, int> quanta)
    {
        var runs = new List<(int Start, int End)>();
        for (var i = 0; i < levels.Length; i++)
        {
            if (levels[i] > 0 && (i == 0 || levels[i - 1] == 0))
            {
                runs.Add((i, i + 1));
            }
            else if (levels[i] > 0)
            {
                runs[^1] = (runs[^1].Start, i + 1);
            }
        }

        if (runs.Count == 0 || runs.Any(r => r.End - r.Start < minRun))
        {
            return false;
        }

        for (var k = 1; k < runs.Count; k++)
        {
            if (runs[k].Start - runs[k - 1].End < minPause)
            {
                return false;
            }
        }

        return levels.Sum(quanta) >= q * (work + (overhead * (runs.Count - 1)));
    }
}
