using System.Globalization;
using CarbonFunctions.Core.Jobs;

namespace CarbonFunctions.Compute.Simulated;

/// <summary>A stretch of time during which a pool ran a fixed number of nodes.</summary>
public sealed record RunningSegment(DateTimeOffset Start, DateTimeOffset End, int Nodes);

/// <summary>
/// Writes the power telemetry of a simulated run: nvidia-smi
/// (<c>--query-gpu=timestamp,index,power.draw,utilization.gpu --format=csv</c>) for GPU pools and
/// hl-smi-like CSV (<c>--format=csv,nounits</c>) for Gaudi pools, one row per device per sample, only
/// inside running segments. Device indexes run across the pool (node k's device i is k × devices + i).
/// The same seed gives the same file, so a retried upload writes identical content.
/// </summary>
public static class SimulatedTelemetry
{
    public const string NvidiaSmiHeader = "timestamp, index, power.draw [W], utilization.gpu [%]";
    public const string HlSmiHeader = "timestamp, module_id, name, power.draw [W], utilization.aip [%]";

    /// <summary>The vendor tools print local time without offset; the simulation writes UTC and says so in the blob's metadata.</summary>
    public const string TimestampFormat = "yyyy/MM/dd HH:mm:ss.fff";

    public static int Write(TextWriter writer, AcceleratorPowerProfile profile, IEnumerable<RunningSegment> segments, TimeSpan interval, int seed)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(profile);
        ArgumentNullException.ThrowIfNull(segments);
        var gaudi = profile.Kind == PoolKind.Gaudi;
        writer.WriteLine(gaudi ? HlSmiHeader : NvidiaSmiHeader);
        var random = new Random(seed);
        var samples = 0;
        foreach (var segment in segments)
        {
            for (var t = segment.Start; t < segment.End; t += interval)
            {
                samples++;

                // A whole-pool stall (data loading, checkpoint) now and then: every device drops together, as in real training.
                var stall = random.NextDouble() < 0.05;
                var stamp = t.UtcDateTime.ToString(TimestampFormat, CultureInfo.InvariantCulture);
                for (var device = 0; device < segment.Nodes * profile.DevicesPerNode; device++)
                {
                    var utilization = Math.Clamp(stall ? 10 + (20 * random.NextDouble()) : 92 + Gaussian(random, 4), 0, 100);
                    var watts = profile.IdleWatts + ((profile.BusyWatts - profile.IdleWatts) * utilization / 100) + Gaussian(random, 8);
                    watts = Math.Clamp(watts, profile.IdleWatts * 0.9, profile.MaxWatts);
                    writer.WriteLine(gaudi
                        ? string.Create(CultureInfo.InvariantCulture, $"{stamp}, {device}, {profile.Model}, {Math.Round(watts):0}, {Math.Round(utilization):0}")
                        : string.Create(CultureInfo.InvariantCulture, $"{stamp}, {device}, {watts:0.00} W, {Math.Round(utilization):0} %"));
                }
            }
        }

        return samples;
    }

    private static double Gaussian(Random random, double sigma)
    {
        // Box–Muller: System.Random has no normal distribution.
        var u1 = 1.0 - random.NextDouble();
        var u2 = random.NextDouble();
        return sigma * Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }
}
