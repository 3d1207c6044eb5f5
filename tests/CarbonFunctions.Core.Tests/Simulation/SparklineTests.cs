using CarbonFunctions.Core.Reporting;

namespace CarbonFunctions.Core.Tests.Simulation;

public sealed class SparklineTests
{
    [Fact]
    public void Each_value_gets_a_block_from_lowest_to_highest()
    {
        // 0..7 steps of 10 g over 70..140: one block each.
        Assert.Equal("▁▂▃▄▅▆▇█", Sparkline.Render([70, 80, 90, 100, 110, 120, 130, 140], 80));
    }

    [Fact]
    public void More_values_than_columns_are_averaged_in_buckets()
    {
        // Six values into three columns: means 100, 200, 150.
        Assert.Equal("▁█▅", Sparkline.Render([90, 110, 190, 210, 150, 150], 3));
    }

    [Fact]
    public void A_flat_series_is_a_flat_line_and_an_empty_one_is_empty()
    {
        Assert.Equal("▄▄▄", Sparkline.Render([5, 5, 5], 10));
        Assert.Equal(string.Empty, Sparkline.Render([], 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => Sparkline.Render([1], 0));
    }
}
