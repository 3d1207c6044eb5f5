using CarbonFunctions.Core.Forecasts;
using CarbonFunctions.Core.Jobs;
using CarbonFunctions.Core.Simulation;

namespace CarbonFunctions.Core.Tests.Simulation;

public sealed class JobTraceTests
{
    private static readonly DateTimeOffset Start = new(2022, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void The_generator_is_repeatable_and_keeps_to_its_mix()
    {
        var mix = new JobMix { Count = 500 };
        var a = JobTraceGenerator.Generate(mix, Start, Start.AddDays(365), "es", seed: 7);
        var b = JobTraceGenerator.Generate(mix, Start, Start.AddDays(365), "es", seed: 7);

        Assert.Equal(a.Select(JobContract.Serialize), b.Select(JobContract.Serialize));
        Assert.All(a, j =>
        {
            Assert.InRange(j.EstimatedDuration.TotalHours, 1 - 1e-9, 96 + 1e-9);
            Assert.InRange((j.Deadline - j.SubmittedAt!.Value - j.EstimatedDuration).TotalHours, 0, 168);
            Assert.True(j.Deadline <= Start.AddDays(365));
            Assert.Equal(["es"], j.Regions);
        });
        Assert.InRange(a.Count(j => j.Interruptible), 200, 300);
        Assert.InRange(a.Count(j => j.Pool.Kind == PoolKind.Gaudi), 90, 160);
        Assert.Contains(a, j => j.IsElastic);
    }

    [Fact]
    public void A_generated_trace_survives_the_csv_round_trip()
    {
        var jobs = JobTraceGenerator.Generate(new JobMix { Count = 50 }, Start, Start.AddDays(60), "es", seed: 3);
        using var writer = new StringWriter();
        JobTrace.WriteCsv(writer, jobs);

        var read = JobTrace.ReadCsv(new StringReader(writer.ToString()), "es");

        Assert.Equal(jobs.Select(JobContract.Serialize), read.Select(JobContract.Serialize));
    }

    [Fact]
    public void A_bad_csv_row_is_refused_with_its_line()
    {
        var csv = JobTrace.CsvHeader + "\nj1,2022-01-01T00:00Z,-3,0,false,gpu,1,,,,\n";

        var error = Assert.Throws<FormatException>(() => JobTrace.ReadCsv(new StringReader(csv), "es"));
        Assert.Contains("line 2: durationHours '-3'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Noise_of_zero_is_the_truth_and_noise_is_repeatable_per_vintage()
    {
        var points = Enumerable.Range(0, 96).Select(i => new CarbonIntensityPoint(Start.AddHours(i), TimeSpan.FromHours(1), 100 + i)).ToArray();
        var trace = new IntensityTrace(new CarbonIntensitySeries { Region = "es", Kind = SeriesKind.Actual, Signal = SignalKind.Average, Source = "t", GeneratedAt = Start, Points = points });

        var exact = ForecastModel.Parse("noise:sigma=0,bias=0", 1, TimeSpan.FromHours(24), TimeSpan.FromHours(6)).ForecastAt(Start.AddHours(7), trace)!;
        Assert.Equal(Start.AddHours(6), exact.GeneratedAt);
        Assert.Equal(points.Skip(6).Take(24).Select(p => p.GramsPerKwh), exact.Points.Select(p => p.GramsPerKwh));

        var noisy = ForecastModel.Parse("noise:sigma=20,bias=10", 5, TimeSpan.FromHours(24), TimeSpan.FromHours(6));
        var first = noisy.ForecastAt(Start.AddHours(7), trace)!.Points.Select(p => p.GramsPerKwh).ToArray();
        var again = ForecastModel.Parse("noise:sigma=20,bias=10", 5, TimeSpan.FromHours(24), TimeSpan.FromHours(6)).ForecastAt(Start.AddHours(11), trace)!.Points.Select(p => p.GramsPerKwh).ToArray();
        Assert.Equal(first, again);
        Assert.NotEqual(points.Skip(6).Take(24).Select(p => p.GramsPerKwh), first);

        Assert.Throws<FormatException>(() => ForecastModel.Parse("noise:sigma=-1", 1, TimeSpan.FromHours(24), TimeSpan.FromHours(6)));
    }
}
