using CarbonFunctions.Core.Planning;

namespace CarbonFunctions.Core.Tests.Planning;

/// <summary>The vectorised kernels against the comparison they stand for, one x at a time, on every path (lengths not a multiple of the vector width).</summary>
public sealed class DpKernelsTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Go_or_other_keeps_the_option_unless_the_other_is_cheaper_beyond_the_tie_tolerance(int seed)
    {
        var random = new Random(seed);
        for (var round = 0; round < 50; round++)
        {
            var length = random.Next(1, 70);
            var (goAt, otherAt, valueAt, choiceAt) = (random.Next(0, 5), random.Next(0, 5), random.Next(0, 5), random.Next(0, 9));
            double Value() => random.Next(6) switch
            {
                0 => double.PositiveInfinity,
                1 => 40,
                _ => 40 + (random.Next(-3, 4) * 1e-13 * 40) + (random.NextDouble() < 0.5 ? random.NextDouble() : 0),
            };
            var go = Enumerable.Range(0, length + 10).Select(_ => Value()).ToArray();
            var other = Enumerable.Range(0, length + 10).Select(_ => Value()).ToArray();
            var picks = Enumerable.Range(0, length + 10).Select(_ => (byte)random.Next(1, 5)).ToArray();
            var (from, to) = (random.Next(0, 3), length - 1);

            var value = new double[length + 10];
            var choice = new byte[length + 20];
            DpKernels.GoOrOther(go, goAt, picks, 0, other, otherAt, value, valueAt, choice, choiceAt, from, to);

            for (var x = from; x <= to; x++)
            {
                var alternative = other[otherAt + x];
                var keep = go[goAt + x] <= alternative + (1e-12 * Math.Max(1, Math.Abs(alternative)));
                Assert.Equal(keep ? go[goAt + x] : alternative, value[valueAt + x]);
                Assert.Equal(keep ? picks[x] : 0, choice[choiceAt + x]);
            }
        }
    }
}
