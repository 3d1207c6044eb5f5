using System.Buffers.Binary;
using CarbonFunctions.Core.Forecasts;

namespace CarbonFunctions.Storage.Forecasts;

/// <summary>
/// Points of one UTC day packed as 16 bytes each (start seconds into the day, duration seconds,
/// g/kWh as a double), so a day of 5-minute points is one 4.6 KB binary property.
/// </summary>
public static class PackedPoints
{
    public const int BytesPerPoint = 16;

    /// <summary>Azure Tables caps a binary property at 64 KiB.</summary>
    public const int MaxPointsPerDay = 64 * 1024 / BytesPerPoint;

    public static byte[] Pack(DateTimeOffset day, IReadOnlyList<CarbonIntensityPoint> points)
    {
        ArgumentNullException.ThrowIfNull(points);
        if (points.Count > MaxPointsPerDay)
        {
            throw new ForecastDataException($"{points.Count} points on {day:yyyy-MM-dd} exceed the {MaxPointsPerDay} a table entity can hold");
        }

        var bytes = new byte[points.Count * BytesPerPoint];
        for (var i = 0; i < points.Count; i++)
        {
            var span = bytes.AsSpan(i * BytesPerPoint, BytesPerPoint);
            BinaryPrimitives.WriteInt32LittleEndian(span, checked((int)(points[i].Start - day).TotalSeconds));
            BinaryPrimitives.WriteInt32LittleEndian(span[4..], checked((int)points[i].Duration.TotalSeconds));
            BinaryPrimitives.WriteDoubleLittleEndian(span[8..], points[i].GramsPerKwh);
        }

        return bytes;
    }

    public static List<CarbonIntensityPoint> Unpack(DateTimeOffset day, ReadOnlySpan<byte> bytes)
    {
        var points = new List<CarbonIntensityPoint>(bytes.Length / BytesPerPoint);
        for (var offset = 0; offset + BytesPerPoint <= bytes.Length; offset += BytesPerPoint)
        {
            var span = bytes.Slice(offset, BytesPerPoint);
            points.Add(new CarbonIntensityPoint(
                day.AddSeconds(BinaryPrimitives.ReadInt32LittleEndian(span)),
                TimeSpan.FromSeconds(BinaryPrimitives.ReadInt32LittleEndian(span[4..])),
                BinaryPrimitives.ReadDoubleLittleEndian(span[8..])));
        }

        return points;
    }
}
