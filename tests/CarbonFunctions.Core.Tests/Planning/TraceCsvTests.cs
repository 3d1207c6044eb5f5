using CarbonFunctions.Core.Planning;

namespace CarbonFunctions.Core.Tests.Planning;

public sealed class TraceCsvTests
{
    [Fact]
    public void Reads_start_and_intensity_columns()
    {
        var csv = "start,gCO2e/kWh\n2025-01-01T00:00:00Z,100\n2025-01-01T00:30:00Z,80.5\n2025-01-01T02:00:00+01:00,70\n";

        var series = TraceCsv.Read(new StringReader(csv), "eastus", DateTimeOffset.UnixEpoch);

        Assert.Equal([100, 80.5, 70], series.Points.Select(p => p.GramsPerKwh));
        Assert.Equal(new DateTimeOffset(2025, 1, 1, 1, 0, 0, TimeSpan.Zero), series.Points[2].Start);
        Assert.All(series.Points, p => Assert.Equal(TimeSpan.FromMinutes(30), p.Duration));
    }

    [Fact]
    public void Reads_the_Electricity_Maps_export_by_column_name()
    {
        var csv = "Datetime (UTC),Country,Zone Name,Zone Id,Carbon Intensity gCO₂eq/kWh (direct),Carbon Intensity gCO₂eq/kWh (LCA)\n"
            + "2022-06-01 00:00:00,USA,California,US-CAL-CISO,209.26,274.07\n"
            + "2022-06-01 01:00:00,USA,California,US-CAL-CISO,225.02,291.76\n";

        var series = TraceCsv.Read(new StringReader(csv), "westus", DateTimeOffset.UnixEpoch);

        Assert.Equal([209.26, 225.02], series.Points.Select(p => p.GramsPerKwh));
        Assert.Equal(new DateTimeOffset(2022, 6, 1, 0, 0, 0, TimeSpan.Zero), series.Points[0].Start);
        Assert.All(series.Points, p => Assert.Equal(TimeSpan.FromHours(1), p.Duration));
    }

    [Fact]
    public void Refuses_rows_out_of_order_with_the_line_number()
    {
        var csv = "start,gCO2e/kWh\n2025-01-01T00:00:00Z,100\n2025-01-01T00:30:00Z,80\n2025-01-01T01:00:00+01:00,70\n";

        var error = Assert.Throws<FormatException>(() => TraceCsv.Read(new StringReader(csv), "eastus", DateTimeOffset.UnixEpoch));

        Assert.Contains("line 4", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Refuses_values_that_are_not_numbers()
    {
        var csv = "start,gCO2e/kWh\n2025-01-01T00:00:00Z,100\n2025-01-01T00:30:00Z,n/a\n";

        Assert.Throws<FormatException>(() => TraceCsv.Read(new StringReader(csv), "eastus", DateTimeOffset.UnixEpoch));
    }

    [Fact]
    public void Reads_a_trace_as_actuals_when_asked()
    {
        var csv = "start,gCO2e/kWh\n2026-01-01T00:00:00Z,100\n2026-01-01T00:30:00Z,200.5\n";
        var series = TraceCsv.Read(new StringReader(csv), "gb", DateTimeOffset.UnixEpoch, kind: Core.Forecasts.SeriesKind.Actual);

        Assert.Equal(Core.Forecasts.SeriesKind.Actual, series.Kind);
        Assert.Equal(200.5, series.IntensityAt(new DateTimeOffset(2026, 1, 1, 0, 45, 0, TimeSpan.Zero)));
    }
}
