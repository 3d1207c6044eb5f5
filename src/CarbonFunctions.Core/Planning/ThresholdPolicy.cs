namespace CarbonFunctions.Core.Planning;

/// <summary>
/// Interruptible: run while the intensity is at or below the job's threshold and pause above it, walking
/// forward from now. A run, once started, lasts at least the minimum run length. The deadline wins: a
/// stretch is skipped only if the work left (plus a resume) still fits after it; otherwise the job runs
/// from the latest start that still finishes in time, whatever the intensity. Unforecast time counts as
/// above the threshold.
/// </summary>
internal static class ThresholdPolicy
{
    public static List<Run>? Plan(PlanContext c, Timeline t, double threshold)
    {
        var p = t.Pieces(c.EarliestStart, c.LatestEnd);
        var runs = new List<Run>();
        var remaining = c.RunTime;
        var resumeCost = c.FirstSegmentFree ? 0 : c.Overhead;
        var running = false;
        long runStart = 0;
        long countsFrom = 0;
        var minimum = c.EffectiveMinimumRun;

        for (var k = 0; k < p.Length && remaining > 0; k++)
        {
            var piece = p[k];
            var clean = piece.Known && piece.GramsPerKwh <= threshold;
            long from;
            if (running)
            {
                var ranLongEnough = piece.Start - countsFrom >= minimum;
                var canAffordPause = c.LatestEnd - piece.End >= remaining + c.Overhead;
                if (!clean && ranLongEnough && canAffordPause)
                {
                    runs.Add(new Run(runStart, piece.Start, c.MinNodes));
                    running = false;
                    resumeCost = c.Overhead;
                    continue;
                }

                from = piece.Start;
            }
            else
            {
                var need = remaining + resumeCost;
                var pinned = c.Running && k == 0;
                if (clean || pinned)
                {
                    from = piece.Start;
                }
                else if (c.LatestEnd - piece.End < need)
                {
                    from = Math.Max(piece.Start, c.LatestEnd - need);
                }
                else
                {
                    continue;
                }

                running = true;
                // The stretch running now has been running for a while: it may pause at its next boundary.
                runStart = from;
                countsFrom = pinned ? long.MinValue / 2 : from;
                remaining += pinned ? 0 : resumeCost;
                resumeCost = 0;
                minimum = Math.Min(c.MinimumRunLength, remaining);
            }

            var take = Math.Min(piece.End - from, remaining);
            remaining -= take;
            if (remaining == 0)
            {
                runs.Add(new Run(runStart, from + take, c.MinNodes));
            }
        }

        return remaining > 0 ? null : runs;
    }
}
