namespace CarbonFunctions.Core.Reporting;

/// <summary>A one-line chart of a series in Unicode block characters (▁ lowest … █ highest), for terminals.</summary>
public static class Sparkline
{
    private const string Blocks = "▁▂▃▄▅▆▇█";

    /// <summary>
    /// One block per value, or per bucket of consecutive values (their mean) when there are more values than
    /// <paramref name="width"/>. The lowest value maps to ▁ and the highest to █; a flat series is all ▄.
    /// </summary>
    public static string Render(IReadOnlyList<double> values, int width)
    {
        ArgumentNullException.ThrowIfNull(values);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        if (values.Count == 0)
        {
            return string.Empty;
        }

        var buckets = Math.Min(width, values.Count);
        var means = new double[buckets];
        for (var b = 0; b < buckets; b++)
        {
            // Bucket b holds values [b·n/k, (b+1)·n/k): every value in exactly one bucket, sizes differing by at most one.
            var from = (int)((long)b * values.Count / buckets);
            var to = (int)((long)(b + 1) * values.Count / buckets);
            var sum = 0.0;
            for (var i = from; i < to; i++)
            {
                sum += values[i];
            }

            means[b] = sum / (to - from);
        }

        var min = means.Min();
        var max = means.Max();
        var chars = new char[buckets];
        for (var b = 0; b < buckets; b++)
        {
            chars[b] = max - min < 1e-9 ? Blocks[3] : Blocks[(int)Math.Round((means[b] - min) / (max - min) * (Blocks.Length - 1))];
        }

        return new string(chars);
    }
}
