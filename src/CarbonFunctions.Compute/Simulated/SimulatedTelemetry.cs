using CarbonFunctions.Core.Agents;

namespace CarbonFunctions.Compute.Simulated;

/// <summary>A stretch of time during which a pool ran a fixed number of nodes.</summary>
public sealed record RunningSegment(DateTimeOffset Start, DateTimeOffset End, int Nodes);

/// <summary>
/// Writes the power telemetry of a simulated run in the vendor tools' CSV (<see cref="SmiCsv"/>), one row per
/// device per sample, only inside running segments, with the shared <see cref="PowerModel"/>. Device indexes run
/// across the pool (node k's device i is k × devices + i). The same seed gives the same file.
/// </summary>
public static class SimulatedTelemetry
{
    public const string NvidiaSmiHeader = SmiCsv.NvidiaSmiHeader;
    public const string HlSmiHeader = SmiCsv.HlSmiHeader;
    public const string TimestampFormat = SmiCsv.TimestampFormat;

    public static int Write(TextWriter writer, AcceleratorPowerProfile profile, IEnumerable<RunningSegment> segments, TimeSpan interval, int seed)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(profile);
        ArgumentNullException.ThrowIfNull(segments);
        writer.WriteLine(SmiCsv.Header(profile.Kind));
        var random = new Random(seed);
        var samples = 0;
        foreach (var segment in segments)
        {
            var readings = new DeviceReading[segment.Nodes * profile.DevicesPerNode];
            for (var t = segment.Start; t < segment.End; t += interval)
            {
                samples++;
                PowerModel.Sample(profile, random, 0, readings);
                foreach (var reading in readings)
                {
                    writer.WriteLine(SmiCsv.Row(profile, t, reading));
                }
            }
        }

        return samples;
    }
}
