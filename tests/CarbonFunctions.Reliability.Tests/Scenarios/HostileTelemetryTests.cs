using System.Globalization;
using System.Text;
using CarbonFunctions.Core.Emissions;
using CarbonFunctions.Handlers.Emissions;
using CarbonFunctions.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace CarbonFunctions.Reliability.Tests.Scenarios;

[Collection(ReliabilityCollection.Name)]
public sealed class HostileTelemetryTests(SharedAzurite azurite, ITestOutputHelper output)
{
    private const long HugeLineBytes = 128L * 1024 * 1024;

    private static readonly DateTime RunStart = LocalRig.Start.UtcDateTime.AddHours(1);

    /// <summary>nvidia-smi CSV (units, index) of one GPU, one row a second, UTC timestamps.</summary>
    private static string NvidiaSmi(int seconds, Func<int, string> watts, Func<int, DateTime>? at = null)
    {
        var text = new StringBuilder("timestamp, index, power.draw [W], utilization.gpu [%]\n");
        for (var s = 0; s <= seconds; s++)
        {
            text.Append((at ?? (i => RunStart.AddSeconds(i)))(s).ToString("yyyy/MM/dd HH:mm:ss.fff", CultureInfo.InvariantCulture)).Append(", 0, ").Append(watts(s)).Append(" W, 90 %\n");
        }

        return text.ToString();
    }

    private static MemoryStream Text(string text) => new MemoryStream(Encoding.UTF8.GetBytes(text));

