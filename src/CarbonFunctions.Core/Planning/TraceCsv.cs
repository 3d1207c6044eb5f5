using System.Globalization;
using CarbonFunctions.Core.Forecasts;
using Sylvan.Data.Csv;

namespace CarbonFunctions.Core.Planning;

/// <summary>
/// Reads an intensity trace (for <c>carbonctl plan --trace</c> as a forecast, <c>carbonctl emissions compute --intensity</c> as actuals) into a series. Accepted shapes:
/// <c>start,gCO2e/kWh</c> (any header names: first column the start, second the intensity) and the
/// Electricity Maps export, whose <c>Datetime (UTC)</c> and <c>Carbon Intensity gCO₂eq/kWh (direct)</c>
/// columns are picked by name. Timestamps without an offset are UTC. Each point lasts until the next
/// row's start; the last one as long as the one before it.
/// </summary>
public static class TraceCsv
{
    private const string ElectricityMapsTime = "Datetime (UTC)";
    private const string ElectricityMapsDirect = "Carbon Intensity gCO₂eq/kWh (direct)";

    public static CarbonIntensitySeries Read(
        TextReader reader,
        string region,
        DateTimeOffset generatedAt,
        string source = "trace",
        SignalKind signal = SignalKind.Average,
        SeriesKind kind = SeriesKind.Forecast)
    {
        ArgumentNullException.ThrowIfNull(reader);
        using var csv = CsvDataReader.Create(reader, new CsvDataReaderOptions { HasHeaders = true });
        if (csv.FieldCount < 2)
        {
            throw new FormatException("a trace needs at least two columns: start and gCO2e/kWh");
        }

        var timeColumn = Column(csv, ElectricityMapsTime) ?? 0;
        var valueColumn = Column(csv, ElectricityMapsDirect) ?? 1;
        var rows = new List<(DateTimeOffset Start, double Grams)>();
        var line = 1;
        while (csv.Read())
        {
            line++;
            var startText = csv.GetString(timeColumn).Trim();
            var valueText = csv.GetString(valueColumn).Trim();
            if (startText.Length == 0 && valueText.Length == 0)
            {
                continue;
            }

            if (!DateTimeOffset.TryParse(startText, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var start))
            {
                throw new FormatException($"line {line}: '{startText}' is not a timestamp");
            }

            if (!double.TryParse(valueText, NumberStyles.Float, CultureInfo.InvariantCulture, out var grams) || !double.IsFinite(grams) || grams < 0)
            {
                throw new FormatException($"line {line}: '{valueText}' is not an intensity in gCO2e/kWh");
            }

            if (rows.Count > 0 && start <= rows[^1].Start)
            {
                throw new FormatException($"line {line}: {startText} does not come after the previous row");
            }

            rows.Add((start, grams));
        }

        if (rows.Count < 2)
        {
            throw new FormatException("a trace needs at least two rows to know its resolution");
        }

        var points = new CarbonIntensityPoint[rows.Count];
        for (var i = 0; i < rows.Count; i++)
        {
            var duration = i + 1 < rows.Count ? rows[i + 1].Start - rows[i].Start : rows[i].Start - rows[i - 1].Start;
            points[i] = new CarbonIntensityPoint(rows[i].Start, duration, rows[i].Grams);
        }

        return new CarbonIntensitySeries
        {
            Region = region,
            Kind = kind,
            Signal = signal,
            Source = source,
            GeneratedAt = generatedAt,
            Points = points,
        };
    }

    private static int? Column(CsvDataReader csv, string name)
    {
        for (var i = 0; i < csv.FieldCount; i++)
        {
            if (string.Equals(csv.GetName(i).Trim(), name, StringComparison.Ordinal))
            {
                return i;
            }
        }

        return null;
    }
}
