namespace CarbonFunctions.Core.Planning;

/// <summary>
/// Lower bounds on the emissions of any plan of a job in one region, so that the planner can skip the
/// exact programme of a region that cannot beat the best region found so far. The bounds relax the job
/// (no resume overhead, no minimum run or pause, slots may be used in part) and hold only where every slot
/// of the grid has one known intensity; elsewhere they are −∞ and nothing is skipped.
/// </summary>
internal static class RegionBound
{
    [ThreadStatic]
    private static double[]? scratch;

    /// <summary>The bound for an exact policy (grams at the job's node power), or −∞ where none holds.</summary>
    public static double For(string policy, PlanContext c, Timeline t) =>
        c.WattsPerNode / 1000 * (policy == "elastic" ? Elastic(c, t) : SuspendResume(c, t));

    /// <summary>Intensity × hours (per node, at min nodes) of the cheapest run time the job needs in the window: a fractional knapsack.</summary>
    public static double SuspendResume(PlanContext c, Timeline t)
    {
        var grid = SlotGrid.For(c);
        var n = grid.Count;
        if (t.PiecesAsSlots(grid.Origin, grid.Length, n) < 0 && !t.UniformOnGrid(grid.Origin, grid.Length, n))
        {
            return double.NegativeInfinity;
        }

        var cost = Costs(grid, t);
        var slots = c.RunTime / (double)grid.Length;
        var whole = (int)Math.Floor(slots);
        if (whole >= n)
        {
            return whole == n && slots == whole ? Sum(cost, n) : double.PositiveInfinity;
        }

        // After the selection, cost[0..whole) holds the `whole` cheapest slots and the cheapest of the rest is the next one.
        ThroughputHull.SelectCheapest(cost.AsSpan(0, n), whole);
        var next = double.PositiveInfinity;
        for (var i = whole; i < n; i++)
        {
            next = Math.Min(next, cost[i]);
        }

        return c.MinNodes * (Sum(cost, whole) + ((slots - whole) * next));
    }

    /// <summary>
    /// Node-count × intensity × hours of the cheapest way to do the work when every slot may mix pool sizes in
    /// time (the linear relaxation: the lower convex hull of (work, nodes) per size, filled cheapest first).
    /// </summary>
    public static double Elastic(PlanContext c, Timeline t)
    {
        var grid = SlotGrid.For(c);
        var n = grid.Count;
        if (t.PiecesAsSlots(grid.Origin, grid.Length, n) < 0 && !t.UniformOnGrid(grid.Origin, grid.Length, n))
        {
            return double.NegativeInfinity;
        }

        var cost = Costs(grid, t);

        // Hull of (0, 0) and (work per slot relative to min nodes, nodes) for every size: segments of rising cost per work.
        var sizes = c.MaxNodes - c.MinNodes + 1;
        Span<double> work = stackalloc double[sizes];
        Span<int> nodes = stackalloc int[sizes];
        var minThroughput = c.Throughput(c.MinNodes);
        for (var i = 0; i < sizes; i++)
        {
            nodes[i] = c.MinNodes + i;
            work[i] = c.Throughput(nodes[i]) / minThroughput;
        }

        Span<double> hullWidths = stackalloc double[sizes];
        Span<double> hullSlopes = stackalloc double[sizes];
        var hullSize = ThroughputHull.Segments(work, nodes, hullWidths, hullSlopes);

        return ThroughputHull.Fill(cost.AsSpan(0, n), hullWidths[..hullSize], hullSlopes[..hullSize], c.RunTime / (double)grid.Length, out _);
    }

    private static double[] Costs(SlotGrid grid, Timeline t)
    {
        var cost = scratch is { } s && s.Length >= grid.Count ? s : scratch = new double[Math.Max(grid.Count, 2 * (scratch?.Length ?? 0))];
        grid.Costs(t, cost.AsSpan(0, grid.Count));
        return cost;
    }

    private static double Sum(double[] a, int count)
    {
        double total = 0;
        for (var i = 0; i < count; i++)
        {
            total += a[i];
        }

        return total;
    }
}