    [Fact]
    public async Task Hostile_telemetry_gives_an_error_or_a_failed_report_in_bounded_memory_and_never_throws()
    {
        var rig = new LocalRig(azurite);
        await using var local = await rig.BuildAsync();
        await local.Host.PumpOnceAsync(); // the forecast refresh runs first: intensities for the reports
        var intake = local.Services.GetRequiredService<TelemetryIntake>();
        var metadata = new Dictionary<string, string> { ["region"] = "spaincentral", ["provider"] = "azure", ["timezone"] = "UTC", ["submittedAt"] = LocalRig.Start.ToString("O", CultureInfo.InvariantCulture) };

        // The baseline: 400 W for 30 min is 0.2 kWh, and a good file gives a good report.
        var baseline = await intake.HandleAsync("telemetry/baseline/gpu.csv", Text(NvidiaSmi(1800, _ => "400.00")), metadata, CancellationToken.None);
        Assert.NotNull(baseline.Report);
        Assert.Equal(ReportStatus.Ok, baseline.Report.Status);
        Assert.Equal(0.2, baseline.Report.EnergyKwh, 6);

        var random = new Random(41);
        var garbage = new byte[1024 * 1024];
        random.NextBytes(garbage);
        var good = NvidiaSmi(600, _ => "300.00");
        var hugeLine = new GeneratedStream(HugeLineBytes, i => (byte)'A');
        // A file whose good rows can still be read may give an Ok report — but only with the energy those rows hold
        // (300 W for 10 min = 0.05 kWh); every other hostile file must give an error or a report that is not Ok.
        const double GoodRows = 0.05;
        var cases = new (string Name, string Path, Func<Stream> Content, double? OkOnlyAt)[]
        {
            ("huge line", "telemetry/huge-line/gpu.csv", () => hugeLine, null),
            ("huge header", "telemetry/huge-header/gpu.csv", () => Text(new string('h', 2 * 1024 * 1024) + "\n" + good), GoodRows),
            ("binary garbage", "telemetry/garbage/gpu.csv", () => new MemoryStream(garbage), null),
            ("binary garbage as jsonl", "telemetry/garbage-jsonl/gpu.jsonl", () => new MemoryStream(garbage), null),
            ("binary garbage as dcgm", "telemetry/garbage-dcgm/gpu.prom", () => new MemoryStream(garbage), null),
            ("NUL tail", "telemetry/nul-tail/gpu.csv", () => new MemoryStream([.. Encoding.UTF8.GetBytes(good), .. new byte[1024 * 1024]]), GoodRows),
            ("stray quotes", "telemetry/stray-quotes/gpu.csv", () => Text(good.Replace(", 0, ", ", \"0, ", StringComparison.Ordinal)), GoodRows),
            ("1e30 W", "telemetry/absurd-power/gpu.csv", () => Text(NvidiaSmi(600, _ => "1e30")), null),
            ("NaN and negative W", "telemetry/nan-power/gpu.csv", () => Text(NvidiaSmi(600, s => s % 2 == 0 ? "NaN" : "-250.00")), null),
            ("time going backwards", "telemetry/backwards/gpu.csv", () => Text(NvidiaSmi(600, _ => "300.00", s => RunStart.AddSeconds(600 - s))), GoodRows),
            ("empty", "telemetry/empty/gpu.csv", () => new MemoryStream(), null),
            ("header only", "telemetry/header-only/gpu.csv", () => Text("timestamp, index, power.draw [W]\n"), null),
            ("jsonl with broken lines", "telemetry/broken-jsonl/gpu.jsonl", () => Text("{\"ts\":\"2026-12-01T01:00:00Z\",\"device\":\"0\",\"power\":1e30}\n{\"ts\":\n\"\u0000\u0000\"\n[1,2,3]\n"), null),
            ("not a job path", "telemetry/../../etc/passwd", () => Text(good), null),
        };

        var errors = 0;
        var notOk = 0;
        var okOnGoodRows = 0;
        var baselineMemory = GC.GetTotalMemory(forceFullCollection: true);
        foreach (var (name, path, content, okOnlyAt) in cases)
        {
            await using var stream = content();
            var outcome = await intake.HandleAsync(path, stream, metadata, CancellationToken.None);

            // An outcome, never an exception.
            Assert.True(outcome.Error is not null || outcome.Report is not null, name);
            if (outcome.Report is null)
            {
                errors++;
            }
            else if (outcome.Report.Status != ReportStatus.Ok)
            {
                notOk++;
            }
            else
            {
                Assert.True(okOnlyAt is not null, $"{name}: an Ok report of {outcome.Report.EnergyKwh} kWh");
                Assert.Equal(okOnlyAt!.Value, outcome.Report.EnergyKwh, 6);
                okOnGoodRows++;
            }
        }

        var peakMiB = (hugeLine.PeakManagedBytes - baselineMemory) / (1024.0 * 1024.0);
        var line = Summary.Print(output, string.Create(CultureInfo.InvariantCulture,
            $"hostile telemetry: {cases.Length} uploads, {errors} refused with an error, {notOk} failed or partial reports, {okOnGoodRows} read from their good rows only, 0 crashes, live heap +{Math.Max(0, peakMiB):0} MiB on a {HugeLineBytes / (1024 * 1024)} MiB line (read {hugeLine.Position / (1024.0 * 1024.0):0.#} MiB of it); baseline {baseline.Report.EnergyKwh:0.000} kWh Ok"));
        Assert.True(hugeLine.Position > 0, "the huge line was read");
        Assert.True(peakMiB < 64, line);
    }

    /// <summary>A read-only stream of generated bytes that records the live managed heap as it is read (memory is bounded if this stays flat).</summary>
    private sealed class GeneratedStream(long length, Func<long, byte> at) : Stream
    {
        private const long Step = 16 * 1024 * 1024;
        private long _position;
        private long _lastStep = -1;

        public long PeakManagedBytes { get; private set; }

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => length;

        public override long Position { get => _position; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            // Every 16 MiB, the live heap after a full collection: what the reader holds, not garbage awaiting a collection.
            if (_position / Step != _lastStep)
            {
                _lastStep = _position / Step;
                PeakManagedBytes = Math.Max(PeakManagedBytes, GC.GetTotalMemory(forceFullCollection: true));
            }

            var n = (int)Math.Min(count, length - _position);
            for (var i = 0; i < n; i++)
            {
                buffer[offset + i] = at(_position + i);
            }

            _position += n;
            return n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
