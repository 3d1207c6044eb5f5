using CarbonFunctions.Core.Emissions;
using CarbonFunctions.Core.Forecasts;
using CarbonFunctions.Core.Jobs;
using CarbonFunctions.Core.Telemetry;
using CarbonFunctions.Core.Tests.Telemetry;

namespace CarbonFunctions.Core.Tests.Emissions;

public sealed class EmissionsTests
{
    private static readonly DateTimeOffset Now = new(2026, 6, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly TimeZoneInfo Berlin = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");

    private static CarbonIntensitySeries Series(SeriesKind kind, params (DateTimeOffset Start, double Minutes, double Grams)[] points) => new()
    {
        Region = "westeurope",
        Kind = kind,
        Signal = SignalKind.Average,
        Source = "test",
        GeneratedAt = Now,
        Points = [.. points.Select(p => new CarbonIntensityPoint(p.Start, TimeSpan.FromMinutes(p.Minutes), p.Grams))],
    };

    private static DateTimeOffset Utc(int year, int month, int day, int hour, int minute = 0, int second = 0) =>
        new(year, month, day, hour, minute, second, TimeSpan.Zero);

    [Fact]
    public void Two_gpus_at_100_and_200_watts_for_an_hour_at_300_g_with_pue_1_2_emit_108_g()
    {
        // 09:00-10:00 UTC is 10:00-11:00 in Berlin; the second GPU's rows are 3 ms later, so a second slot is given.
        var intensity = Series(SeriesKind.Actual, (Utc(2026, 1, 15, 9), 60, 300), (Utc(2026, 1, 15, 10), 60, 300));
        using var file = TelemetryFixtures.Open("nvidia-smi_2gpu_1h_local.csv");
        var report = TelemetryEmissions.Compute(
            file,
            intensity,
            new EmissionsContext { JobId = "job-1", Pue = 1.2, TimeZone = Berlin },
            new EmissionsOptions(),
            Now);

        var expectedKwh = (100 + 200) * 3600 / 3.6e6;         // 0.3 kWh
        var expectedKg = expectedKwh * 1.2 * 300 / 1000;      // 0.108 kg
        Assert.Equal(expectedKwh, report.EnergyKwh, 9);
        Assert.Equal(expectedKg, report.EmissionsKg, 9);
        Assert.Equal(ReportStatus.Ok, report.Status);
        Assert.Equal(IntensitySource.Actual, report.IntensitySource);
        Assert.Equal("Europe/Berlin", report.Timezone);
        Assert.Equal(Utc(2026, 1, 15, 9), report.Start);
        Assert.Equal(2, report.Devices.Count);
        // Each GPU covers 3600 s of the 3600.003 s between the first and the last row.
        Assert.Equal(3600 / 3600.003, report.Coverage.Fraction, 9);
    }

    [Fact]
    public void A_sample_interval_straddling_two_slots_is_split_by_time()
    {
        // 100 W at 10:29:30 rising linearly to 200 W at 10:30:30; the slot changes at 10:30.
        // Before: 30 s at a mean of (100+150)/2 W; after: 30 s at (150+200)/2 W.
        var csv = "timestamp, index, power.draw [W]\n2026/01/01 10:29:30.000, 0, 100.00 W\n2026/01/01 10:30:30.000, 0, 200.00 W\n";
        var intensity = Series(SeriesKind.Actual, (Utc(2026, 1, 1, 10), 30, 100), (Utc(2026, 1, 1, 10, 30), 30, 500));
        var report = TelemetryEmissions.Compute(TelemetryFixtures.FromText(csv), intensity, new EmissionsContext { JobId = "j", Pue = 1.0 }, new EmissionsOptions(), Now);

        var beforeKwh = 125.0 * 30 / 3.6e6;
        var afterKwh = 175.0 * 30 / 3.6e6;
        Assert.Equal(beforeKwh + afterKwh, report.EnergyKwh, 12);
        Assert.Equal(((beforeKwh * 100) + (afterKwh * 500)) / 1000, report.EmissionsKg, 12);
    }

    [Fact]
    public void Gaps_longer_than_the_limit_are_not_bridged_and_are_reported()
    {
        // 100 W from 00:00:00 to 00:00:10, nothing until 00:05:00, then 100 W to 00:05:10.
        var csv = "timestamp, index, power.draw [W]\n" +
            "2026/01/01 00:00:00.000, 0, 100.00 W\n2026/01/01 00:00:10.000, 0, 100.00 W\n" +
            "2026/01/01 00:05:00.000, 0, 100.00 W\n2026/01/01 00:05:10.000, 0, 100.00 W\n";
        var (energy, _) = TelemetryFixtures.Integrate(TelemetryFixtures.FromText(csv), options: new EmissionsOptions { MaxGap = TimeSpan.FromSeconds(60) });

        Assert.Equal(100.0 * 20 / 3.6e6, energy.Profile.EnergyKwh, 12);
        var gap = Assert.Single(energy.Profile.Missing);
        Assert.Equal(Utc(2026, 1, 1, 0, 0, 10), gap.From);
        Assert.Equal(Utc(2026, 1, 1, 0, 5, 0), gap.To);
        Assert.Equal(20.0 / 310, energy.Profile.CoverageFraction, 9);
    }

    [Fact]
    public void Dcgm_energy_counter_is_preferred_over_the_power_gauge_and_survives_a_reset()
    {
        var (energy, _) = TelemetryFixtures.Integrate(TelemetryFixtures.Open("dcgm_counter_reset.prom"));

        // Ten 10 s intervals of +2000 J, except the one with the reset, which counts the 1000 J since it.
        var expectedJoules = (9 * 2000.0) + 1000;
        var device = Assert.Single(energy.Profile.Devices);
        Assert.Equal("energyCounter", device.MeasuredBy);
        Assert.Equal(1, device.CounterResets);
        Assert.Equal(expectedJoules / 3.6e6, energy.Profile.EnergyKwh, 12);
        Assert.NotEqual(50.0 * 100 / 3.6e6, energy.Profile.EnergyKwh, 9); // what the 50 W gauge would say
    }

    [Fact]
    public void Average_column_energy_is_integrated_through_an_na_sample()
    {
        var (energy, _) = TelemetryFixtures.Integrate(TelemetryFixtures.Open("nvidia-smi_index_average_nounits.csv"));
        // Both GPUs at 150 W for 60 s (the [N/A] row is bridged at a constant 150 W).
        Assert.Equal(2 * 150.0 * 60 / 3.6e6, energy.Profile.EnergyKwh, 9);
    }

    [Fact]
    public void Hl_smi_energy_with_poll_metadata()
    {
        var (energy, _) = TelemetryFixtures.Integrate(
            TelemetryFixtures.Open("hl-smi_2aip_polled.csv"),
            new TelemetryReadOptions { PollStart = Utc(2026, 1, 1, 0), PollInterval = TimeSpan.FromSeconds(5) });
        Assert.Equal((100.0 + 110) * 60 / 3.6e6, energy.Profile.EnergyKwh, 12);
    }

    [Fact]
    public void Killed_file_counts_the_good_part_and_reports_partial()
    {
        using var file = TelemetryFixtures.Open("nvidia-smi_killed.csv");
        var intensity = Series(SeriesKind.Actual, (Utc(2026, 2, 1, 8), 60, 200));
        var report = TelemetryEmissions.Compute(file, intensity, new EmissionsContext { JobId = "k", Pue = 1.1 }, new EmissionsOptions(), Now);

        Assert.Equal(ReportStatus.Partial, report.Status);
        Assert.Equal(120.0 * 30 / 3.6e6, report.EnergyKwh, 12);
        Assert.Equal(120.0 * 30 / 3.6e6 * 1.1 * 200 / 1000, report.EmissionsKg, 12);
        Assert.Equal(3, report.ProblemCount);
        Assert.Equal([13L, 24, 35], report.Problems.Select(p => p.Line));
    }

    [Fact]
    public void Unknown_file_gives_a_failed_report_with_the_reason()
    {
        var report = TelemetryEmissions.Compute(TelemetryFixtures.FromText("<html>oops</html>\n"), null, new EmissionsContext { JobId = "x" }, new EmissionsOptions(), Now);
        Assert.Equal(ReportStatus.Failed, report.Status);
        Assert.Equal(TelemetryFormat.Unknown, report.Format);
        Assert.Contains("unknown format", report.Problems[0].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Actuals_first_then_forecast_gives_mixed_and_counterfactual_uses_the_shifted_profile()
    {
        // 1 kW for 2 h from 12:00 UTC; actuals cover 12:00-13:00 (100 g), the forecast 13:00-14:00 (200 g).
        // Submitted at 08:00: the same 2 h at 08:00-10:00 would have met 400 g then 500 g.
        var csv = "{\"timestamp\":\"2026-05-01T12:00:00Z\",\"device\":0,\"powerWatts\":1000}\n{\"timestamp\":\"2026-05-01T13:00:00Z\",\"device\":0,\"powerWatts\":1000}\n{\"timestamp\":\"2026-05-01T14:00:00Z\",\"device\":0,\"powerWatts\":1000}\n";
        var options = new EmissionsOptions { MaxGap = TimeSpan.FromHours(2) };
        var energy = TelemetryEmissions.Integrate(TelemetryFixtures.FromText(csv), new TelemetryReadOptions(), options);
        var actuals = Series(SeriesKind.Actual, (Utc(2026, 5, 1, 8), 60, 400), (Utc(2026, 5, 1, 9), 60, 500), (Utc(2026, 5, 1, 12), 60, 100));
        var forecast = Series(SeriesKind.Forecast, (Utc(2026, 5, 1, 12), 60, 900), (Utc(2026, 5, 1, 13), 60, 200));
        var context = new EmissionsContext { JobId = "m", SubmittedAt = Utc(2026, 5, 1, 8), Pue = 1.0 };

        var report = EmissionsCalculator.Compute(energy.Read, energy.Profile, context, actuals, forecast, options, Now);

        Assert.Equal(IntensitySource.Mixed, report.IntensitySource);
        Assert.Equal(((1.0 * 100) + (1.0 * 200)) / 1000, report.EmissionsKg, 9);
        Assert.Equal(((1.0 * 400) + (1.0 * 500)) / 1000, report.CounterfactualKg!.Value, 9);
        Assert.Equal(0.9 - 0.3, report.SavingsKg!.Value, 9);
    }

    [Fact]
    public void Forecast_only_and_no_intensity_are_reported_as_such()
    {
        var csv = "{\"timestamp\":\"2026-05-01T12:00:00Z\",\"device\":0,\"powerWatts\":360}\n{\"timestamp\":\"2026-05-01T12:00:50Z\",\"device\":0,\"powerWatts\":360}\n";
        var options = new EmissionsOptions();
        var forecast = Series(SeriesKind.Forecast, (Utc(2026, 5, 1, 12), 30, 250));
        var context = new EmissionsContext { JobId = "f", Pue = 1.0 };

        var energy = TelemetryEmissions.Integrate(TelemetryFixtures.FromText(csv), new TelemetryReadOptions(), options);
        var withForecast = EmissionsCalculator.Compute(energy.Read, energy.Profile, context, null, forecast, options, Now);
        var without = EmissionsCalculator.Compute(energy.Read, energy.Profile, context, null, null, options, Now);

        Assert.Equal(IntensitySource.Forecast, withForecast.IntensitySource);
        Assert.Equal(360.0 * 50 / 3.6e6 * 250 / 1000, withForecast.EmissionsKg, 12);
        Assert.Equal(IntensitySource.None, without.IntensitySource);
        Assert.Equal(ReportStatus.Partial, without.Status);
        Assert.Equal(0, without.EmissionsKg);
        Assert.Equal(360.0 * 50 / 3.6e6, without.EnergyWithoutIntensityKwh, 12);
    }

    [Fact]
    public void Sci_adds_the_embodied_share_and_divides_by_functional_units()
    {
        // 2 GPUs at 100 W and 200 W for 1 h at 300 g, PUE 1.2 → O = 108 g.
        // M = 2 devices × 1000 kg × (1 h / 8760 h); SCI per 1e6 tokens.
        var options = new EmissionsOptions { EmbodiedKgPerDevice = 1000, HardwareLifespan = TimeSpan.FromHours(8760) };
        var intensity = Series(SeriesKind.Actual, (Utc(2026, 1, 15, 9), 60, 300), (Utc(2026, 1, 15, 10), 60, 300));
        using var file = TelemetryFixtures.Open("nvidia-smi_2gpu_1h_local.csv");
        var report = TelemetryEmissions.Compute(file, intensity,
            new EmissionsContext { JobId = "s", Pue = 1.2, TimeZone = Berlin, FunctionalUnit = "tokens", FunctionalUnits = 1e6 }, options, Now);

        var hours = (report.End!.Value - report.Start!.Value).TotalHours; // 1 h + 3 ms
        var embodiedKg = 2 * 1000 * hours / 8760;
        Assert.Equal(embodiedKg, report.EmbodiedKg, 9);
        Assert.Equal((108 + (embodiedKg * 1000)) / 1e6, report.Sci!.Value, 9);
        Assert.Equal("gCO2e per tokens", report.SciUnit);
    }

    [Fact]
    public void Pue_comes_from_the_region_then_the_provider_then_the_default()
    {
        var options = new EmissionsOptions { PueByRegion = new(StringComparer.OrdinalIgnoreCase) { ["swedencentral"] = 1.1 } };
        Assert.Equal(1.1, options.ResolvePue("swedencentral", CloudProvider.Azure));
        Assert.Equal(1.15, options.ResolvePue("us-east-1", CloudProvider.Aws));
        Assert.Equal(1.2, options.ResolvePue(null, null));
        Assert.Empty(options.Validate());
        Assert.NotEmpty((options with { DefaultPue = 0.9 }).Validate());
    }

    [Fact]
    public void Report_round_trips_through_json()
    {
        using var file = TelemetryFixtures.Open("nvidia-smi_killed.csv");
        var report = TelemetryEmissions.Compute(file, null, new EmissionsContext { JobId = "rt" }, new EmissionsOptions(), Now);
        var json = report.ToJson();
        var back = EmissionsReport.FromJson(json)!;

        Assert.Contains("\"intensitySource\": \"none\"", json, StringComparison.Ordinal);
        Assert.Contains("\"format\": \"nvidiaSmiCsv\"", json, StringComparison.Ordinal);
        Assert.Equal(report.EnergyKwh, back.EnergyKwh);
        Assert.Equal(report.Problems, back.Problems);
        Assert.Equal(report.Coverage.Fraction, back.Coverage.Fraction);
    }
}
