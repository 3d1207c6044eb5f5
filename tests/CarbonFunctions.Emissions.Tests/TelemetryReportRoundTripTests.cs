using System.Text;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using CarbonFunctions.Core.Emissions;
using CarbonFunctions.Core.Forecasts;
using CarbonFunctions.Handlers.Emissions;
using CarbonFunctions.Storage.Reports;
using CarbonFunctions.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace CarbonFunctions.Emissions.Tests;

public sealed class TelemetryReportRoundTripTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>
{
    private static readonly DateTimeOffset Now = new(2026, 3, 2, 0, 0, 0, TimeSpan.Zero);

    private static CarbonIntensitySeries Series(SeriesKind kind, DateTimeOffset start, int slots, double grams) => new()
    {
        Region = "westeurope",
        Kind = kind,
        Signal = SignalKind.Average,
        Source = "test",
        GeneratedAt = Now,
        Points = [.. Enumerable.Range(0, slots).Select(i => new CarbonIntensityPoint(start.AddMinutes(30 * i), TimeSpan.FromMinutes(30), grams))],
    };

    /// <summary>nvidia-smi CSV (units, index) of one GPU at a constant power, one row a second, local time.</summary>
    private static string NvidiaSmi(DateTime localStart, int seconds, double watts)
    {
        var text = new StringBuilder("timestamp, index, power.draw [W], utilization.gpu [%]\n");
        for (var s = 0; s <= seconds; s++)
        {
            text.Append(localStart.AddSeconds(s).ToString("yyyy/MM/dd HH:mm:ss.fff", System.Globalization.CultureInfo.InvariantCulture))
                .Append(", 0, ").Append(watts.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture)).Append(" W, 90 %\n");
        }

