using CarbonFunctions.Handlers.Hosting;

namespace CarbonFunctions.Handlers.Forecasts;

/// <summary>Forecast ingestion settings (<c>Carbon:Forecasts</c>).</summary>
public sealed class ForecastIngestionOptions
{
    public const string SectionName = "Carbon:Forecasts";

    /// <summary>Six-field cron (with seconds) as Azure Functions timers use; five-field is accepted too.</summary>
    public string Schedule { get; set; } = "0 */30 * * * *";

    /// <summary>A region whose newest forecast is older than this is reported stale.</summary>
    public TimeSpan MaxAge { get; set; } = TimeSpan.FromHours(3);

    /// <summary>How far back each run fetches actuals.</summary>
    public TimeSpan ActualsLookback { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Regions to ingest; empty = every region of the active region mapping.</summary>
    public List<string> Regions { get; set; } = [];

    /// <summary>Regions fetched at the same time.</summary>
    public int MaxParallelism { get; set; } = 4;

    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (CronSchedule.TryParse(Schedule, out _) is { } error)
        {
            problems.Add($"{SectionName}:Schedule: {error}");
        }

        if (MaxAge <= TimeSpan.Zero)
        {
            problems.Add($"{SectionName}:MaxAge must be positive.");
        }

        if (ActualsLookback < TimeSpan.Zero || ActualsLookback > TimeSpan.FromDays(10))
        {
            problems.Add($"{SectionName}:ActualsLookback must be between 0 and 10 days.");
        }

        if (MaxParallelism < 1)
        {
            problems.Add($"{SectionName}:MaxParallelism must be at least 1.");
        }

        return problems;
    }
}
