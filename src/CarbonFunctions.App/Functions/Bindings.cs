namespace CarbonFunctions.App.Functions;

/// <summary>
/// The triggers' queue, container and schedule names as binding expressions over the same settings carbonctl reads
/// (<c>Carbon__Storage__JobsQueue</c> is the configuration key <c>Carbon:Storage:JobsQueue</c>). Constants, because
/// attribute arguments must be; a repository test holds each to its entry in <c>AppSettingNames</c>.
/// </summary>
public static class Bindings
{
    /// <summary>The storage connection every trigger uses: the host's own account, the same one as Carbon:Storage.</summary>
    public const string Connection = "AzureWebJobsStorage";

    public const string JobsQueue = "%Carbon:Storage:JobsQueue%";
    public const string EventsQueue = "%Carbon:Storage:EventsQueue%";
    public const string TelemetryBlobPath = "%Carbon:Storage:TelemetryContainer%/{jobId}/{name}";
    public const string ForecastsSchedule = "%Carbon:Forecasts:Schedule%";
    public const string ReconcilerSchedule = "%Carbon:Reconciler:Schedule%";
}
