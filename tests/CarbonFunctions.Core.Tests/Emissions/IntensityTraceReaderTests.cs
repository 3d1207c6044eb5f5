using CarbonFunctions.Core.Emissions;
using CarbonFunctions.Core.Forecasts;

namespace CarbonFunctions.Core.Tests.Emissions;

public sealed class IntensityTraceReaderTests
{
    private static readonly DateTimeOffset Now = new(2026, 6, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Simple_trace_has_slots_until_the_next_start()
    {
        var csv = "start,gCO2e/kWh\n2026-01-01T00:00:00Z,100\n2026-01-01T00:30:00Z,200.5\n2026-01-01T01:00:00+01:00,300\n";
        var series = IntensityTraceReader.Read(new StringReader(csv), "gb", Now);

        Assert.Equal(SeriesKind.Actual, series.Kind);
        // 01:00+01:00 is 00:00Z, not after 00:30Z: refused.
        Assert.Equal(2, series.Points.Count);
        Assert.Single(series.CleaningNotes);
        Assert.Equal(TimeSpan.FromMinutes(30), series.Points[0].Duration);
        Assert.Equal(TimeSpan.FromMinutes(30), series.Points[1].Duration);
        Assert.Equal(200.5, series.IntensityAt(new DateTimeOffset(2026, 1, 1, 0, 45, 0, TimeSpan.Zero)));
    }

    [Fact]
    public void Electricity_maps_export_uses_the_direct_column()
    {
        // Made-up rows in the data portal's column layout.
        var csv = "Datetime (UTC),Country,Zone Name,Zone Id,Carbon Intensity gCO₂eq/kWh (direct),Carbon Intensity gCO₂eq/kWh (LCA),Low Carbon Percentage,Renewable Percentage,Data Source,Data Estimated,Data Estimation Method\n" +
            "2024-03-01 00:00:00,Spain,Spain,ES,111.5,150.0,70,50,ree.es,false,\n" +
            "2024-03-01 01:00:00,Spain,Spain,ES,120.25,160.0,70,50,ree.es,false,\n";
        var series = IntensityTraceReader.Read(new StringReader(csv), "es", Now);

        Assert.Equal("electricitymaps-export", series.Source);
        Assert.Equal([111.5, 120.25], series.Points.Select(p => p.GramsPerKwh));
        Assert.Equal(new DateTimeOffset(2024, 3, 1, 1, 0, 0, TimeSpan.Zero), series.Points[1].Start);
        Assert.Equal(TimeSpan.FromHours(1), series.Points[1].Duration);
    }
}
