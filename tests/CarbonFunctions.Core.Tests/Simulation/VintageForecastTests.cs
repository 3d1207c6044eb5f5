using CarbonFunctions.Core.Forecasts;
using CarbonFunctions.Core.Simulation;

namespace CarbonFunctions.Core.Tests.Simulation;

/// <summary>GB forecast vintages as the simulator's forecast, on the bundled excerpt of 2023-03-14.</summary>
public sealed class VintageForecastTests
{
    private static readonly string Folder = FindSample();

    private static string FindSample()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "samples", "carbon", "uk-forecast-vintages-2023-03");
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new DirectoryNotFoundException("samples/carbon/uk-forecast-vintages-2023-03 not found above the test binaries");
    }

    private static DateTimeOffset At(int hour, int minute) => new(2023, 3, 14, hour, minute, 0, TimeSpan.Zero);

    private static (IReadOnlyList<CarbonIntensityPoint> Forecast, IReadOnlyList<CarbonIntensityPoint> Actual) Read(string relative)
    {
        using var reader = new StreamReader(Path.Combine(Folder, relative));
        return GbIntensityFiles.Read(reader, relative);
    }

    private static VintageForecast Sample() => new(
        [.. new[] { "2023-03-14T0331Z.csv", "2023-03-14T0931Z.csv" }.Select(f => new ForecastVintage(GbIntensityFiles.PublishedFromName(f)!.Value, Read(Path.Combine("national_fw48h", f)).Forecast))],
        "uk-sample");

    private static IntensityTrace Actuals() => new(new CarbonIntensitySeries
    {
        Region = "gb",
        Kind = SeriesKind.Actual,
        Signal = SignalKind.Average,
        Source = "pt24h",
        GeneratedAt = DateTimeOffset.UnixEpoch,
        Points = Read(Path.Combine("national_pt24h", "2023-03-15T0331Z.csv")).Actual,
    });

    [Fact]
    public void A_gb_actuals_file_gives_its_actual_column_and_leaves_out_the_slots_not_measured_yet()
    {
        var (forecast, actual) = Read(Path.Combine("national_pt24h", "2023-03-15T0331Z.csv"));

        Assert.Equal(48, forecast.Count);
        Assert.Equal(45, actual.Count);
        Assert.Equal(new CarbonIntensityPoint(At(3, 30), TimeSpan.FromMinutes(30), 78), actual[0]);
        Assert.Equal(new CarbonIntensityPoint(At(3, 30).AddDays(1).AddHours(-2), TimeSpan.FromMinutes(30), 178), actual[^1]);
        Assert.Empty(Read(Path.Combine("national_fw48h", "2023-03-14T0331Z.csv")).Actual);
    }

    [Fact]
    public void Each_instant_sees_only_the_newest_vintage_published_by_then()
    {
        var model = Sample();
        var actuals = Actuals();

        Assert.Null(model.ForecastAt(At(3, 30), actuals));
        var early = model.ForecastAt(At(9, 30), actuals)!;
        Assert.Equal(At(3, 31), early.GeneratedAt);
        Assert.Equal(69, early.Points[0].GramsPerKwh);
        Assert.Equal(96, early.Points.Count);
        var late = model.ForecastAt(At(9, 31), actuals)!;
        Assert.Equal(At(9, 31), late.GeneratedAt);
        Assert.Equal(new CarbonIntensityPoint(At(9, 30), TimeSpan.FromMinutes(30), 106), late.Points[0]);

        // Waiting jobs re-plan at each publication, and not after the last one.
        Assert.Equal(At(3, 31), model.NextIssueAfter(At(3, 30)));
        Assert.Equal(At(9, 31), model.NextIssueAfter(At(3, 31)));
        Assert.Null(model.NextIssueAfter(At(9, 31)));
        Assert.Equal(TimeSpan.FromHours(6), model.RefreshInterval);
    }

    [Fact]
    public void Overlapping_actuals_take_the_later_publication()
    {
        var slot = TimeSpan.FromMinutes(30);
        var merged = GbIntensityFiles.MergeActuals(
        [
            (At(12, 0), [new CarbonIntensityPoint(At(10, 0), slot, 100), new CarbonIntensityPoint(At(10, 30), slot, 110)]),
            (At(6, 0), [new CarbonIntensityPoint(At(9, 30), slot, 90), new CarbonIntensityPoint(At(10, 0), slot, 95)]),
        ]);

        Assert.Equal([90.0, 100.0, 110.0], merged.Select(p => p.GramsPerKwh));
    }

    [Fact]
    public void A_file_that_is_not_gb_is_refused_by_name()
    {
        using var reader = new StringReader("start,grams\n2023-03-14T00:00Z,100\n");
        var error = Assert.Throws<FormatException>(() => GbIntensityFiles.Read(reader, "other.csv"));
        Assert.Contains("other.csv", error.Message, StringComparison.Ordinal);
        Assert.True(GbIntensityFiles.IsGbHeader("from,intensity.forecast,intensity.actual"));
        Assert.False(GbIntensityFiles.IsGbHeader("Datetime (UTC),Carbon Intensity gCO₂eq/kWh (direct)"));
    }
}
