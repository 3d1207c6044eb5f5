using System.Globalization;
using System.Text;

namespace CarbonFunctions.Core.Telemetry;

/// <summary>Parses the timestamps and unit-suffixed numbers that the accelerator tools write.</summary>
internal sealed class TelemetryValues(TimeZoneInfo zone)
{
    private const long CacheBucketTicks = TimeSpan.TicksPerMinute * 15;
    private long _cachedBucket = long.MinValue;
    private long _cachedOffsetTicks;
    private readonly bool _isUtc = zone == TimeZoneInfo.Utc;
    private readonly char[] _cachedDate = new char[10];
    private long _cachedDateTicks = -1;
    private readonly byte[] _cachedUtf8Minute = new byte[16];
    private long _cachedUtf8MinuteTicks = -1;

    public TimeZoneInfo Zone { get; } = zone;

    /// <summary>
    /// Parses nvidia-smi's "2025/12/05 19:21:36.944", ISO 8601 with or without an offset, or epoch
    /// seconds / milliseconds. Local times are converted with <see cref="Zone"/>.
    /// </summary>
    public bool TryParseTimestamp(ReadOnlySpan<char> text, out long utcTicks)
    {
        text = text.Trim();
        utcTicks = 0;
        if (TryParseSmiTicks(text, out var localTicks))
        {
            utcTicks = ToUtcTicks(localTicks);
            return true;
        }

        if (text.Length == 0)
        {
            return false;
        }

        if (char.IsDigit(text[0]) && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var epoch) && !text.Contains('-'))
        {
            // Epoch seconds until ~5138 AD; larger values are milliseconds.
            var ms = epoch < 1e11 ? epoch * 1000 : epoch;
            if (ms is < 0 or > 2.5e14)
            {
                return false;
            }

            utcTicks = DateTime.UnixEpoch.Ticks + (long)(ms * TimeSpan.TicksPerMillisecond);
            return true;
        }

