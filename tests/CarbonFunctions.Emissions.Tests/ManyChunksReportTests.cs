using System.Globalization;
using System.Text;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using CarbonFunctions.Core.Emissions;
using CarbonFunctions.Core.Forecasts;
using CarbonFunctions.Handlers.Emissions;
using CarbonFunctions.Storage.Reports;
using CarbonFunctions.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace CarbonFunctions.Emissions.Tests;

/// <summary>
/// A node agent's chunk stream: one job, many small chunks of one nvidia-smi capture, each handled by the blob
/// handler on Azurite as it arrives. The report after the last chunk must be the whole stream's, and what the
/// N-th chunk costs in storage requests must not grow with N (it used to download every earlier share).
/// Chunk k holds the 10 rows per GPU of seconds 10k+1 .. 10k+10 after 10:00 UTC (chunk 0 starts at 10:00:00);
/// the second between two chunks is bridged. GPU 0 draws 100 W, GPU 1 200 W, except where a test says otherwise.
/// </summary>
public sealed class ManyChunksReportTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>
{
    private const string Job = "job-chunks";
    private const int Chunks = 120;
    private static readonly DateTimeOffset Now = new(2026, 3, 2, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTime Start = new(2026, 3, 1, 10, 0, 0, DateTimeKind.Unspecified);

    private static readonly CarbonIntensitySeries Actuals = new()
    {
        Region = "westeurope",
        Kind = SeriesKind.Actual,
        Signal = SignalKind.Average,
        Source = "test",
        GeneratedAt = Now,
        Points = [new(new DateTimeOffset(2026, 3, 1, 9, 0, 0, TimeSpan.Zero), TimeSpan.FromHours(4), 250)],
    };

    private static readonly Dictionary<string, string> Metadata = new() { ["region"] = "westeurope", ["provider"] = "azure" };

    private static string Name(int chunk) => $"telemetry/{Job}/n0/seg1-{chunk:0000}.csv";

    private static MemoryStream Chunk(int chunk, double gpu0 = 100, double gpu1 = 200)
    {
        var text = new StringBuilder("timestamp, index, power.draw [W]\n");
        var first = chunk == 0 ? 0 : (chunk * 10) + 1;
        for (var s = first; s <= (chunk * 10) + 10; s++)
        {
            var at = Start.AddSeconds(s).ToString("yyyy/MM/dd HH:mm:ss.fff", CultureInfo.InvariantCulture);
            text.Append(CultureInfo.InvariantCulture, $"{at}, 0, {gpu0:0.00} W\n{at}, 1, {gpu1:0.00} W\n");
        }

        return new MemoryStream(Encoding.UTF8.GetBytes(text.ToString()));
    }

    private (TelemetryReportHandler Handler, EmissionsReportStore Store, RequestCounter Requests, BlobContainerClient Reports) Create()
    {
        var requests = new RequestCounter();
        var blobOptions = new BlobClientOptions();
        blobOptions.AddPolicy(requests, HttpPipelinePosition.PerCall);
        var tableOptions = new TableClientOptions();
        tableOptions.AddPolicy(requests, HttpPipelinePosition.PerCall);
        var blobs = new BlobServiceClient(azurite.ConnectionString, blobOptions);
        var reports = AzuriteFixture.UniqueName("reports");
        var store = new EmissionsReportStore(blobs, new TableServiceClient(azurite.ConnectionString, tableOptions), reports, AzuriteFixture.UniqueName("emissions"));
        var handler = new TelemetryReportHandler(new SeriesStore(Actuals), store, Options.Create(new EmissionsOptions()), new FakeTimeProvider(Now), NullLogger<TelemetryReportHandler>.Instance);
        return (handler, store, requests, blobs.GetBlobContainerClient(reports));
    }

    [Fact]
    public async Task Each_chunk_costs_the_same_storage_requests_and_the_report_is_the_whole_stream()
    {
        var (handler, store, requests, _) = Create();
        var perChunk = new List<int>();
        for (var k = 0; k < Chunks; k++)
        {
            var before = requests.Count;
            using var content = Chunk(k);
            var outcome = await handler.HandleAsync(Name(k), content, Metadata, CancellationToken.None);
            Assert.True(outcome.Saved, outcome.Error);
            perChunk.Add(requests.Count - before);
        }

        // After the first chunks (which create the container, table and share set) every chunk costs the same.
        Assert.All(perChunk.Skip(2), n => Assert.Equal(perChunk[2], n));
        Assert.True(perChunk[2] <= 8, $"{perChunk[2]} requests for one chunk");

        // 10:00:00 to the last sample, both GPUs, every second bridged: 300 W for 10 × Chunks seconds.
        var report = (await store.GetAsync(Job, CancellationToken.None))!;
        Assert.Equal(ReportStatus.Ok, report.Status);
        Assert.Equal(Chunks, report.Blobs.Count);
        Assert.Equal(Chunks, report.Coverage.Blobs);
        Assert.Equal(300.0 * 10 * Chunks / 3.6e6, report.EnergyKwh, 12);
        Assert.Equal(1.0, report.Coverage.Fraction, 9);
        Assert.Empty(report.Coverage.Unobserved);
        Assert.Equal(report.EnergyKwh * 250 * report.Pue / 1000, report.EmissionsKg, 12);
        Assert.Equal(Chunks, (await store.ListSharesAsync(Job, CancellationToken.None)).Count);
    }

    [Fact]
    public async Task A_repeated_trigger_changes_nothing_and_a_corrected_chunk_replaces_only_its_share()
    {
        var (handler, store, _, _) = Create();
        for (var k = 0; k < 40; k++)
        {
            using var content = Chunk(k);
            await handler.HandleAsync(Name(k), content, Metadata, CancellationToken.None);
        }

        var whole = (await store.GetAsync(Job, CancellationToken.None))!;
        Assert.Equal(300.0 * 400 / 3.6e6, whole.EnergyKwh, 12);

        using (var again = Chunk(17))
        {
            Assert.True((await handler.HandleAsync(Name(17), again, Metadata, CancellationToken.None)).AlreadyCounted);
        }

        Assert.Equal(whole.EnergyKwh, (await store.GetAsync(Job, CancellationToken.None))!.EnergyKwh);
        Assert.Equal(40, (await store.ListSharesAsync(Job, CancellationToken.None)).Count);

        // Chunk 17 re-uploaded with GPU 1 at 260 W: its 9 s inside and half of each bridged second on its two sides
        // (200 W -> 260 W and back) gain 60 W.
        using (var corrected = Chunk(17, gpu1: 260))
        {
            Assert.False((await handler.HandleAsync(Name(17), corrected, Metadata, CancellationToken.None)).AlreadyCounted);
        }

        var after = (await store.GetAsync(Job, CancellationToken.None))!;
        Assert.Equal(whole.EnergyKwh + (60.0 * (9 + 0.5 + 0.5) / 3.6e6), after.EnergyKwh, 12);
        Assert.Equal(
            [$"{Job}/n0/seg1-0017.csv"],
            after.Blobs.Zip(whole.Blobs).Where(p => p.First.ContentHash != p.Second.ContentHash).Select(p => p.First.Blob));
        Assert.Equal(40, after.Blobs.Count);
    }

    [Fact]
    public async Task Shares_kept_one_blob_each_by_the_earlier_store_are_carried_into_the_set()
    {
        var (handler, store, _, container) = Create();
        using (var first = Chunk(0))
        {
            await handler.HandleAsync(Name(0), first, Metadata, CancellationToken.None);
        }

        // What the earlier store left: the share as a blob of its own, and no set.
        var share = (await store.GetShareAsync(Job, $"{Job}/n0/seg1-0000.csv", CancellationToken.None))!;
        await container.GetBlobClient(EmissionsReportStore.ShareName(Job, share.Blob)).UploadAsync(BinaryData.FromString(share.ToJson()));
        await container.GetBlobClient(EmissionsReportStore.ShareSetName(Job)).DeleteAsync();
        Assert.Single(await store.ListSharesAsync(Job, CancellationToken.None));

        using (var second = Chunk(1))
        {
            await handler.HandleAsync(Name(1), second, Metadata, CancellationToken.None);
        }

        Assert.Equal([$"{Job}/n0/seg1-0000.csv", $"{Job}/n0/seg1-0001.csv"], (await store.ListSharesAsync(Job, CancellationToken.None)).Select(s => s.Blob));
        Assert.Equal(300.0 * 20 / 3.6e6, (await store.GetAsync(Job, CancellationToken.None))!.EnergyKwh, 12);
    }

    /// <summary>Counts the requests the storage clients send.</summary>
    private sealed class RequestCounter : HttpPipelineSynchronousPolicy
    {
        private int _count;

        public int Count => Volatile.Read(ref _count);

        public override void OnSendingRequest(HttpMessage message) => Interlocked.Increment(ref _count);
    }

    private sealed class SeriesStore(CarbonIntensitySeries actuals) : IForecastStore
    {
        public Task SaveAsync(CarbonIntensitySeries series, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<CarbonIntensitySeries?> GetLatestForecastAsync(string region, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken) =>
            Task.FromResult<CarbonIntensitySeries?>(null);

        public Task<CarbonIntensitySeries?> GetActualsAsync(string region, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken) =>
            Task.FromResult<CarbonIntensitySeries?>(region == actuals.Region ? actuals : null);
    }
}