        return text.ToString();
    }

    private (TelemetryReportHandler Handler, EmissionsReportStore Store, BlobContainerClient Telemetry) Create(IForecastStore forecasts)
    {
        var blobs = new BlobServiceClient(azurite.ConnectionString);
        var tables = new TableServiceClient(azurite.ConnectionString);
        var store = new EmissionsReportStore(blobs, tables, AzuriteFixture.UniqueName("reports"), AzuriteFixture.UniqueName("emissions"));
        var handler = new TelemetryReportHandler(forecasts, store, Options.Create(new EmissionsOptions()), new FakeTimeProvider(Now), NullLogger<TelemetryReportHandler>.Instance);
        var telemetry = blobs.GetBlobContainerClient(AzuriteFixture.UniqueName("telemetry"));
        telemetry.CreateIfNotExists();
        return (handler, store, telemetry);
    }

    /// <summary>What the blob trigger does: open the uploaded blob and hand its stream and metadata to the handler.</summary>
    private static async Task<TelemetryReportOutcome> TriggerAsync(TelemetryReportHandler handler, BlobContainerClient container, string name)
    {
        var blob = container.GetBlobClient(name);
        var properties = await blob.GetPropertiesAsync();
        await using var stream = await blob.OpenReadAsync();
        return await handler.HandleAsync("telemetry/" + name, stream, properties.Value.Metadata.AsReadOnly(), CancellationToken.None);
    }

    [Fact]
    public async Task Upload_to_report_blob_and_table_row()
    {
        // 400 W for 30 min, 10:00-10:30 in New York (EST, UTC-5) = 15:00-15:30 UTC; actual 250 g; Azure PUE 1.2.
        // Submitted at 13:00 UTC, when the grid was at 500 g (actuals for 13:00-14:00).
        var actuals = Series(SeriesKind.Actual, new DateTimeOffset(2026, 3, 1, 13, 0, 0, TimeSpan.Zero), 2, 500) with
        {
            Points = [.. Series(SeriesKind.Actual, new DateTimeOffset(2026, 3, 1, 13, 0, 0, TimeSpan.Zero), 2, 500).Points,
                .. Series(SeriesKind.Actual, new DateTimeOffset(2026, 3, 1, 15, 0, 0, TimeSpan.Zero), 2, 250).Points],
        };
        var (handler, store, telemetry) = Create(new MemoryForecastStore(actuals, null));
        await telemetry.UploadBlobAsync("job-ny/gpu.csv", BinaryData.FromString(NvidiaSmi(new DateTime(2026, 3, 1, 10, 0, 0), 1800, 400)));
        await telemetry.GetBlobClient("job-ny/gpu.csv").SetMetadataAsync(new Dictionary<string, string>
        {
            ["region"] = "westeurope",
            ["provider"] = "azure",
            ["timezone"] = "America/New_York",
            ["submittedAt"] = "2026-03-01T13:00:00Z",
            ["functionalUnit"] = "steps",
            ["functionalUnits"] = "1000",
        });

        var outcome = await TriggerAsync(handler, telemetry, "job-ny/gpu.csv");

        var kwh = 400.0 * 1800 / 3.6e6;            // 0.2 kWh
        var kg = kwh * 1.2 * 250 / 1000;            // 0.06 kg
        var counterfactualKg = kwh * 1.2 * 500 / 1000;
        Assert.True(outcome.Saved);
        var saved = await store.GetAsync("job-ny", CancellationToken.None);
        Assert.NotNull(saved);
        Assert.Equal(ReportStatus.Ok, saved.Status);
        Assert.Equal(kwh, saved.EnergyKwh, 9);
        Assert.Equal(kg, saved.EmissionsKg, 9);
        Assert.Equal(IntensitySource.Actual, saved.IntensitySource);
        Assert.Equal("America/New_York", saved.Timezone);
        Assert.Equal(new DateTimeOffset(2026, 3, 1, 15, 0, 0, TimeSpan.Zero), saved.Start);
        Assert.Equal(counterfactualKg, saved.CounterfactualKg!.Value, 9);
        Assert.Equal(counterfactualKg - kg, saved.SavingsKg!.Value, 9);
        Assert.Equal(kg * 1000 / 1000, saved.Sci!.Value, 9);

        var row = await store.GetRowAsync("job-ny", CancellationToken.None);
        Assert.NotNull(row);
        Assert.Equal(kg, row.GetDouble("EmissionsKg")!.Value, 9);
        Assert.Equal("Actual", row.GetString("IntensitySource"));
        Assert.EndsWith("job-ny.json", row.GetString("ReportBlob"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_killed_poller_file_gives_a_partial_report_with_line_numbers_and_the_upload_stays()
    {
        var forecast = Series(SeriesKind.Forecast, new DateTimeOffset(2026, 3, 1, 10, 0, 0, TimeSpan.Zero), 2, 100);
        var (handler, store, telemetry) = Create(new MemoryForecastStore(null, forecast));
        // Header + 61 rows (lines 2-62), then a cut row and NUL padding on line 63.
        var content = Encoding.UTF8.GetBytes(NvidiaSmi(new DateTime(2026, 3, 1, 10, 0, 0), 60, 300) + "2026/03/01 10:01:01.000, 0, 3");
        await telemetry.UploadBlobAsync("job-killed/gpu.csv", new BinaryData([.. content, .. new byte[8192]]));
        await telemetry.GetBlobClient("job-killed/gpu.csv").SetMetadataAsync(new Dictionary<string, string> { ["region"] = "westeurope", ["provider"] = "aws" });

        var outcome = await TriggerAsync(handler, telemetry, "job-killed/gpu.csv");

        var report = outcome.Report!;
        Assert.Equal(ReportStatus.Partial, report.Status);
        Assert.Equal(300.0 * 60 / 3.6e6, report.EnergyKwh, 9);
        Assert.Equal(300.0 * 60 / 3.6e6 * 1.15 * 100 / 1000, report.EmissionsKg, 9);
        Assert.Equal(IntensitySource.Forecast, report.IntensitySource);
        Assert.Equal(63, Assert.Single(report.Problems).Line);
        Assert.True(await telemetry.GetBlobClient("job-killed/gpu.csv").ExistsAsync());
        Assert.NotNull(await store.GetRowAsync("job-killed", CancellationToken.None));
    }

    [Fact]
    public async Task Garbage_is_a_failed_report_and_a_wrong_path_is_refused_without_throwing()
    {
        var (handler, store, telemetry) = Create(new MemoryForecastStore(null, null));
        await telemetry.UploadBlobAsync("job-garbage/x.bin", BinaryData.FromBytes([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x01, 0x02]));

        var outcome = await TriggerAsync(handler, telemetry, "job-garbage/x.bin");
        Assert.Equal(ReportStatus.Failed, outcome.Report!.Status);
        Assert.NotEmpty(outcome.Report.Problems);
        Assert.Equal(ReportStatus.Failed, (await store.GetAsync("job-garbage", CancellationToken.None))!.Status);

        using var empty = new MemoryStream();
        var refused = await handler.HandleAsync("telemetry/Not_A_Job", empty, new Dictionary<string, string>(), CancellationToken.None);
        Assert.False(refused.Saved);
        Assert.NotNull(refused.Error);
    }

    /// <summary>An in-memory forecast store behind the Core port (the Table adapter is tested elsewhere).</summary>
    private sealed class MemoryForecastStore(CarbonIntensitySeries? actuals, CarbonIntensitySeries? forecast) : IForecastStore
    {
        public Task SaveAsync(CarbonIntensitySeries series, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<CarbonIntensitySeries?> GetLatestForecastAsync(string region, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken) =>
            Task.FromResult(forecast is not null && forecast.Region == region ? forecast : null);

        public Task<CarbonIntensitySeries?> GetActualsAsync(string region, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken) =>
            Task.FromResult(actuals is not null && actuals.Region == region ? actuals : null);
    }
}
