using CarbonFunctions.Agent.Power;
using CarbonFunctions.Core.Agents;
using CarbonFunctions.Core.Jobs;
using CarbonFunctions.Core.Telemetry;

namespace CarbonFunctions.Agent.Tests;

/// <summary>Power sources: a vendor tool (a stand-in script printing nvidia-smi's CSV) and the simulated model.</summary>
public sealed class PowerSourceTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("carbon-smi-").FullName;

    [Fact]
    public async Task Nvidia_smi_is_polled_with_the_csv_query_and_its_rows_parse_under_the_header()
    {
        var tool = Path.Combine(_dir, "nvidia-smi");
        await File.WriteAllTextAsync(tool, $"""
            #!/bin/sh
            echo "$@" > "{_dir}/args"
            printf '2026/12/01 08:00:00.000, 0, 312.45 W, 97 %%\n2026/12/01 08:00:00.004, 1, 298.10 W, 95 %%\n'
            """.ReplaceLineEndings("\n"));
        if (!OperatingSystem.IsWindows())
        {
            // The agent and its tests are for the Linux nodes the pools run; a shell script stands in for the tool.
            File.SetUnixFileMode(tool, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        var job = TestJobs.Trainer("smi");

        var source = PowerSources.Create(new AgentOptions { NvidiaSmiPath = tool }, job, "0", TestJobs.Now);
        var rows = await source.PollAsync(TestJobs.Now, CancellationToken.None);

        Assert.Equal("nvidia-smi", source.Name);
        Assert.Equal("--query-gpu=timestamp,index,power.draw,utilization.gpu --format=csv,noheader", (await File.ReadAllTextAsync(Path.Combine(_dir, "args"))).Trim());
        Assert.Equal(["2026/12/01 08:00:00.000, 0, 312.45 W, 97 %", "2026/12/01 08:00:00.004, 1, 298.10 W, 95 %"], rows);
        var readings = Read(source.Header, rows);
        Assert.Equal([("0", 312.45), ("1", 298.10)], readings.Select(r => (r.Device, r.Watts)));
    }

    [Fact]
    public void Without_a_vendor_tool_the_simulated_model_is_used()
    {
        var job = TestJobs.Parse("gaudi", """{"command":["python","t.py"]}""", kind: "gaudi", provider: "aws", nodeSize: "dl1.24xlarge");

        var source = PowerSources.Create(new AgentOptions { HlSmiPath = Path.Combine(_dir, "no-hl-smi") }, job, "1", TestJobs.Now);

        var simulated = Assert.IsType<SimulatedPowerSource>(source);
        Assert.Equal((AcceleratorPowerProfile.GaudiHl205, "UTC", SmiCsv.HlSmiHeader), (simulated.Profile, source.TimeZone, source.Header));
    }

    [Fact]
    public async Task Simulated_polls_of_node_1_number_its_devices_8_to_15_and_stay_within_the_board_limit()
    {
        var source = new SimulatedPowerSource(AcceleratorPowerProfile.H100, nodeIndex: 1, seed: 42);
        var rows = new List<string>();
        for (var i = 0; i < 50; i++)
        {
            rows.AddRange(await source.PollAsync(TestJobs.Now.AddSeconds(i * 10), CancellationToken.None));
        }

        var readings = Read(source.Header, rows);
        Assert.Equal(400, readings.Count);
        Assert.Equal(Enumerable.Range(8, 8).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)), readings.Select(r => r.Device).Distinct().Order(StringComparer.Ordinal).OrderBy(d => d.Length));
        Assert.All(readings, r => Assert.InRange(r.Watts, 63, 700));

        // Training runs near the busy draw (600 W); the mean over 50 polls says so.
        Assert.InRange(readings.Average(r => r.Watts), 520, 620);
    }

    private static List<(string Device, double Watts)> Read(string header, IEnumerable<string> rows)
    {
        var text = header + "\n" + string.Join("\n", rows) + "\n";
        var sink = new Sink();
        var result = TelemetryReader.Read(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(text)), new TelemetryReadOptions(), sink);
        Assert.Equal(0, result.ProblemCount);
        return sink.Readings;
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private sealed class Sink : ITelemetrySink
    {
        public List<(string Device, double Watts)> Readings { get; } = [];

        public void Power(string device, long utcTicks, double watts, long line) => Readings.Add((device, watts));

        public void EnergyCounter(string device, long utcTicks, double joules, long line) => throw new InvalidOperationException();
    }
}
