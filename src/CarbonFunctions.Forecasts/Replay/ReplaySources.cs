using System.Globalization;
using System.Text.Json;
using CarbonFunctions.Core.Forecasts;
using CarbonFunctions.Forecasts.ElectricityMaps;
using CarbonFunctions.Forecasts.WattTime;
using Sylvan.Data.Csv;

namespace CarbonFunctions.Forecasts.Replay;

/// <summary>A measured history (Electricity Maps export, ENTSO-E derived series, WattTime MOER csv, recorded JSON).</summary>
internal sealed record HistorySource(IReadOnlyList<CarbonIntensityPoint> Points, SignalKind Signal, EmissionsScope Scope, IReadOnlyList<string> Notes);

/// <summary>One forecast as it was published.</summary>
internal sealed record Vintage(DateTimeOffset PublishedAt, IReadOnlyList<CarbonIntensityPoint> Points, IReadOnlyList<string> Notes);

/// <summary>Actual values from one file, known from <see cref="PublishedAt"/> on.</summary>
internal sealed record ActualsFile(DateTimeOffset PublishedAt, IReadOnlyList<CarbonIntensityPoint> Points);

/// <summary>Forecasts kept as published (GB vintages, recorded forecast responses) and the actuals published later.</summary>
internal sealed record VintageSource(IReadOnlyList<Vintage> Vintages, IReadOnlyList<ActualsFile> Actuals, SignalKind Signal, EmissionsScope Scope);

/// <summary>Reads replay files, recognising each format by its header (CSV) or shape (JSON).</summary>
internal static class ReplaySources
{
    private const string P = ReplayProvider.ProviderName;
    private const string EmTime = "Datetime (UTC)";
    private const string EmDirect = "Carbon Intensity gCO₂eq/kWh (direct)";
    private const string EmLifecycle = "Carbon Intensity gCO₂eq/kWh (LCA)";

    public static object Load(string path, bool lifecycle)
    {
        if (Directory.Exists(path))
        {
            return LoadVintageFolder(path);
        }

        if (!File.Exists(path))
        {
            throw new ForecastDataException($"{P}: no file or folder '{path}'");
        }

        return Path.GetExtension(path).Equals(".json", StringComparison.OrdinalIgnoreCase)
            ? LoadJson(path)
            : LoadCsv(path, lifecycle);
    }

    private static object LoadCsv(string path, bool lifecycle)
    {
        using var csv = CsvDataReader.Create(path, new CsvDataReaderOptions { HasHeaders = true });
        var headers = Enumerable.Range(0, csv.FieldCount).Select(csv.GetName).ToList();
        int Col(string name) => headers.FindIndex(h => h.Trim().Equals(name, StringComparison.OrdinalIgnoreCase));

        if (Col("from") >= 0 && Col("intensity.forecast") >= 0)
        {
            return LoadGbCsv(csv, Col("from"), Col("intensity.forecast"), Col("intensity.actual"), PublishedFromName(path), path);
        }

        int time, value;
        SignalKind signal;
        var scope = EmissionsScope.Direct;
        var estimatedCol = -1;
        if (Col(EmTime) >= 0 && Col(EmDirect) >= 0)
        {
            time = Col(EmTime);
            value = lifecycle ? Col(EmLifecycle) : Col(EmDirect);
            if (value < 0)
            {
                throw new ForecastDataException($"{P}: '{path}' has no '{EmLifecycle}' column");
            }

            scope = lifecycle ? EmissionsScope.Lifecycle : EmissionsScope.Direct;
            signal = SignalKind.Average;
            estimatedCol = Col("Data Estimated");
        }
        else if (Col("Time") == 0 && Col("Carbon Intensity") == 1)
        {
            (time, value, signal) = (0, 1, SignalKind.Average);
        }
        else if (headers.Count >= 2 && headers[0].Trim().Equals("oootime", StringComparison.OrdinalIgnoreCase))
        {
            // WattTime's MOER export, already converted to g/kWh by its publisher.
            (time, value, signal) = (0, 1, SignalKind.Marginal);
        }
        else
        {
            throw new ForecastDataException($"{P}: '{Path.GetFileName(path)}' has an unknown header: {string.Join(",", headers)}");
        }

        var readings = new List<RawReading>();
        var estimated = 0;
        while (csv.Read())
        {
            readings.Add(new RawReading(ParseTime(csv.GetString(time), path), ParseNumber(csv.GetString(value))));
            if (estimatedCol >= 0 && csv.GetString(estimatedCol).Trim().Equals("true", StringComparison.OrdinalIgnoreCase))
            {
                estimated++;
            }
        }

