using System.Text.Json;

namespace CarbonFunctions.Core.Telemetry;

/// <summary>
/// Reads JSON lines: <c>{"timestamp":"2026-01-05T10:00:00Z","device":"0","powerWatts":250.5}</c>.
/// The timestamp may be ISO 8601 (local times use the job's zone) or epoch seconds / milliseconds;
/// <c>energyJoules</c> (a cumulative counter) may stand in for or accompany <c>powerWatts</c>.
/// </summary>
internal sealed class JsonLinesReader(TelemetryReadOptions options, TelemetryValues values, TelemetryProblems problems, ITelemetrySink sink)
{
    private readonly Dictionary<string, string> _devices = new(StringComparer.Ordinal);

    public long Samples { get; private set; }

    public long Read(TextReader text)
    {
        var lines = new BoundedLineReader(text, options.MaxLineLength);
        while (lines.ReadLine(out var terminated, out var tooLong) is { } line)
        {
            var number = lines.LineNumber;
            if (line.Contains('\0', StringComparison.Ordinal))
            {
                problems.Add(number, "NUL bytes (the poller was killed while writing); the rest of the file is ignored");
                return number;
            }

            if (tooLong)
            {
                problems.Add(number, $"line longer than {options.MaxLineLength} characters; skipped");
                continue;
            }

            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            // JSON is self-delimiting: a last line without an end of line counts when it is a whole object (many
            // writers omit the final newline); only a line cut off mid-object is dropped.
            if (!terminated && !IsWholeJson(line))
            {
                problems.Add(number, "the last line has no end of line and is not a whole JSON object (the file was cut off); not counted");
                continue;
            }

            ReadLine(line, number);
        }

        return lines.LineNumber;
    }

    private static bool IsWholeJson(string line)
    {
        try
        {
            using var document = JsonDocument.Parse(line);
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private void ReadLine(string line, long number)
    {
        try
        {
            using var document = JsonDocument.Parse(line);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                problems.Add(number, "not a JSON object; skipped");
                return;
            }

            if (!root.TryGetProperty("timestamp", out var stamp) || !TryTimestamp(stamp, out var ticks))
            {
                problems.Add(number, "missing or unreadable 'timestamp'; skipped");
                return;
            }

            var device = root.TryGetProperty("device", out var d) ? d.ValueKind switch
            {
                JsonValueKind.String => d.GetString(),
                JsonValueKind.Number => d.GetRawText(),
                _ => null,
            } : "0";
            if (string.IsNullOrEmpty(device))
            {
                problems.Add(number, "'device' must be a string or a number; skipped");
                return;
            }

            if (!_devices.TryGetValue(device, out var name))
            {
                _devices[device] = name = device;
            }

            var found = false;
            if (root.TryGetProperty("energyJoules", out var energy) && energy.ValueKind == JsonValueKind.Number)
            {
                var joules = energy.GetDouble();
                if (joules < 0)
                {
                    problems.AddField(number, "energyJoules", $"negative energy counter {joules} J; sample skipped");
                    return;
                }

                sink.EnergyCounter(name, ticks, joules, number);
                found = true;
            }

            if (root.TryGetProperty("powerWatts", out var power) && power.ValueKind == JsonValueKind.Number)
            {
                var watts = power.GetDouble();
                if (watts is < 0 or > 10_000)
                {
                    problems.AddField(number, "powerWatts", watts < 0
                        ? $"negative power {watts} W (a meter cannot draw less than nothing); sample skipped"
                        : $"power {watts} W is above 10000 W; sample skipped");
                    return;
                }

                sink.Power(name, ticks, watts, number);
                found = true;
            }

            if (!found)
            {
                problems.Add(number, "no numeric 'powerWatts' (or 'energyJoules'); skipped");
                return;
            }

            Samples++;
        }
        catch (JsonException)
        {
            problems.Add(number, "not valid JSON; skipped");
        }
    }

    private bool TryTimestamp(JsonElement stamp, out long ticks)
    {
        ticks = 0;
        return stamp.ValueKind switch
        {
            JsonValueKind.String => values.TryParseTimestamp(stamp.GetString(), out ticks),
            JsonValueKind.Number => values.TryParseTimestamp(stamp.GetRawText(), out ticks),
            _ => false,
        };
    }
}
