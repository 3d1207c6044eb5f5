using System.Globalization;
using System.Text;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using CarbonFunctions.Core.Emissions;
using CarbonFunctions.Core.Forecasts;
using CarbonFunctions.Handlers.Emissions;
using CarbonFunctions.Local.Hosting;
using CarbonFunctions.Storage;
using CarbonFunctions.Storage.Jobs;
using CarbonFunctions.Storage.Reports;
using CarbonFunctions.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace CarbonFunctions.Emissions.Tests;

/// <summary>
/// One report from many blobs, on Azurite, through both hosts' entry points: the blob trigger's
/// (<see cref="TelemetryIntake"/>) and the local scan's (<see cref="TelemetryScan"/>).
/// The job: two nodes × two run segments (10:00-10:20 and 11:00-11:20 UTC, paused in between), the first
/// segment of each node streamed in two chunks (10:00:00-10:10:00 and 10:10:01-10:20:00), one row a second,
/// two GPUs per node at constant power: node n0 100 W and 200 W, node n1 300 W and 400 W.
/// </summary>
public sealed class MultiBlobReportTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>
{
    private const string Job = "job-multi";
    private const double Pue = 1.2;
    private static readonly DateTimeOffset Now = new(2026, 3, 2, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTime Day = new(2026, 3, 1, 0, 0, 0, DateTimeKind.Unspecified);

    /// <summary>Blob name (under the job) → (start, seconds, watts of GPU 0 and GPU 1).</summary>
    private static readonly (string Name, TimeSpan Start, int Seconds, double Gpu0, double Gpu1)[] Blobs =
    [
        ("n0/seg1-000.csv", TimeSpan.FromHours(10), 600, 100, 200),
        ("n0/seg1-001.csv", TimeSpan.FromHours(10) + TimeSpan.FromSeconds(601), 599, 100, 200),
        ("n0/seg2-000.csv", TimeSpan.FromHours(11), 1200, 100, 200),
        ("n1/seg1-000.csv", TimeSpan.FromHours(10), 600, 300, 400),
        ("n1/seg1-001.csv", TimeSpan.FromHours(10) + TimeSpan.FromSeconds(601), 599, 300, 400),
        ("n1/seg2-000.csv", TimeSpan.FromHours(11), 1200, 300, 400),
    ];

    // Every device runs 1200 s in each segment (the 1 s between two chunks is bridged): 1000 W in all.
    private static readonly double Segment1Kwh = 1000.0 * 1200 / 3.6e6;
    private static readonly double Segment2Kwh = 1000.0 * 1200 / 3.6e6;

    /// <summary>Actuals: 200 g for 10:00-10:30, 300 g for 11:00-11:30 (and 999 g around them, unused).</summary>
    private static readonly CarbonIntensitySeries Actuals = new()
    {
        Region = "westeurope",
        Kind = SeriesKind.Actual,
        Signal = SignalKind.Marginal,
        Source = "watttime",
        GeneratedAt = Now,
        Points =
        [
            new(new DateTimeOffset(2026, 3, 1, 9, 30, 0, TimeSpan.Zero), TimeSpan.FromMinutes(30), 999),
            new(new DateTimeOffset(2026, 3, 1, 10, 0, 0, TimeSpan.Zero), TimeSpan.FromMinutes(30), 200),
            new(new DateTimeOffset(2026, 3, 1, 10, 30, 0, TimeSpan.Zero), TimeSpan.FromMinutes(30), 999),
            new(new DateTimeOffset(2026, 3, 1, 11, 0, 0, TimeSpan.Zero), TimeSpan.FromMinutes(30), 300),
            new(new DateTimeOffset(2026, 3, 1, 11, 30, 0, TimeSpan.Zero), TimeSpan.FromMinutes(30), 999),
        ],
    };

    private static double ExpectedKg(double segment1Kwh, double segment2Kwh) => ((segment1Kwh * 200) + (segment2Kwh * 300)) * Pue / 1000;

    /// <summary>nvidia-smi CSV with index, one row per GPU a second, from start for the given seconds (both ends included).</summary>
    private static string NvidiaSmi(TimeSpan start, int seconds, double gpu0, double gpu1)
    {
        var text = new StringBuilder("timestamp, index, power.draw [W], utilization.gpu [%]\n");
        for (var s = 0; s <= seconds; s++)
        {
            var at = (Day + start).AddSeconds(s).ToString("yyyy/MM/dd HH:mm:ss.fff", CultureInfo.InvariantCulture);
            text.Append(CultureInfo.InvariantCulture, $"{at}, 0, {gpu0:0.00} W, 90 %\n{at}, 1, {gpu1:0.00} W, 95 %\n");
        }

        return text.ToString();
    }

    private sealed record Setup(TelemetryIntake Intake, TelemetryReportHandler Handler, EmissionsReportStore Store, BlobContainerClient Telemetry);

    private async Task<Setup> CreateAsync()
    {
        var blobs = new BlobServiceClient(azurite.ConnectionString);
        var tables = new TableServiceClient(azurite.ConnectionString);
        var storage = new StorageClients(new StorageOptions { ConnectionString = azurite.ConnectionString, JobsTable = AzuriteFixture.UniqueName("jobs") });
        await tables.CreateTableIfNotExistsAsync(storage.Options.JobsTable);
        var store = new EmissionsReportStore(blobs, tables, AzuriteFixture.UniqueName("reports"), AzuriteFixture.UniqueName("emissions"));
        var handler = new TelemetryReportHandler(new SeriesStore(Actuals), store, Options.Create(new EmissionsOptions()), new FakeTimeProvider(Now), NullLogger<TelemetryReportHandler>.Instance);
        var telemetry = blobs.GetBlobContainerClient(AzuriteFixture.UniqueName("telemetry"));
        await telemetry.CreateIfNotExistsAsync();
        return new Setup(new TelemetryIntake(new JobStore(storage), handler), handler, store, telemetry);
    }

    private static async Task UploadAsync(BlobContainerClient telemetry, string name, string content)
    {
        var blob = telemetry.GetBlobClient($"{Job}/{name}");
        await blob.UploadAsync(BinaryData.FromString(content), overwrite: true);
        await blob.SetMetadataAsync(new Dictionary<string, string> { ["region"] = "westeurope", ["provider"] = "azure" });
    }

    /// <summary>What the App's blob trigger does for one blob.</summary>
    private static async Task<TelemetryReportOutcome> TriggerAsync(Setup setup, string name)
    {
        var blob = setup.Telemetry.GetBlobClient($"{Job}/{name}");
        var properties = await blob.GetPropertiesAsync();
        await using var content = await blob.OpenReadAsync();
        return await setup.Intake.HandleAsync($"telemetry/{Job}/{name}", content, properties.Value.Metadata, CancellationToken.None);
    }

    private static void AssertWholeJob(EmissionsReport report, double segment1Kwh, double segment2Kwh)
    {
        Assert.True(report.Status == ReportStatus.Ok, $"{report.Status}: {report.Coverage.Summary}; {string.Join(" | ", report.Problems)}");
        Assert.Equal(segment1Kwh + segment2Kwh, report.EnergyKwh, 9);
        Assert.Equal(ExpectedKg(segment1Kwh, segment2Kwh), report.EmissionsKg, 9);
        Assert.Equal(["n0/0", "n0/1", "n1/0", "n1/1"], report.Devices.Select(d => d.Device));
        Assert.Equal(Blobs.Select(b => $"{Job}/{b.Name}").Order(StringComparer.Ordinal), report.Blobs.Select(b => b.Blob));
        Assert.Equal(6, report.Coverage.Blobs);
        Assert.Equal(1.0, report.Coverage.Fraction, 9);
        Assert.Empty(report.Coverage.Missing);
        var pause = Assert.Single(report.Coverage.Unobserved);
        Assert.Equal(new DateTimeOffset(2026, 3, 1, 10, 20, 0, TimeSpan.Zero), pause.From);
        Assert.Equal(new DateTimeOffset(2026, 3, 1, 11, 0, 0, TimeSpan.Zero), pause.To);
        Assert.Equal(new DateTimeOffset(2026, 3, 1, 10, 0, 0, TimeSpan.Zero), report.Start);
        Assert.Equal(new DateTimeOffset(2026, 3, 1, 11, 20, 0, TimeSpan.Zero), report.End);

        // The intensity of each slot is listed, and recomputing from the list gives the total.
        Assert.Equal(2, report.Intervals.Count);
        Assert.All(report.Intervals, i => Assert.Equal((IntensitySource.Actual, "watttime", SignalKind.Marginal), (i.Source, i.Provider, i.Signal)));
        Assert.Equal([200.0, 300.0], report.Intervals.Select(i => i.GramsPerKwh!.Value));
        Assert.Equal([segment1Kwh, segment2Kwh], report.Intervals.Select(i => Math.Round(i.EnergyKwh, 12)), (a, b) => Math.Abs(a - b) < 1e-9);
        Assert.Equal(report.EmissionsKg, report.Intervals.Sum(i => i.EnergyKwh * i.GramsPerKwh!.Value * report.Pue / 1000), 9);
    }

    [Fact]
    public async Task Blob_trigger_counts_nodes_segments_and_chunks_once_and_a_correction_replaces_only_its_share()
    {
        var setup = await CreateAsync();
        foreach (var b in Blobs)
        {
            await UploadAsync(setup.Telemetry, b.Name, NvidiaSmi(b.Start, b.Seconds, b.Gpu0, b.Gpu1));
        }

        // Triggers arrive in any order.
        foreach (var b in Blobs.Reverse())
        {
            Assert.True((await TriggerAsync(setup, b.Name)).Saved);
        }

        var report = (await setup.Store.GetAsync(Job, CancellationToken.None))!;
        AssertWholeJob(report, Segment1Kwh, Segment2Kwh);

        // The trigger fires twice for one blob: counted once.
        var again = await TriggerAsync(setup, "n0/seg1-000.csv");
        Assert.True(again.AlreadyCounted);
        AssertWholeJob((await setup.Store.GetAsync(Job, CancellationToken.None))!, Segment1Kwh, Segment2Kwh);

        // A corrected upload of n1's second segment (GPU 0 at 350 W, not 300 W) replaces that share only.
        var before = report.Blobs.ToDictionary(b => b.Blob, b => b.ContentHash);
        await UploadAsync(setup.Telemetry, "n1/seg2-000.csv", NvidiaSmi(TimeSpan.FromHours(11), 1200, 350, 400));
        var corrected = await TriggerAsync(setup, "n1/seg2-000.csv");
        Assert.False(corrected.AlreadyCounted);
        var after = (await setup.Store.GetAsync(Job, CancellationToken.None))!;
        AssertWholeJob(after, Segment1Kwh, Segment2Kwh + (50.0 * 1200 / 3.6e6));
        Assert.Equal(
            [$"{Job}/n1/seg2-000.csv"],
            after.Blobs.Where(b => before[b.Blob] != b.ContentHash).Select(b => b.Blob));
        Assert.Equal(350.0 * 1200 / 3.6e6, after.Devices.Single(d => d.Device == "n1/0").EnergyKwh - (300.0 * 1200 / 3.6e6), 9);
    }

    [Fact]
    public async Task Blobs_of_one_job_handled_at_once_all_end_up_in_the_report()
    {
        var setup = await CreateAsync();
        foreach (var b in Blobs)
        {
            await UploadAsync(setup.Telemetry, b.Name, NvidiaSmi(b.Start, b.Seconds, b.Gpu0, b.Gpu1));
        }

        // Scaled-out triggers: every blob at the same time; conditional saves make the last report see them all.
        await Task.WhenAll(Blobs.Select(b => TriggerAsync(setup, b.Name)));

        AssertWholeJob((await setup.Store.GetAsync(Job, CancellationToken.None))!, Segment1Kwh, Segment2Kwh);
    }

    [Fact]
    public async Task Local_scan_counts_every_blob_once_across_passes_and_restarts_and_takes_a_correction()
    {
        var setup = await CreateAsync();
        foreach (var b in Blobs)
        {
            await UploadAsync(setup.Telemetry, b.Name, NvidiaSmi(b.Start, b.Seconds, b.Gpu0, b.Gpu1));
        }

        var scan = new TelemetryScan(setup.Telemetry, setup.Intake, NullLogger<TelemetryScan>.Instance);
        Assert.Equal(6, (await scan.RunAsync(CancellationToken.None)).Count);
        AssertWholeJob((await setup.Store.GetAsync(Job, CancellationToken.None))!, Segment1Kwh, Segment2Kwh);

        // The next pass, and a scan after a restart, find nothing new.
        Assert.Empty(await scan.RunAsync(CancellationToken.None));
        var restarted = new TelemetryScan(setup.Telemetry, setup.Intake, NullLogger<TelemetryScan>.Instance);
        Assert.Empty(await restarted.RunAsync(CancellationToken.None));

        // The trigger firing for a blob the scan already counted changes nothing either.
        Assert.True((await TriggerAsync(setup, "n1/seg1-001.csv")).AlreadyCounted);
        AssertWholeJob((await setup.Store.GetAsync(Job, CancellationToken.None))!, Segment1Kwh, Segment2Kwh);

        // A corrected chunk (n0's GPU 1 at 260 W in its second chunk) is picked up by its new ETag, and only it.
        await UploadAsync(setup.Telemetry, "n0/seg1-001.csv", NvidiaSmi(TimeSpan.FromHours(10) + TimeSpan.FromSeconds(601), 599, 100, 260));
        var handled = Assert.Single(await restarted.RunAsync(CancellationToken.None));
        Assert.Equal(Job, handled.JobId);
        var report = (await setup.Store.GetAsync(Job, CancellationToken.None))!;

        // GPU 1 of n0 drew 60 W more over the chunk's 599 s and over half of the 1 s bridged into it (200 W -> 260 W).
        AssertWholeJob(report, Segment1Kwh + (((60.0 * 599) + (30.0 * 1)) / 3.6e6), Segment2Kwh);
        Assert.Empty(await restarted.RunAsync(CancellationToken.None));
    }

    [Fact]
    public async Task A_blob_without_a_device_for_part_of_the_run_is_reported_as_missing_that_device()
    {
        var setup = await CreateAsync();
        await UploadAsync(setup.Telemetry, "n0/seg1-000.csv", NvidiaSmi(TimeSpan.FromHours(10), 600, 100, 200));

        // The second chunk lost GPU 1's rows.
        var chunk = string.Join('\n', NvidiaSmi(TimeSpan.FromHours(10) + TimeSpan.FromSeconds(601), 599, 100, 200).Split('\n').Where(l => !l.Contains(", 1, ", StringComparison.Ordinal)));
        await UploadAsync(setup.Telemetry, "n0/seg1-001.csv", chunk);
        await TriggerAsync(setup, "n0/seg1-000.csv");
        var report = (await TriggerAsync(setup, "n0/seg1-001.csv")).Report!;

        Assert.Equal(ReportStatus.Partial, report.Status);
        var missing = Assert.Single(report.Coverage.Missing);
        Assert.Equal("n0/1", missing.Device);
        Assert.Equal(new DateTimeOffset(2026, 3, 1, 10, 10, 0, TimeSpan.Zero), missing.From);
        Assert.Equal(new DateTimeOffset(2026, 3, 1, 10, 20, 0, TimeSpan.Zero), missing.To);
        Assert.Equal((100.0 * 1200 + 200.0 * 600) / 3.6e6, report.EnergyKwh, 9);
        Assert.Contains("missing", report.Coverage.Summary, StringComparison.Ordinal);
    }

    /// <summary>The forecast port with one actuals series (the Table adapter is tested elsewhere).</summary>
    private sealed class SeriesStore(CarbonIntensitySeries actuals) : IForecastStore
    {
        public Task SaveAsync(CarbonIntensitySeries series, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<CarbonIntensitySeries?> GetLatestForecastAsync(string region, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken) =>
            Task.FromResult<CarbonIntensitySeries?>(null);

        public Task<CarbonIntensitySeries?> GetActualsAsync(string region, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken) =>
            Task.FromResult<CarbonIntensitySeries?>(region == actuals.Region ? actuals : null);
    }
}
