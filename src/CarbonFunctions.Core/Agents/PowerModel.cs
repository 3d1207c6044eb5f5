using System.Globalization;
using CarbonFunctions.Core.Jobs;

namespace CarbonFunctions.Core.Agents;

/// <summary>One device's reading in a simulated poll.</summary>
public readonly record struct DeviceReading(int Device, double Watts, double Utilization);

/// <summary>
/// The simulated power draw of training: devices near full utilization with noise, and now and then a whole-node
/// stall (data loading, checkpoint) where every device drops together, as in real training. The same
/// <see cref="Random"/> sequence gives the same readings, so a retried upload writes identical content.
/// </summary>
public static class PowerModel
{
    /// <summary>Fills <paramref name="readings"/> with one poll of <paramref name="readings"/>.Length devices numbered from <paramref name="firstDevice"/>.</summary>
    public static void Sample(AcceleratorPowerProfile profile, Random random, int firstDevice, Span<DeviceReading> readings)
    {
        ArgumentNullException.ThrowIfNull(profile);
        ArgumentNullException.ThrowIfNull(random);
        var stall = random.NextDouble() < 0.05;
        for (var i = 0; i < readings.Length; i++)
        {
            var utilization = Math.Clamp(stall ? 10 + (20 * random.NextDouble()) : 92 + Gaussian(random, 4), 0, 100);
            var watts = profile.IdleWatts + ((profile.BusyWatts - profile.IdleWatts) * utilization / 100) + Gaussian(random, 8);
            readings[i] = new DeviceReading(firstDevice + i, Math.Clamp(watts, profile.IdleWatts * 0.9, profile.MaxWatts), utilization);
        }
    }

    private static double Gaussian(Random random, double sigma)
    {
        // Box–Muller: System.Random has no normal distribution.
        var u1 = 1.0 - random.NextDouble();
        var u2 = random.NextDouble();
        return sigma * Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }
}

/// <summary>
/// Writes power readings as the vendor tools print them: nvidia-smi
/// (<c>--query-gpu=timestamp,index,power.draw,utilization.gpu --format=csv</c>) for GPUs and hl-smi
/// (<c>-Q timestamp,module_id,name,power.draw,utilization.aip -f csv,nounits</c>) for Gaudi — the formats
/// <see cref="Telemetry.TelemetryReader"/> parses.
/// </summary>
public static class SmiCsv
{
    public const string NvidiaSmiHeader = "timestamp, index, power.draw [W], utilization.gpu [%]";
    public const string HlSmiHeader = "timestamp, module_id, name, power.draw [W], utilization.aip [%]";

    /// <summary>The nvidia-smi query the agent runs (its columns match <see cref="NvidiaSmiHeader"/>).</summary>
    public const string NvidiaSmiQuery = "timestamp,index,power.draw,utilization.gpu";

    /// <summary>The hl-smi query the agent runs (its columns match <see cref="HlSmiHeader"/>).</summary>
    public const string HlSmiQuery = "timestamp,module_id,name,power.draw,utilization.aip";

    /// <summary>The vendor tools print local time without offset; simulated readings are UTC and the upload says so.</summary>
    public const string TimestampFormat = "yyyy/MM/dd HH:mm:ss.fff";

    public static string Header(PoolKind kind) => kind == PoolKind.Gaudi ? HlSmiHeader : NvidiaSmiHeader;

    /// <summary>The blob metadata value naming the format.</summary>
    public static string FormatName(PoolKind kind) => kind == PoolKind.Gaudi ? "hl-smi-csv" : "nvidia-smi-csv";

    public static string Row(AcceleratorPowerProfile profile, DateTimeOffset at, DeviceReading reading)
    {
        ArgumentNullException.ThrowIfNull(profile);
        var stamp = at.UtcDateTime.ToString(TimestampFormat, CultureInfo.InvariantCulture);
        return profile.Kind == PoolKind.Gaudi
            ? string.Create(CultureInfo.InvariantCulture, $"{stamp}, {reading.Device}, {profile.Model}, {Math.Round(reading.Watts):0}, {Math.Round(reading.Utilization):0}")
            : string.Create(CultureInfo.InvariantCulture, $"{stamp}, {reading.Device}, {reading.Watts:0.00} W, {Math.Round(reading.Utilization):0} %");
    }
}