        if (HasOffset(text))
        {
            if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out var instant))
            {
                utcTicks = instant.UtcTicks;
                return true;
            }

            return false;
        }

        if (DateTime.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out var naive))
        {
            utcTicks = ToUtcTicks(naive.Ticks);
            return true;
        }

        return false;
    }

    /// <summary>
    /// <see cref="TryParseTimestamp(ReadOnlySpan{char}, out long)"/> on UTF-8 bytes: nvidia-smi's format is read by
    /// fixed positions on the bytes; anything else is decoded and parsed as text, so both give the same answer.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public bool TryParseTimestamp(ReadOnlySpan<byte> utf8, out long utcTicks)
    {
        if (TryParseSmiTicks(TrimSpaces(utf8), out var localTicks))
        {
            utcTicks = ToUtcTicks(localTicks);
            return true;
        }

        if (utf8.Length > 256)
        {
            return TryParseTimestamp(Encoding.UTF8.GetString(utf8), out utcTicks);
        }

        Span<char> chars = stackalloc char[256];
        return TryParseTimestamp(chars[..Encoding.UTF8.GetChars(utf8, chars)], out utcTicks);
    }

    /// <summary>
    /// <see cref="TryParseQuantity(ReadOnlySpan{char}, out double, out bool)"/> on UTF-8 bytes: a plain decimal with
    /// or without a unit ("187.23 W") is read on the bytes; anything else (not available, signs, exponents,
    /// non-ASCII) is decoded and parsed as text, so both give the same answer.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static bool TryParseQuantity(ReadOnlySpan<byte> utf8, out double value, out bool available)
    {
        var text = TrimSpaces(utf8);
        if (text.Length > 0 && char.IsAsciiDigit((char)text[0]))
        {
            var end = text.Length;
            while (end > 0 && !char.IsAsciiDigit((char)text[end - 1]) && text[end - 1] != '.')
            {
                end--;
            }

            if ((end == text.Length || text[end] == ' ') && TryParseDecimal(text[..end], out value))
            {
                available = true;
                return true;
            }
        }

        if (utf8.Length > 256)
        {
            return TryParseQuantity(Encoding.UTF8.GetString(utf8), out value, out available);
        }

        Span<char> chars = stackalloc char[256];
        return TryParseQuantity(chars[..Encoding.UTF8.GetChars(utf8, chars)], out value, out available);
    }

    /// <summary>
    /// Reads "18.03 W", "18.03", " 103 " as a number; "[N/A]", "[Not Supported]", "N/A" and empty as
    /// not available (<paramref name="available"/> false, true returned). False when the text is not a number at all.
    /// </summary>
    public static bool TryParseQuantity(ReadOnlySpan<char> text, out double value, out bool available)
    {
        text = text.Trim();
        value = 0;
        available = false;
        if (text.Length == 0 || text[0] == '[' || text.StartsWith("N/A", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        var end = text.Length;
        while (end > 0 && !char.IsAsciiDigit(text[end - 1]) && text[end - 1] != '.')
        {
            end--;
        }

        // A unit must be separated by a space ("18.03 W"); "18.03W" and "abc" are not quantities.
        if (end == 0 || (end < text.Length && text[end] != ' '))
        {
            return false;
        }

        var number = text[..end];
        if (TryParseDecimal(number, out value)
            || (double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out value) && double.IsFinite(value)))
        {
            available = true;
            return true;
        }

        return false;
    }

    /// <summary>
    /// Plain "123.45" (what the tools print) without the general parser: up to 15 significant digits, then
    /// one division by a power of ten, which IEEE 754 rounds correctly since both operands are exact, so the
    /// result is the same double that <see cref="double.Parse(string)"/> gives. Anything else (signs,
    /// exponents, long digit strings) returns false and goes to the general parser.
    /// </summary>
    internal static bool TryParseDecimal(ReadOnlySpan<char> text, out double value)
    {
        value = 0;
        if (text.Length is 0 or > 16)
        {
            return false;
        }

        long mantissa = 0;
        var digits = 0;
        var fraction = -1;
        foreach (var c in text)
        {
            var d = c - '0';
            if ((uint)d <= 9)
            {
                mantissa = (mantissa * 10) + d;
                digits++;
            }
            else if (c == '.' && fraction < 0)
            {
                fraction = digits;
            }
            else
            {
                return false;
            }
        }

        if (digits == 0 || digits > 15)
        {
            return false;
        }

        var scale = fraction < 0 ? 0 : digits - fraction;
        value = scale == 0 ? mantissa : mantissa / PowersOfTen[scale];
        return true;
    }

    /// <summary>
    /// Without the spaces the tools put around values (", 0, 187.23 W"). Only for fast paths: other white space is
    /// left, so that such a value goes to the text parser, which trims what <see cref="string.Trim()"/> trims.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    internal static ReadOnlySpan<byte> TrimSpaces(ReadOnlySpan<byte> text)
    {
        var start = 0;
        while (start < text.Length && text[start] == ' ')
        {
            start++;
        }

        var end = text.Length;
        while (end > start && text[end - 1] == ' ')
        {
            end--;
        }

        return text[start..end];
    }

    /// <summary><see cref="TryParseDecimal(ReadOnlySpan{char}, out double)"/> on ASCII bytes.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    internal static bool TryParseDecimal(ReadOnlySpan<byte> text, out double value)
    {
        value = 0;
        if (text.Length is 0 or > 16)
        {
            return false;
        }

        long mantissa = 0;
        var digits = 0;
        var fraction = -1;
        foreach (var c in text)
        {
            var d = c - '0';
            if ((uint)d <= 9)
            {
                mantissa = (mantissa * 10) + d;
                digits++;
            }
            else if (c == '.' && fraction < 0)
            {
                fraction = digits;
            }
            else
            {
                return false;
            }
        }

        if (digits == 0 || digits > 15)
        {
            return false;
        }

        var scale = fraction < 0 ? 0 : digits - fraction;
        value = scale == 0 ? mantissa : mantissa / PowersOfTen[scale];
        return true;
    }

    private static readonly double[] PowersOfTen = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16];

    public static string FormatTicks(long utcTicks) =>
        new DateTimeOffset(utcTicks, TimeSpan.Zero).ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);

    // Once per sample (see SmiCsvReader.Flush).
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining | System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private long ToUtcTicks(long localTicks)
    {
        if (_isUtc)
        {
            return localTicks;
        }

        // Offsets change at most a few times a year: cache the offset of the current quarter hour.
        var bucket = localTicks / CacheBucketTicks;
        if (bucket != _cachedBucket)
        {
            var local = new DateTime(localTicks, DateTimeKind.Unspecified);
            // Ambiguous times (the repeated hour when clocks go back) take the standard offset and
            // times skipped when clocks go forward take the offset before the change, as .NET does.
            _cachedOffsetTicks = Zone.GetUtcOffset(local).Ticks;
            var next = new DateTime(Math.Min((bucket + 1) * CacheBucketTicks, DateTime.MaxValue.Ticks), DateTimeKind.Unspecified);
            var start = new DateTime(bucket * CacheBucketTicks, DateTimeKind.Unspecified);
            _cachedBucket = Zone.GetUtcOffset(start).Ticks == _cachedOffsetTicks && Zone.GetUtcOffset(next.AddTicks(-1)).Ticks == _cachedOffsetTicks
                && !Zone.IsAmbiguousTime(start) && !Zone.IsAmbiguousTime(next.AddTicks(-1))
                ? bucket
                : long.MinValue;
        }

        return localTicks - _cachedOffsetTicks;
    }

    private static bool HasOffset(ReadOnlySpan<char> text) =>
        text[^1] is 'Z' or 'z'
        || (text.Length > 6 && text[^6] is '+' or '-' && text[^3] == ':')
        || (text.Length > 5 && text[^5] is '+' or '-' && text.LastIndexOfAny('T', ' ') < text.Length - 5 && text.LastIndexOf(':') < text.Length - 5);

    /// <summary>
    /// "2025/12/05 19:21:36.944" by fixed positions. The date part changes once a day, so its ticks are kept
    /// for the next rows; only the time of day is parsed each time.
    /// </summary>
    private bool TryParseSmiTicks(ReadOnlySpan<char> s, out long ticks)
    {
        ticks = 0;
        if (s.Length < 19 || s[4] != '/' || s[7] != '/' || s[10] != ' ' || s[13] != ':' || s[16] != ':')
        {
            return false;
        }

        long dayTicks;
        if (_cachedDateTicks >= 0 && s[..10].SequenceEqual(_cachedDate))
        {
            dayTicks = _cachedDateTicks;
        }
        else
        {
            if (!Digits(s, 0, 4, out var year) || !Digits(s, 5, 2, out var month) || !Digits(s, 8, 2, out var day)
                || year < 1 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month))
            {
                return false;
            }

            dayTicks = new DateTime(year, month, day, 0, 0, 0, DateTimeKind.Unspecified).Ticks;
            s[..10].CopyTo(_cachedDate);
            _cachedDateTicks = dayTicks;
        }

        if (!Digits(s, 11, 2, out var hour) || !Digits(s, 14, 2, out var minute) || !Digits(s, 17, 2, out var second)
            || hour > 23 || minute > 59 || second > 59)
        {
            return false;
        }

        long fractionTicks = 0;
        if (s.Length > 19)
        {
            if (s[19] != '.' || s.Length == 20 || s.Length > 27)
            {
                return false;
            }

            var scale = TimeSpan.TicksPerSecond;
            for (var i = 20; i < s.Length; i++)
            {
                var d = s[i] - '0';
                if ((uint)d > 9)
                {
                    return false;
                }

                scale /= 10;
                fractionTicks += d * scale;
            }
        }

        ticks = dayTicks + (hour * TimeSpan.TicksPerHour) + (minute * TimeSpan.TicksPerMinute) + (second * TimeSpan.TicksPerSecond) + fractionTicks;
        return true;
    }

    /// <summary>"2025/12/05 19:21:36.944" by fixed positions on ASCII bytes, the date and time to the minute kept while they repeat.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private bool TryParseSmiTicks(ReadOnlySpan<byte> s, out long ticks)
    {
        ticks = 0;
        if (s.Length < 19 || s[4] != '/' || s[7] != '/' || s[10] != ' ' || s[13] != ':' || s[16] != ':')
        {
            return false;
        }

        long minuteTicks;
        if (_cachedUtf8MinuteTicks >= 0 && s[..16].SequenceEqual(_cachedUtf8Minute))
        {
            // Same date, hour and minute as the last row (hundreds of rows a minute): only seconds are read.
            minuteTicks = _cachedUtf8MinuteTicks;
        }
        else
        {
            if (!Digits(s, 0, 4, out var year) || !Digits(s, 5, 2, out var month) || !Digits(s, 8, 2, out var day)
                || year < 1 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month)
                || !Digits(s, 11, 2, out var hour) || !Digits(s, 14, 2, out var minute) || hour > 23 || minute > 59)
            {
                return false;
            }

            minuteTicks = new DateTime(year, month, day, hour, minute, 0, DateTimeKind.Unspecified).Ticks;
            s[..16].CopyTo(_cachedUtf8Minute);
            _cachedUtf8MinuteTicks = minuteTicks;
        }

        if (!Digits(s, 17, 2, out var second) || second > 59)
        {
            return false;
        }

        long fractionTicks = 0;
        if (s.Length > 19)
        {
            if (s[19] != '.' || s.Length == 20 || s.Length > 27)
            {
                return false;
            }

            var scale = TimeSpan.TicksPerSecond;
            for (var i = 20; i < s.Length; i++)
            {
                var d = s[i] - '0';
                if ((uint)d > 9)
                {
                    return false;
                }

                scale /= 10;
                fractionTicks += d * scale;
            }
        }

        ticks = minuteTicks + (second * TimeSpan.TicksPerSecond) + fractionTicks;
        return true;
    }

    /// <summary>The same format through <see cref="DateTime.TryParseExact(ReadOnlySpan{char}, ReadOnlySpan{char}, IFormatProvider?, DateTimeStyles, out DateTime)"/>, for comparison in the benchmarks.</summary>
    internal static bool TryParseSmiExact(ReadOnlySpan<char> s, out long ticks)
    {
        var ok = DateTime.TryParseExact(s, "yyyy/MM/dd HH:mm:ss.fff", CultureInfo.InvariantCulture, DateTimeStyles.None, out var value);
        ticks = value.Ticks;
        return ok;
    }

    private static bool Digits(ReadOnlySpan<byte> s, int start, int count, out int value)
    {
        value = 0;
        for (var i = start; i < start + count; i++)
        {
            var d = s[i] - '0';
            if ((uint)d > 9)
            {
                return false;
            }

            value = (value * 10) + d;
        }

        return true;
    }

    private static bool Digits(ReadOnlySpan<char> s, int start, int count, out int value)
    {
        value = 0;
        for (var i = start; i < start + count; i++)
        {
            var d = s[i] - '0';
            if ((uint)d > 9)
            {
                return false;
            }

            value = (value * 10) + d;
        }

        return true;
    }
}
