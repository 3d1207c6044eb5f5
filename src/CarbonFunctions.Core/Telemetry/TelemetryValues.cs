using System.Globalization;

namespace CarbonFunctions.Core.Telemetry;

/// <summary>Parses the timestamps and unit-suffixed numbers that the accelerator tools write.</summary>
internal sealed class TelemetryValues(TimeZoneInfo zone)
{
    private const long CacheBucketTicks = TimeSpan.TicksPerMinute * 15;
    private long _cachedBucket = long.MinValue;
    private long _cachedOffsetTicks;

    public TimeZoneInfo Zone { get; } = zone;

    /// <summary>
    /// Parses nvidia-smi's "2025/12/05 19:21:36.944", ISO 8601 with or without an offset, or epoch
    /// seconds / milliseconds. Local times are converted with <see cref="Zone"/>.
    /// </summary>
    public bool TryParseTimestamp(ReadOnlySpan<char> text, out long utcTicks)
    {
        text = text.Trim();
        utcTicks = 0;
        if (TryParseSmiTimestamp(text, out var local))
        {
            utcTicks = ToUtcTicks(local);
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
            utcTicks = ToUtcTicks(DateTime.SpecifyKind(naive, DateTimeKind.Unspecified));
            return true;
        }

        return false;
    }

    /// <summary>
    /// Reads "18.03 W", "18.03", " 103 " as a number; "[N/A]", "[Not Supported]", "N/A" and empty as
    /// not available (null, true). False when the text is not a number at all.
    /// </summary>
    public static bool TryParseQuantity(ReadOnlySpan<char> text, out double? value)
    {
        text = text.Trim();
        value = null;
        if (text.Length == 0 || text[0] == '[' || text.StartsWith("N/A", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        var end = text.Length;
        while (end > 0 && !char.IsDigit(text[end - 1]) && text[end - 1] != '.')
        {
            end--;
        }

        // A unit must be separated by a space ("18.03 W"); "18.03W" and "abc" are not quantities.
        if (end == 0 || (end < text.Length && text[end] != ' '))
        {
            return false;
        }

        if (double.TryParse(text[..end], NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && double.IsFinite(number))
        {
            value = number;
            return true;
        }

        return false;
    }

    public static string FormatTicks(long utcTicks) =>
        new DateTimeOffset(utcTicks, TimeSpan.Zero).ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);

    private long ToUtcTicks(DateTime local)
    {
        if (Zone == TimeZoneInfo.Utc)
        {
            return local.Ticks;
        }

        // Offsets change at most a few times a year: cache the offset of the current quarter hour.
        var bucket = local.Ticks / CacheBucketTicks;
        if (bucket != _cachedBucket)
        {
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

        return local.Ticks - _cachedOffsetTicks;
    }

    private static bool HasOffset(ReadOnlySpan<char> text) =>
        text[^1] is 'Z' or 'z'
        || (text.Length > 6 && text[^6] is '+' or '-' && text[^3] == ':')
        || (text.Length > 5 && text[^5] is '+' or '-' && text.LastIndexOfAny('T', ' ') < text.Length - 5 && text.LastIndexOf(':') < text.Length - 5);

    private static bool TryParseSmiTimestamp(ReadOnlySpan<char> s, out DateTime value)
    {
        value = default;
        if (s.Length < 19 || s[4] != '/' || s[7] != '/' || s[10] != ' ' || s[13] != ':' || s[16] != ':')
        {
            return false;
        }

        if (!Digits(s, 0, 4, out var year) || !Digits(s, 5, 2, out var month) || !Digits(s, 8, 2, out var day)
            || !Digits(s, 11, 2, out var hour) || !Digits(s, 14, 2, out var minute) || !Digits(s, 17, 2, out var second))
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

        if (month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(Math.Max(1, year), month) || hour > 23 || minute > 59 || second > 59 || year < 1)
        {
            return false;
        }

        value = new DateTime(year, month, day, hour, minute, second, DateTimeKind.Unspecified).AddTicks(fractionTicks);
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
