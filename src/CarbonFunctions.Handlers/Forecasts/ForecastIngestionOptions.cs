using Cronos;

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
        if (ForecastSchedule.TryParse(Schedule, out _) is { } error)
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

/// <summary>The ingestion timer's cron schedule (Cronos), for the local host's timer.</summary>
public sealed class ForecastSchedule
{
    private readonly CronExpression _cron;

    public ForecastSchedule(string expression)
    {
        if (TryParse(expression, out var cron) is { } error)
        {
            throw new ArgumentException(error, nameof(expression));
        }

        _cron = cron!;
        Expression = expression;
    }

    public string Expression { get; }

    /// <summary>The first occurrence strictly after <paramref name="instant"/> (UTC schedule, as Functions timers run by default).</summary>
    public DateTimeOffset NextRunAfter(DateTimeOffset instant) =>
        _cron.GetNextOccurrence(instant, TimeZoneInfo.Utc, inclusive: false)
        ?? throw new InvalidOperationException($"cron '{Expression}' has no occurrence after {instant:O}");

    /// <summary>Null when valid; otherwise why not.</summary>
    public static string? TryParse(string? expression, out CronExpression? cron)
    {
        cron = null;
        if (string.IsNullOrWhiteSpace(expression))
        {
            return "a cron expression is required, e.g. \"0 */30 * * * *\"";
        }

        var fields = expression.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;
        try
        {
            cron = CronExpression.Parse(expression, fields == 6 ? CronFormat.IncludeSeconds : CronFormat.Standard);
            return null;
        }
        catch (CronFormatException ex)
        {
            return $"'{expression}' is not a valid cron expression: {ex.Message}";
        }
    }
}
