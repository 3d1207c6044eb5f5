using System.Globalization;

namespace CarbonFunctions.Core.Telemetry;

/// <summary>
/// Reads DCGM exporter output (Prometheus text exposition), e.g. scrapes of :9400/metrics appended to a
/// file: <c>DCGM_FI_DEV_POWER_USAGE{gpu="0",...} 123.4 [timestamp_ms]</c> (W, gauge) and
/// <c>DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION</c> (mJ since boot, counter). Other metrics are ignored.
/// A device is <c>Hostname/gpu</c> when the Hostname label is present, else <c>gpu</c>.
/// </summary>
internal sealed class DcgmTextReader(TelemetryReadOptions options, TelemetryProblems problems, ITelemetrySink sink)
{
    private const string PowerMetric = "DCGM_FI_DEV_POWER_USAGE";
    private const string EnergyMetric = "DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION";

    private readonly Dictionary<string, string> _devices = new(StringComparer.Ordinal);
    private readonly HashSet<(string Device, bool Energy)> _inScrape = [];
    private long _scrape = -1;

    public long Samples { get; private set; }

    public long Read(TextReader text)
    {
        var lines = new BoundedLineReader(text, options.MaxLineLength);
        while (lines.ReadLine(out var terminated, out var tooLong) is { } line)
        {
            var number = lines.LineNumber;
            if (line.Contains('\0', StringComparison.Ordinal))
            {
                problems.Add(number, "NUL bytes (the exporter scrape was cut off); the rest of the file is ignored");
                return number;
            }

            if (tooLong)
            {
                problems.Add(number, $"line longer than {options.MaxLineLength} characters; skipped");
                continue;
            }

            var trimmed = line.AsSpan().Trim();
            if (trimmed.Length == 0 || trimmed[0] == '#')
            {
                continue;
            }

            var energy = trimmed.StartsWith(EnergyMetric, StringComparison.Ordinal);
            if (!energy && !trimmed.StartsWith(PowerMetric, StringComparison.Ordinal))
            {
                continue;
            }

            if (!terminated)
            {
                problems.Add(number, "the last line has no end of line (the file was cut off); not counted");
                continue;
            }

            ReadSample(trimmed, energy, number);
        }

        return lines.LineNumber;
    }

    private void ReadSample(ReadOnlySpan<char> line, bool energy, long number)
    {
        var metricLength = energy ? EnergyMetric.Length : PowerMetric.Length;
        var rest = line[metricLength..];
        string? gpu = null;
        string? host = null;
        if (rest.Length > 0 && rest[0] == '{')
        {
            var close = rest.IndexOf('}');
            if (close < 0)
            {
                problems.Add(number, "label set without '}'; skipped");
                return;
            }

            gpu = Label(rest[1..close], "gpu");
            host = Label(rest[1..close], "Hostname");
            rest = rest[(close + 1)..];
        }
        else if (rest.Length > 0 && rest[0] != ' ')
        {
            return; // another metric whose name starts the same way
        }

        var parts = rest.Trim();
        var space = parts.IndexOf(' ');
        var valueText = space < 0 ? parts : parts[..space];
        var stampText = space < 0 ? [] : parts[(space + 1)..].Trim();
        var metric = energy ? EnergyMetric : PowerMetric;
        if (!TelemetryValues.TryParseDecimal(valueText, out var value)
            && (!double.TryParse(valueText, NumberStyles.Float, CultureInfo.InvariantCulture, out value) || !double.IsFinite(value)))
        {
            problems.AddField(number, metric, $"value '{valueText.ToString()}' is not a number; skipped");
            return;
        }

        if (value < 0)
        {
            problems.AddField(number, metric, energy
                ? $"negative energy counter {value} mJ; sample skipped"
                : $"negative power {value} W (a meter cannot draw less than nothing); sample skipped");
            return;
        }

        var device = DeviceName(host, gpu ?? "0");
        long ticks;
        if (stampText.Length > 0)
        {
            if (!long.TryParse(stampText, NumberStyles.Integer, CultureInfo.InvariantCulture, out var ms) || ms < 0 || ms > 253_402_300_799_000)
            {
                problems.Add(number, $"timestamp '{stampText.ToString()}' is not milliseconds since 1970; skipped");
                return;
            }

            ticks = DateTime.UnixEpoch.Ticks + (ms * TimeSpan.TicksPerMillisecond);
        }
        else
        {
            // No timestamp: a scrape ends when a device's metric repeats; scrapes are PollInterval apart.
            if (options.PollStart is null || options.PollInterval is null)
            {
                problems.Add(number, "samples without a timestamp: the upload must give pollStart and pollIntervalMs; skipped");
                return;
            }

            if (_scrape < 0 || !_inScrape.Add((device, energy)))
            {
                _scrape++;
                _inScrape.Clear();
                _inScrape.Add((device, energy));
            }

            ticks = options.PollStart.Value.UtcTicks + (_scrape * options.PollInterval.Value.Ticks);
        }

        if (energy)
        {
            sink.EnergyCounter(device, ticks, value / 1000.0, number);
        }
        else
        {
            sink.Power(device, ticks, value, number);
        }

        Samples++;
    }

    private string DeviceName(string? host, string gpu)
    {
        var key = host is null ? gpu : host + "/" + gpu;
        if (!_devices.TryGetValue(key, out var name))
        {
            name = key;
            _devices[key] = name;
        }

        return name;
    }

    private static string? Label(ReadOnlySpan<char> labels, string name)
    {
        while (labels.Length > 0)
        {
            var eq = labels.IndexOf('=');
            if (eq < 0 || eq + 1 >= labels.Length || labels[eq + 1] != '"')
            {
                return null;
            }

            var key = labels[..eq].Trim();
            var valueStart = eq + 2;
            var close = labels[valueStart..].IndexOf('"');
            if (close < 0)
            {
                return null;
            }

            if (key.SequenceEqual(name))
            {
                return labels.Slice(valueStart, close).ToString();
            }

            labels = labels[(valueStart + close + 1)..].TrimStart();
            if (labels.Length > 0 && labels[0] == ',')
            {
                labels = labels[1..];
            }
        }

        return null;
    }
}
