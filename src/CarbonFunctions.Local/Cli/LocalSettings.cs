namespace CarbonFunctions.Local.Cli;

/// <summary>The embedded default: simulated pools, replayed bundled carbon data, and the local host's timers.</summary>
public static class LocalSettings
{
    /// <summary>Settings for the local host and the demo; anything in carbonctl.json or Carbon__* variables overrides them.</summary>
    public static Dictionary<string, string?> Defaults(string connection) => new()
    {
        ["Carbon:Storage:ConnectionString"] = connection,
        ["Carbon:Pools:Simulate"] = "true",
        ["Carbon:Forecasts:RegionMap:Mapping"] = "replay",
        ["Carbon:Forecasts:Replay:Loop"] = "true",
        ["Carbon:Forecasts:Schedule"] = "0 0 */6 * * *",

        // The regions the sample jobs use; each is replayed from a bundled real trace (samples/carbon).
        ["Carbon:Forecasts:Regions:0"] = "germanywestcentral",
        ["Carbon:Forecasts:Regions:1"] = "spaincentral",
        ["Carbon:Forecasts:Regions:2"] = "westus",
        ["Carbon:Forecasts:Regions:3"] = "eastus",
        ["Carbon:Forecasts:Regions:4"] = "us-east-1",
    };

    /// <summary>
    /// The demo runs days of virtual time in seconds: every periodic task that fires is a turn of the loop, so it scans
    /// for telemetry and reconciles less often than the local host on the real clock does (every minute, every ten).
    /// </summary>
    public static Dictionary<string, string?> Demo(string connection) => new(Defaults(connection))
    {
        ["Carbon:Reconciler:Schedule"] = "0 0 * * * *",
        ["Carbon:LocalHost:TelemetryScanInterval"] = "00:30:00",
    };
}
