using Cronos;

namespace CarbonFunctions.Handlers.Hosting;

/// <summary>A timer function's six-field cron schedule (Cronos), so that the local host runs its periodic tasks on the same schedule.</summary>
public sealed class CronSchedule
{
    private readonly CronExpression _cron;

    public CronSchedule(string expression)
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
