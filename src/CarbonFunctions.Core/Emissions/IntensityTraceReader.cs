using System.Globalization;
using CarbonFunctions.Core.Forecasts;
using Sylvan.Data.Csv;

namespace CarbonFunctions.Core.Emissions;

/// <summary>
/// Reads an intensity trace for offline reports: a simple <c>start,gCO2e/kWh</c> CSV (any header;
/// timestamps with an offset or UTC) or an Electricity Maps data portal export (<c>Datetime (UTC)</c>,
/// <c>Carbon Intensity gCO₂eq/kWh (direct)</c>). A slot lasts until the next one starts; the last one
/// as long as the one before it (an hour when alone).
/// </summary>
public static class IntensityTraceReader
{
    private const string ElectricityMapsTime = "Datetime (UTC)";
    private const string ElectricityMapsDirect = "Carbon Intensity gCO₂eq/kWh (direct)";

    public static CarbonIntensitySeries Read(TextReader text, string region, DateTimeOffset generatedAt, SeriesKind kind = SeriesKind.Actual)
    {
        ArgumentNullException.ThrowIfNull(text);
        using var csv = CsvDataReader.Create(text, new CsvDataReaderOptions { HasHeaders = true });
        var timeColumn = 0;
        var valueColumn = 1;
        var source = "trace";
        for (var i = 0; i < csv.FieldCount; i++)
        {
            var name = csv.GetName(i).Trim();
            if (name == ElectricityMapsTime)
            {
                timeColumn = i;
                source = "electricitymaps-export";
            }
            else if (name == ElectricityMapsDirect)
            {
                valueColumn = i;
            }
        }

        var starts = new List<DateTimeOffset>();
        var grams = new List<double>();
        var notes = new List<string>();
        while (csv.Read())
        {
            var line = csv.RowNumber;
            if (csv.RowFieldCount <= Math.Max(timeColumn, valueColumn))
            {
                notes.Add($"line {line}: too few fields; skipped");
                continue;
            }

            var timeText = csv.GetString(timeColumn).Trim();
            var valueText = csv.GetString(valueColumn).Trim();
            if (!DateTimeOffset.TryParse(timeText, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var start))
            {
                notes.Add($"line {line}: '{timeText}' is not a time; skipped");
                continue;
            }

            if (!double.TryParse(valueText, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !double.IsFinite(value) || value < 0)
            {
                notes.Add($"line {line}: intensity '{valueText}' is not a non-negative number; skipped");
                continue;
            }

            if (starts.Count > 0 && start <= starts[^1])
            {
                notes.Add($"line {line}: {timeText} is not after the previous slot; skipped");
                continue;
            }

            starts.Add(start.ToUniversalTime());
            grams.Add(value);
        }

        var points = new List<CarbonIntensityPoint>(starts.Count);
        for (var i = 0; i < starts.Count; i++)
        {
            var duration = i + 1 < starts.Count ? starts[i + 1] - starts[i] : i > 0 ? starts[i] - starts[i - 1] : TimeSpan.FromHours(1);
            points.Add(new CarbonIntensityPoint(starts[i], duration, grams[i]));
        }

        return new CarbonIntensitySeries
        {
            Region = region,
            Kind = kind,
            Signal = SignalKind.Average,
            Source = source,
            GeneratedAt = generatedAt,
            Points = points,
            CleaningNotes = notes,
        };
    }
}
