namespace CarbonFunctions.Core.Planning;

/// <summary>
/// Elastic pools, after CarbonScaler (Hanafy et al., SIGMETRICS 2024). Interruptible jobs: every time
/// piece offers its next node increment (paused → min nodes, then one node at a time up to max nodes);
/// the increment with the most marginal throughput per marginal power × intensity is taken first, until
/// the work plus a resume overhead per extra segment is covered. The last increment may cover only part
/// of its piece. Like CarbonScaler it does not impose a minimum run length.
/// Non-interruptible jobs never pause, so per-slot scaling is replaced by the best contiguous window
/// for each constant pool size, keeping the size with the least emissions.
/// </summary>
internal static class ElasticPolicy
{
    public static List<Run>? Plan(PlanContext c, Timeline t, bool interruptible) =>
        interruptible ? Greedy(c, t) : ConstantSize(c, t);

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

    private static List<Run>? Greedy(PlanContext c, Timeline t)
    {
        var p = t.Pieces(c.Now, c.Deadline);
        var n = p.Length;
        var level = new int[n];
        var minThroughput = c.Throughput(c.MinNodes);
        double Required(int segments) => c.Needed(segments) * minThroughput;

        double work = 0;
        var segments = 0;
        if (c.Running && n > 0)
        {
            level[0] = c.MinNodes;
            work += minThroughput * p[0].Length;
            segments = 1;
        }

        // Priority: forecast time before unknown time, then the best marginal throughput per gram, then earlier.
        var queue = new PriorityQueue<int, (int Unknown, double NegativeRatio, long Start)>(n);
        void Offer(int k)
        {
            if (level[k] >= c.MaxNodes)
            {
                return;
            }

            var (_, gain, watts) = Increment(c, level[k]);
            var ratio = gain / (watts * Math.Max(p[k].GramsPerKwh, 1e-9));
            queue.Enqueue(k, (p[k].Known ? 0 : 1, -ratio, p[k].Start));
        }

        for (var k = 0; k < n; k++)
        {
            Offer(k);
        }

        (int Piece, int Nodes, long Length)? partial = null;
        while (work < Required(segments) && queue.TryDequeue(out var k, out _))
        {
            var (next, gain, _) = Increment(c, level[k]);
            var newSegments = segments;
            if (level[k] == 0)
            {
                var left = k > 0 && level[k - 1] > 0;
                var right = k < n - 1 && level[k + 1] > 0;
                newSegments += left && right ? -1 : left || right ? 0 : 1;
            }

            var pieceWork = gain * p[k].Length;
            var shortfall = Required(newSegments) - work;
            if (pieceWork > shortfall && newSegments >= segments)
            {
                partial = (k, next, Math.Min(p[k].Length, (long)Math.Ceiling((p[k].Length * shortfall / pieceWork) - 1e-6)));
                work = Required(newSegments);
                break;
            }

            level[k] = next;
            work += pieceWork;
            segments = newSegments;
            Offer(k);
        }

        if (partial is null && work < Required(segments))
        {
            return null;
        }

        var runs = new List<Run>();
        for (var k = 0; k < n; k++)
        {
            if (partial is { } part && part.Piece == k)
            {
                // A paused piece's partial run sits next to the running neighbour, so it adds no segment.
                var atEnd = level[k] == 0 && k + 1 < n && level[k + 1] > 0 && !(k > 0 && level[k - 1] > 0);
                var split = atEnd ? p[k].End - part.Length : p[k].Start + part.Length;
                var (firstNodes, secondNodes) = atEnd ? (level[k], part.Nodes) : (part.Nodes, level[k]);
                Append(runs, new Run(p[k].Start, split, firstNodes));
                Append(runs, new Run(split, p[k].End, secondNodes));
            }
            else
            {
                Append(runs, new Run(p[k].Start, p[k].End, level[k]));
            }
        }

        return runs;
    }

    /// <summary>The next pool size from <paramref name="nodes"/>, and what that step adds in throughput and watts.</summary>
    private static (int Next, double Gain, double Watts) Increment(PlanContext c, int nodes) =>
        nodes == 0
            ? (c.MinNodes, c.Throughput(c.MinNodes), c.MinNodes * c.WattsPerNode)
            : (nodes + 1, c.Throughput(nodes + 1) - c.Throughput(nodes), c.WattsPerNode);

    private static void Append(List<Run> runs, Run run)
    {
        if (run.Nodes > 0 && run.End > run.Start)
        {
            runs.Add(run);
        }
    }
}
