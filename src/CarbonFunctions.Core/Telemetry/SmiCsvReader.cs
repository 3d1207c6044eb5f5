namespace CarbonFunctions.Core.Telemetry;

/// <summary>
/// Streams nvidia-smi and hl-smi CSV (<c>--format=csv</c> with units, <c>nounits</c>, <c>noheader</c>)
/// through <see cref="Utf8CsvRowReader"/> on the UTF-8 bytes (these tools never quote); once the layout is known,
/// only the fields up to its last used column are split. The power column preferred is <c>power.draw.average</c>, then
/// <c>power.draw</c>, then <c>power.draw.instant</c>: a short average integrates better between polls than
/// one instantaneous reading, and a row whose preferred value is [N/A] falls back to the next column.
/// A part of a file (<see cref="SmiCsvParts"/>) is read with the layout of the file's header given.
/// </summary>
internal sealed class SmiCsvReader(TelemetryReadOptions options, TelemetryValues values, TelemetryProblems problems, ITelemetrySink sink, SmiCsvReader.Layout? layout = null)
{
    private static readonly string[] PowerPreference = ["power.draw.average", "power.draw", "power.draw.instant"];
    private static readonly string[] DevicePreference = ["index", "module_id", "uuid", "pci.bus_id", "bus_id", "serial"];

    private readonly List<string> _deviceNames = [];
    private readonly List<(byte[] Utf8, string Name)> _deviceKeys = [];
    private readonly HashSet<string> _devicesInPoll = new(StringComparer.Ordinal);

    private Layout? _layout = layout;
    private long _pollIndex = -1;
    private long _pollFirstTicks;
    private int _rowInPoll;
    private bool _boundary = true;
    private Pending _pending;
    private long _samples;

    public TelemetryFormat Format { get; private set; } = TelemetryFormat.NvidiaSmiCsv;

    public long Samples => _samples;

    /// <summary>True when a line ended the read before the end of the stream (NUL bytes, no usable layout).</summary>
    public bool Stopped { get; private set; }

    /// <summary>
    /// The layout a file's first line gives when it is a header with timestamp and device columns: then no row
    /// depends on the rows before it (polls are told apart only without those columns), so parts of the file can
    /// be read apart. Null otherwise, and for anything the one-pass read would report on that line.
    /// </summary>
    public static (Layout Layout, int HeaderBytes)? PartLayout(ReadOnlySpan<byte> prefix, TelemetryReadOptions options)
    {
        var end = prefix.IndexOf((byte)'\n');
        if (end < 0 || end > options.MaxLineLength)
        {
            return null;
        }

        var csv = new Utf8CsvRowReader(new MemoryStream(prefix[..(end + 1)].ToArray()), options.MaxLineLength);
        var probe = new TelemetryProblems(0);
        var reader = new SmiCsvReader(options, new TelemetryValues(options.TimeZone), probe, NoSamples.Instance);
        if (!csv.Read() || csv.TooLong || !IsHeader(csv) || reader.FromHeader(csv, 1) is not { } header || probe.Count > 0)
        {
            return null;
        }

        return header is { Timestamp: >= 0, Device: >= 0 } ? (header, end + 1) : null;
    }

