using CarbonFunctions.Core.Forecasts;

namespace CarbonFunctions.Forecasts.Tests;

public sealed class SeriesCleaningTests
{
    private static readonly DateTimeOffset T0 = new(2024, 5, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Pounds_per_MWh_convert_to_grams_per_kWh_by_hand()
    {
        // 1000 lb/MWh = 453,592.37 g per 1000 kWh = 453.59237 g/kWh; 800 lb/MWh -> 362.873896.
        Assert.Equal(453.59237, 1000 * IntensityUnits.FactorToGramsPerKwh("lbs_co2_per_mwh"), 9);
        Assert.Equal(362.873896, 800 * IntensityUnits.FactorToGramsPerKwh("lbs_co2_per_mwh"), 9);
        Assert.Equal(1.0, IntensityUnits.FactorToGramsPerKwh("kg_co2_per_mwh"));
        Assert.Equal(1.0, IntensityUnits.FactorToGramsPerKwh("gCO₂eq/kWh"));
    }

    [Fact]
    public void Unknown_units_are_refused_with_the_unit_named()
    {
        var ex = Assert.Throws<ForecastDataException>(() => IntensityUnits.FactorToGramsPerKwh("percentile"));
        Assert.Contains("percentile", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Cleaning_sorts_keeps_last_duplicate_and_drops_bad_values_with_notes()
    {
        var m = TimeSpan.FromMinutes(15);
        var raw = new[]
        {
            new RawReading(T0 + (2 * m), 300),
            new RawReading(T0, 100),
            new RawReading(T0 + m, null),
            new RawReading(T0 + (3 * m), -5),
            new RawReading(T0 + (4 * m), 2500),
            new RawReading(T0 + (2 * m), 310),
            new RawReading(T0 + (5 * m), double.NaN),
            new RawReading(T0 + (6 * m), 120),
        };

        var cleaned = SeriesCleaning.Clean(raw);

        Assert.Equal([T0, T0 + (2 * m), T0 + (6 * m)], cleaned.Points.Select(p => p.Start));
        Assert.Equal([100.0, 310.0, 120.0], cleaned.Points.Select(p => p.GramsPerKwh));

        // Spacing inferred as the most common gap (here: 2*m twice vs 4*m once) -> 30 minutes.
        Assert.All(cleaned.Points, p => Assert.Equal(TimeSpan.FromMinutes(30), p.Duration));
        Assert.Contains(cleaned.Notes, n => n.Contains("2 point(s) without a value", StringComparison.Ordinal));
        Assert.Contains(cleaned.Notes, n => n.Contains("1 negative", StringComparison.Ordinal));
        Assert.Contains(cleaned.Notes, n => n.Contains("above 2000", StringComparison.Ordinal));
        Assert.Contains(cleaned.Notes, n => n.Contains("1 duplicate", StringComparison.Ordinal));
    }

    [Fact]
    public void Stated_durations_are_kept_and_a_gap_stays_a_gap()
    {
        var h = TimeSpan.FromHours(1);
        var cleaned = SeriesCleaning.Clean([new RawReading(T0, 1, h), new RawReading(T0 + h, 2, h), new RawReading(T0 + (5 * h), 3, h)]);
        var series = new CarbonIntensitySeries
        {
            Region = "r", Kind = SeriesKind.Forecast, Signal = SignalKind.Average, Source = "t", GeneratedAt = T0, Points = cleaned.Points,
        };

        Assert.Empty(cleaned.Notes);
        Assert.Equal(2.0, series.IntensityAt(T0 + TimeSpan.FromMinutes(90)));
        Assert.Null(series.IntensityAt(T0 + (3 * h)));
    }

    [Fact]
    public void A_lone_point_gets_the_default_duration_and_conversion_applies_before_the_bound()
    {
        // 5000 lb/MWh = 2267.96 g/kWh: above the 2000 bound only after conversion.
        var cleaned = SeriesCleaning.Clean([new RawReading(T0, 1000), new RawReading(T0.AddDays(1), 5000)], IntensityUnits.GramsPerPound / 1000);
        Assert.Single(cleaned.Points);
        Assert.Equal(453.59237, cleaned.Points[0].GramsPerKwh, 9);
        Assert.Equal(TimeSpan.FromHours(1), cleaned.Points[0].Duration);
    }
}
