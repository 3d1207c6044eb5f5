using CarbonFunctions.Core.Emissions;
using CarbonFunctions.Core.Telemetry;
using CarbonFunctions.Core.Tests.Telemetry;

namespace CarbonFunctions.Core.Tests.Emissions;

public sealed class JobEnergyTests
{
    private static TelemetryShare Share(string blob, string csv, string? node = null)
    {
        var energy = TelemetryEmissions.Integrate(TelemetryFixtures.FromText(csv), new TelemetryReadOptions(), new EmissionsOptions(), node);
        return TelemetryShare.From("job", blob, node, energy, new EmissionsContext { JobId = "job" }, blob + "-hash", csv.Length, null, DateTimeOffset.UnixEpoch);
    }

    private static string Rows(params (int Second, double Watts)[] rows) =>
        "timestamp, index, power.draw [W]\n" + string.Concat(rows.Select(r => $"2026/01/01 00:00:{r.Second:00}.000, 0, {r.Watts:0.00} W\n"));

    [Fact]
    public void Two_chunks_of_one_stream_are_joined_by_the_interval_between_them()
    {
        // 100 W for 0-10 s in one chunk, 200 W for 11-20 s in the next: the second between them rises 100 -> 200 W.
        var first = Share("job/a-000.csv", Rows((0, 100), (10, 100)));
        var second = Share("job/a-001.csv", Rows((11, 200), (20, 200)));

        var joined = JobTelemetry.Combine([second, first], new EmissionsOptions());

        Assert.Equal(((100.0 * 10) + 150 + (200.0 * 9)) / 3.6e6, joined.Profile.EnergyKwh, 12);
        Assert.Equal(1.0, joined.Profile.CoverageFraction, 12);
        Assert.Equal(["job/a-000.csv", "job/a-001.csv"], joined.Blobs.Select(b => b.Blob));
        Assert.Empty(joined.Problems);
    }

    [Fact]
    public void Nodes_keep_their_devices_apart_and_an_overlap_is_reported()
    {
        var n0 = Share("job/n0/s.csv", Rows((0, 100), (10, 100)), node: "n0");
        var n1 = Share("job/n1/s.csv", Rows((0, 300), (10, 300)), node: "n1");
        var copy = Share("job/n1/s-copy.csv", Rows((5, 300), (10, 300)), node: "n1");

        var apart = JobTelemetry.Combine([n0, n1], new EmissionsOptions());
        Assert.Equal(["n0/0", "n1/0"], apart.Profile.Devices.Select(d => d.Device));
        Assert.Equal(4000 / 3.6e6, apart.Profile.EnergyKwh, 12);

        var overlapping = JobTelemetry.Combine([n0, n1, copy], new EmissionsOptions());
        var problem = Assert.Single(overlapping.Problems);
        Assert.Contains("overlap by 5 s", problem.Message, StringComparison.Ordinal);
    }
}