    // The loop runs once per row of files of millions of rows, and a CLI run is over in a second: compiled
    // fully optimised at once rather than starting in tier-0 code and waiting to be promoted.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public long Read(TelemetryStream stream, long linesBefore = 0, bool fileStart = true)
    {
        var csv = new Utf8CsvRowReader(stream, options.MaxLineLength, linesBefore, fileStart);
        var line = linesBefore;
        while (csv.Read(_layout?.LastUsed + 1 ?? Utf8CsvRowReader.MaxFields))
        {
            line = csv.RowNumber;
            if (!ReadRow(csv, stream, line))
            {
                Stopped = true;
                return line;
            }
        }

        if (_pending.Valid)
        {
            if (stream.EndedWithNewline)
            {
                Flush();
            }
            else
            {
                problems.Add(_pending.Line, "the last line has no end of line (the file was cut off); its sample is not counted");
            }
        }

        if (_layout is null)
        {
            problems.Add(0, "no rows with power readings were found");
        }

        return line;
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private bool ReadRow(Utf8CsvRowReader csv, TelemetryStream stream, long line)
    {
        if (csv.TooLong)
        {
            Flush();
            problems.Add(line, $"line longer than {options.MaxLineLength} characters (garbage or a NUL-padded tail); skipped");
            return true;
        }

        // NUL bytes are looked for on each line only once the stream has seen one (a killed poller's tail).
        var nul = stream.SawNul ? csv.Line.IndexOf((byte)0) : -1;
        if (nul >= 0)
        {
            // Completed rows before this one ended with a newline, so they stand.
            Flush();
            var whole = System.Text.Encoding.UTF8.GetString(csv.Line);
            nul = whole.IndexOf('\0', StringComparison.Ordinal);
            problems.Add(line, whole.Trim('\0').Trim().Length == 0 || whole[..nul].Trim().Length == 0
                ? "NUL bytes from here on (the poller was killed while writing); the rest of the file is ignored"
                : "line cut off by NUL bytes (the poller was killed while writing); it and the rest of the file are ignored");
            return false;
        }

        var fields = csv.FieldCount;
        if (fields == 1 && IsBlank(csv.Field(0)))
        {
            _boundary = true;
            return true;
        }

        if (_layout is null)
        {
            _layout = IsHeader(csv) ? FromHeader(csv, line) : FromFirstRow(csv, line);
            if (_layout is null)
            {
                return false;
            }

            Format = _layout.Format;
            if (_layout.IsHeader)
            {
                return true;
            }
        }
        else if (_layout.IsHeader && !StartsWithDigit(csv.Line) && IsHeader(csv))
        {
            // Pollers that append one hl-smi/nvidia-smi run per poll repeat the header each time.
            _boundary = true;
            return true;
        }

        var layout = _layout;
        if (fields < layout.FieldCount)
        {
            problems.Add(line, $"has {fields} fields, expected {layout.FieldCount} (cut off or garbage); skipped");
            return true;
        }

        long ticks = 0;
        if (layout.Timestamp >= 0)
        {
            var stamp = csv.Field(layout.Timestamp);
            if (!values.TryParseTimestamp(stamp, out ticks))
            {
                problems.AddField(line, "timestamp", $"'{Shorten(stamp)}' is not a timestamp; skipped");
                return true;
            }
        }

        double watts = 0;
        var found = false;
        foreach (var column in layout.Power)
        {
            var text = csv.Field(column);
            if (!TelemetryValues.TryParseQuantity(text, out var value, out var available))
            {
                problems.AddField(line, layout.Names[column], $"power '{Shorten(text)}' is not a number; skipped");
                return true;
            }

            if (available)
            {
                watts = value;
                found = true;
                break;
            }
        }

        if (!found)
        {
            problems.AddField(line, layout.PowerName, $"{layout.PowerName} is not available ([N/A] / [Not Supported]); skipped");
            return true;
        }

        if (watts is < 0 or > 10_000)
        {
            problems.AddField(line, layout.PowerName, watts < 0
                ? $"negative power {watts} W (a meter cannot draw less than nothing); sample skipped"
                : $"power {watts} W is above 10000 W; sample skipped");
            return true;
        }

        var device = Device(csv, layout, ticks);
        if (layout.Timestamp < 0)
        {
            if (options.PollStart is null || options.PollInterval is null)
            {
                problems.Add(line, "the file has no timestamp column: the upload must give pollStart and pollIntervalMs");
                return false;
            }

            ticks = options.PollStart.Value.UtcTicks + (_pollIndex * options.PollInterval.Value.Ticks);
        }

        Flush();
        _pending = new Pending(true, device, ticks, watts, line);
        return true;
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private string Device(Utf8CsvRowReader csv, Layout layout, long ticks)
    {
        if (layout.Device >= 0)
        {
            var name = Intern(csv.Field(layout.Device));
            if (layout.Timestamp < 0)
            {
                // Without timestamps, a poll ends where a device comes round again.
                if (_boundary || _devicesInPoll.Contains(name))
                {
                    NewPoll(ticks);
                }

                _devicesInPoll.Add(name);
            }

            _boundary = false;
            return name;
        }

        // No device column: a device is its position within a poll (nvidia-smi lists GPUs in index order).
        if (_boundary || (layout.Timestamp >= 0 && ticks - _pollFirstTicks > options.PollSplit.Ticks) || ticks < _pollFirstTicks)
        {
            NewPoll(ticks);
        }

        _boundary = false;
        return RowName(_rowInPoll++);
    }

    private void NewPoll(long ticks)
    {
        _pollIndex++;
        _pollFirstTicks = ticks;
        _rowInPoll = 0;
        _devicesInPoll.Clear();
    }

    private string RowName(int row)
    {
        while (_deviceNames.Count <= row)
        {
            _deviceNames.Add(_deviceNames.Count.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        return _deviceNames[row];
    }

    /// <summary>
    /// The device's name, the same string instance for the same bytes (the integrator looks devices up by
    /// reference first). Field bytes are compared as read; a new spelling is decoded and trimmed once.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private string Intern(ReadOnlySpan<byte> field)
    {
        var key = TelemetryValues.TrimSpaces(field);
        foreach (var (utf8, name) in _deviceKeys)
        {
            if (key.SequenceEqual(utf8))
            {
                return name;
            }
        }

        return NewSpelling(key);
    }

    // Apart from Intern: a lambda here would capture the name, and C# allocates the closure on entry to the
    // method, that is on every row.
    private string NewSpelling(ReadOnlySpan<byte> key)
    {
        var text = System.Text.Encoding.UTF8.GetString(key).Trim();
        var known = _deviceNames.Find(n => n == text);
        if (known is null)
        {
            known = text;
            _deviceNames.Add(known);
        }

        _deviceKeys.Add((key.ToArray(), known));
        return known;
    }

    private static bool IsBlank(ReadOnlySpan<byte> field) =>
        field[System.Text.Ascii.Trim(field)].Length == 0 || System.Text.Encoding.UTF8.GetString(field).Trim().Length == 0;

    // Once per row. The small per-sample helpers are inlined into the optimised loop, and optimised at once where
    // they are not: without this they ran as tier-0 code for the whole of a CLI run, since tier-up waits for a
    // pause in JIT activity that start-up does not leave (perf on 256 MiB: 11 % of the time in tier-0 Flush, its
    // Pending getters and the bin helpers). AggressiveOptimization alone keeps a method from being inlined.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining | System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private void Flush()
    {
        if (_pending.Valid)
        {
            sink.Power(_pending.Device, _pending.Ticks, _pending.Watts, _pending.Line);
            _samples++;
            _pending = default;
        }
    }

    /// <summary>Data rows start with a digit (a timestamp or an index), no header does: the check each row gets first.</summary>
    private static bool StartsWithDigit(ReadOnlySpan<byte> line) => line.Length > 0 && char.IsAsciiDigit((char)line[0]);

    /// <summary>Runs on rows that do not start with a digit (headers repeat in appended polls).</summary>
    private static bool IsHeader(Utf8CsvRowReader csv)
    {
        // Data rows start with a digit (a timestamp or an index); no column name does.
        var line = csv.Line;
        var first = line.IndexOfAnyExcept(" \t"u8);
        if (first >= 0 && char.IsAsciiDigit((char)line[first]))
        {
            return false;
        }

        for (var i = 0; i < csv.FieldCount; i++)
        {
            var name = csv.FieldText(i).AsSpan().Trim();
            var bracket = name.IndexOf('[');
            if (bracket > 0)
            {
                name = name[..bracket].TrimEnd();
            }

            if (name.StartsWith("power.draw", StringComparison.OrdinalIgnoreCase)
                || name.Equals("timestamp", StringComparison.OrdinalIgnoreCase)
                || name.Equals("index", StringComparison.OrdinalIgnoreCase)
                || name.Equals("uuid", StringComparison.OrdinalIgnoreCase)
                || name.Equals("name", StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    private Layout? FromHeader(Utf8CsvRowReader csv, long line)
    {
        var names = new string[csv.FieldCount];
        for (var i = 0; i < names.Length; i++)
        {
            names[i] = ColumnName(csv.FieldText(i));
        }

        return FromNames(names, line, isHeader: true);
    }

    private Layout? FromFirstRow(Utf8CsvRowReader csv, long line)
    {
        if (options.Columns is { Count: > 0 } columns)
        {
            return FromNames([.. columns.Select(c => ColumnName(c.AsSpan()))], line, isHeader: false);
        }

        // No header and no column list: only values with units say which column is which.
        var timestamp = -1;
        var power = -1;
        for (var i = 0; i < csv.FieldCount; i++)
        {
            var field = csv.FieldText(i).AsSpan().Trim();
            if (timestamp < 0 && values.TryParseTimestamp(field, out _) && !double.TryParse(field, System.Globalization.CultureInfo.InvariantCulture, out _))
            {
                timestamp = i;
            }
            else if (power < 0 && field.EndsWith(" W", StringComparison.Ordinal))
            {
                power = i;
            }
        }

        if (power < 0)
        {
            problems.Add(line, "CSV without a header and without units: give the query's column list (metadata 'columns', e.g. \"timestamp,index,power.draw\")");
            return null;
        }

        var names = Enumerable.Range(0, csv.FieldCount).Select(i => i == power ? "power.draw" : i == timestamp ? "timestamp" : $"column {i + 1}").ToArray();
        return new Layout(TelemetryFormat.NvidiaSmiCsv, false, timestamp, [power], -1, "power.draw", csv.FieldCount, names);
    }

    private Layout? FromNames(string[] names, long line, bool isHeader)
    {
        var power = PowerPreference.Select(p => Array.IndexOf(names, p)).Where(i => i >= 0).ToArray();
        if (power.Length == 0)
        {
            problems.Add(line, $"no power column ({string.Join(", ", PowerPreference)}) among: {string.Join(", ", names)}");
            return null;
        }

        var device = DevicePreference.Select(d => Array.IndexOf(names, d)).FirstOrDefault(i => i >= 0, -1);
        var format = names.Any(n => n.EndsWith(".aip", StringComparison.Ordinal) || n == "module_id") ? TelemetryFormat.HlSmiCsv : TelemetryFormat.NvidiaSmiCsv;
        return new Layout(format, isHeader, Array.IndexOf(names, "timestamp"), power, device, names[power[0]], names.Length, names);
    }

    /// <summary>" power.draw [W]" → "power.draw": both tools put the unit in brackets in the header.</summary>
    private static string ColumnName(ReadOnlySpan<char> field)
    {
        field = field.Trim();
        var bracket = field.IndexOf('[');
        if (bracket > 0)
        {
            field = field[..bracket].TrimEnd();
        }

        return field.ToString().ToLowerInvariant();
    }

    private static string Shorten(ReadOnlySpan<byte> utf8)
    {
        var text = System.Text.Encoding.UTF8.GetString(utf8).AsSpan().Trim();
        return text.Length <= 40 ? text.ToString() : string.Concat(text[..40], "...");
    }

    internal sealed record Layout(TelemetryFormat Format, bool IsHeader, int Timestamp, int[] Power, int Device, string PowerName, int FieldCount, string[] Names)
    {
        /// <summary>The last column a data row is read for: the fields after it are counted, not split.</summary>
        public int LastUsed { get; } = Math.Max(Timestamp, Math.Max(Device, Power.Max()));
    }

    /// <summary>The header probe's sink: a header line has no samples.</summary>
    private sealed class NoSamples : ITelemetrySink
    {
        public static readonly NoSamples Instance = new();

        public void Power(string device, long utcTicks, double watts, long line)
        {
        }

        public void EnergyCounter(string device, long utcTicks, double joules, long line)
        {
        }
    }

    private record struct Pending(bool Valid, string Device, long Ticks, double Watts, long Line);
}