        var cleaned = SeriesCleaning.Clean(readings);
        var notes = cleaned.Notes.ToList();
        if (estimated > 0)
        {
            notes.Add($"{estimated} point(s) are estimates (Data Estimated)");
        }

        return new HistorySource(cleaned.Points, signal, scope, notes);
    }

    private static VintageSource LoadGbCsv(CsvDataReader csv, int from, int forecast, int actual, DateTimeOffset? published, string path)
    {
        var forecasts = new List<RawReading>();
        var actuals = new List<RawReading>();
        var halfHour = TimeSpan.FromMinutes(30);
        while (csv.Read())
        {
            var start = ParseTime(csv.GetString(from), path);
            forecasts.Add(new RawReading(start, ParseNumber(csv.GetString(forecast)), halfHour));
            if (actual >= 0)
            {
                actuals.Add(new RawReading(start, ParseNumber(csv.GetString(actual)), halfHour));
            }
        }

        var f = SeriesCleaning.Clean(forecasts);
        var a = SeriesCleaning.Clean(actuals);
        var at = published ?? (f.Points.Count > 0 ? f.Points[0].Start : DateTimeOffset.MinValue);
        return new VintageSource([new Vintage(at, f.Points, f.Notes)], [new ActualsFile(at, a.Points)], SignalKind.Average, EmissionsScope.Direct);
    }

    private static VintageSource LoadVintageFolder(string folder)
    {
        var vintages = new List<Vintage>();
        var actuals = new List<ActualsFile>();
        foreach (var file in Directory.EnumerateFiles(folder, "*.csv", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            if (PublishedFromName(file) is null)
            {
                throw new ForecastDataException($"{P}: vintage file '{file}' must be named by its publication time, e.g. 2023-03-14T0331Z.csv");
            }

            var source = (VintageSource)LoadCsv(file, lifecycle: false);
            var isActuals = Path.GetFileName(Path.GetDirectoryName(file))!.Contains("pt24h", StringComparison.OrdinalIgnoreCase);
            if (!isActuals)
            {
                vintages.AddRange(source.Vintages);
            }

            actuals.AddRange(source.Actuals);
        }

        if (vintages.Count == 0)
        {
            throw new ForecastDataException($"{P}: folder '{folder}' holds no forecast vintages");
        }

        return new VintageSource([.. vintages.OrderBy(v => v.PublishedAt)], [.. actuals.OrderBy(a => a.PublishedAt)], SignalKind.Average, EmissionsScope.Direct);
    }

    private static object LoadJson(string path)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(File.ReadAllBytes(path));
        }
        catch (JsonException ex)
        {
            throw new ForecastDataException($"{P}: '{Path.GetFileName(path)}' is not valid JSON ({ex.Message})", ex);
        }

        using (doc)
        {
            var root = doc.RootElement;
            var fallback = PublishedFromName(path) ?? File.GetLastWriteTimeUtc(path);
            CarbonIntensitySeries series;
            bool isForecast;
            if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("meta", out var meta))
            {
                isForecast = meta.TryGetProperty("generated_at", out _);
                series = WattTimeWire.ToSeries(root, "replay", isForecast ? SeriesKind.Forecast : SeriesKind.Actual, SignalKind.Marginal, fallback);
            }
            else if (root.ValueKind == JsonValueKind.Object)
            {
                isForecast = root.TryGetProperty("forecast", out _);
                series = ElectricityMapsWire.ToSeries(root, "replay", isForecast ? SeriesKind.Forecast : SeriesKind.Actual, EmissionsScope.Lifecycle, fallback);
            }
            else
            {
                throw new ForecastDataException($"{P}: '{Path.GetFileName(path)}' is not a recorded WattTime or Electricity Maps response");
            }

            return isForecast
                ? new VintageSource([new Vintage(series.GeneratedAt, series.Points, series.CleaningNotes)], [], series.Signal, series.Scope)
                : new HistorySource(series.Points, series.Signal, series.Scope, series.CleaningNotes);
        }
    }

    /// <summary>2023-03-14T0331Z.csv -> 2023-03-14 03:31 UTC.</summary>
    public static DateTimeOffset? PublishedFromName(string path) =>
        DateTimeOffset.TryParseExact(Path.GetFileNameWithoutExtension(path), "yyyy-MM-dd'T'HHmm'Z'", CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var t) ? t : null;

    private static DateTimeOffset ParseTime(string text, string path)
    {
        // Every shipped format writes UTC, some without saying so ("2020-06-08 00:00:00").
        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var t))
        {
            return t;
        }

        throw new ForecastDataException($"{P}: '{Path.GetFileName(path)}' has a row whose time is not a time: '{text}'");
    }

    private static double? ParseNumber(string text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : null;
}
