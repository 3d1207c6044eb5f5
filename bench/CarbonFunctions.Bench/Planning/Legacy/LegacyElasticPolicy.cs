using CarbonFunctions.Core.Planning;

namespace CarbonFunctions.Bench.Planning.Legacy;

/// <summary>
/// LEGACY BASELINE, not used by the planner: the elastic greedy as it was in
/// src/CarbonFunctions.Core/Planning/ElasticPolicy.cs at commit 815431e (after CarbonScaler, Hanafy et al.,
/// SIGMETRICS 2024), kept here only so that the benchmarks can compare the exact programme with it in the same run
/// (speed, allocations, share of the optimum's saving). One change, as for the suspend-resume baseline: it plans
/// inside [earliest start, deadline − margin] instead of [now, deadline]. It knows neither the minimum run length nor
/// the minimum pause (the start-up allowance), so some of its plans are ones the exact programme may not make.
/// Interruptible jobs only: every time piece offers its next node increment (paused → min nodes, then one node at a
/// time up to max nodes); the increment with the most marginal throughput per marginal power × intensity is taken
/// first, until the work plus a resume overhead per extra segment is covered; the last increment may cover only part
/// of its piece.
/// </summary>
internal static class LegacyElasticPolicy
{
    public static List<Run>? Plan(PlanContext c, Timeline t)
    {
        var p = t.Pieces(c.EarliestStart, c.LatestEnd);
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
