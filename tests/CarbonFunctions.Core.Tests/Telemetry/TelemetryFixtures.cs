using CarbonFunctions.Core.Emissions;
using CarbonFunctions.Core.Telemetry;

namespace CarbonFunctions.Core.Tests.Telemetry;

/// <summary>The project's own telemetry fixtures (written in the tools' formats) and a recording sink.</summary>
internal static class TelemetryFixtures
{
    private static readonly string Folder = FindFolder();

    public static Stream Open(string name) => File.OpenRead(Path.Combine(Folder, name));

    public static MemoryStream FromText(string text) => new(System.Text.Encoding.UTF8.GetBytes(text));

    public static (TelemetryEnergy Energy, RecordingSink Samples) Integrate(Stream content, TelemetryReadOptions? read = null, EmissionsOptions? options = null)
    {
        using (content)
        {
            var energy = TelemetryEmissions.Integrate(content, read ?? new TelemetryReadOptions(), options ?? new EmissionsOptions());
            return (energy, new RecordingSink());
        }
    }

    public static (TelemetryReadResult Result, RecordingSink Sink) Read(Stream content, TelemetryReadOptions? options = null)
    {
        using (content)
        {
            var sink = new RecordingSink();
            var result = TelemetryReader.Read(content, options ?? new TelemetryReadOptions(), sink);
            return (result, sink);
        }
    }

    private static string FindFolder()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "tests", "CarbonFunctions.Core.Tests", "Fixtures", "telemetry");
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new DirectoryNotFoundException("tests/CarbonFunctions.Core.Tests/Fixtures/telemetry not found above " + AppContext.BaseDirectory);
    }
}

internal sealed class RecordingSink : ITelemetrySink
{
    public List<(string Device, DateTimeOffset At, double Watts, long Line)> Power { get; } = [];

    public List<(string Device, DateTimeOffset At, double Joules, long Line)> Energy { get; } = [];

    void ITelemetrySink.Power(string device, long utcTicks, double watts, long line) =>
        Power.Add((device, new DateTimeOffset(utcTicks, TimeSpan.Zero), watts, line));

    void ITelemetrySink.EnergyCounter(string device, long utcTicks, double joules, long line) =>
        Energy.Add((device, new DateTimeOffset(utcTicks, TimeSpan.Zero), joules, line));
}
