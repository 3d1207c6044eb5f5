// One job's chunk stream through the blob handler on a local Azurite: N chunks of an nvidia-smi capture (2 GPUs,
// 10 s each), handled one after the other as a node agent uploads them. Prints, per block of chunks, the mean
// seconds and storage requests per chunk, so that growth with N shows. Usage: dotnet run -c Release -- 500
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using CarbonFunctions.Core.Emissions;
using CarbonFunctions.Core.Forecasts;
using CarbonFunctions.Handlers.Emissions;
using CarbonFunctions.Storage.Azurite;
using CarbonFunctions.Storage.Reports;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

var chunks = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 500;
var block = Math.Max(1, chunks / 10);
await using var azurite = await AzuriteProcess.StartAsync();
var requests = new RequestCounter();
var blobOptions = new BlobClientOptions();
blobOptions.AddPolicy(requests, HttpPipelinePosition.PerCall);
var tableOptions = new TableClientOptions();
tableOptions.AddPolicy(requests, HttpPipelinePosition.PerCall);
var store = new EmissionsReportStore(new BlobServiceClient(azurite.ConnectionString, blobOptions), new TableServiceClient(azurite.ConnectionString, tableOptions));
var handler = new TelemetryReportHandler(new FlatActuals(), store, Options.Create(new EmissionsOptions()), TimeProvider.System, NullLogger<TelemetryReportHandler>.Instance);
var metadata = new Dictionary<string, string> { ["region"] = "westeurope", ["provider"] = "azure" };
var start = new DateTime(2026, 3, 1, 10, 0, 0, DateTimeKind.Unspecified);

Console.WriteLine("| chunks | mean s per chunk | storage requests per chunk |");
Console.WriteLine("|---|---:|---:|");
var total = Stopwatch.StartNew();
var watch = Stopwatch.StartNew();
var blockRequests = 0;
EmissionsReport? report = null;
for (var k = 0; k < chunks; k++)
{
    var text = new StringBuilder("timestamp, index, power.draw [W]\n");
    for (var s = k == 0 ? 0 : (k * 10) + 1; s <= (k * 10) + 10; s++)
    {
        var at = start.AddSeconds(s).ToString("yyyy/MM/dd HH:mm:ss.fff", CultureInfo.InvariantCulture);
        text.Append(CultureInfo.InvariantCulture, $"{at}, 0, 100.00 W\n{at}, 1, 200.00 W\n");
    }

    var before = requests.Count;
    using var content = new MemoryStream(Encoding.UTF8.GetBytes(text.ToString()));
    report = (await handler.HandleAsync($"telemetry/job-chunks/n0/seg1-{k:00000}.csv", content, metadata, CancellationToken.None)).Report;
    blockRequests += requests.Count - before;
    if ((k + 1) % block == 0)
    {
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {k + 2 - block}-{k + 1} | {watch.Elapsed.TotalSeconds / block:0.000} | {blockRequests / (double)block:0.0} |"));
        watch.Restart();
        blockRequests = 0;
    }
}

var expected = 300.0 * 10 * chunks / 3.6e6;
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{chunks} chunks in {total.Elapsed.TotalSeconds:0.0} s, {requests.Count} requests; report {report?.EnergyKwh:0.000000000} kWh from {report?.Blobs.Count} blobs (expected {expected:0.000000000})"));

/// <summary>Counts the requests the storage clients send.</summary>
internal sealed class RequestCounter : HttpPipelineSynchronousPolicy
{
    private int _count;

    public int Count => Volatile.Read(ref _count);

    public override void OnSendingRequest(HttpMessage message) => Interlocked.Increment(ref _count);
}

/// <summary>250 g/kWh actuals around the run.</summary>
internal sealed class FlatActuals : IForecastStore
{
    public Task SaveAsync(CarbonIntensitySeries series, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task<CarbonIntensitySeries?> GetLatestForecastAsync(string region, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken) =>
        Task.FromResult<CarbonIntensitySeries?>(null);

    public Task<CarbonIntensitySeries?> GetActualsAsync(string region, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken) =>
        Task.FromResult<CarbonIntensitySeries?>(new CarbonIntensitySeries
        {
            Region = region,
            Kind = SeriesKind.Actual,
            Signal = SignalKind.Average,
            Source = "flat",
            GeneratedAt = to,
            Points = [new(from.AddHours(-1), (to - from) + TimeSpan.FromHours(2), 250)],
        });
}
