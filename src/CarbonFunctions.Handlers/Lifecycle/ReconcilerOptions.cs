using CarbonFunctions.Handlers.Hosting;

namespace CarbonFunctions.Handlers.Lifecycle;

/// <summary>When the reconciler runs (<c>Carbon:Reconciler</c>): the same cron in the Functions timer and the local host.</summary>
public sealed record ReconcilerOptions
{
    public const string SectionName = "Carbon:Reconciler";

    /// <summary>Every ten minutes by default: an orphaned pool costs money by the minute, and one run lists every pool once.</summary>
    public string Schedule { get; init; } = "0 */10 * * * *";

    public CronSchedule Cron => new(Schedule);

    public IReadOnlyList<string> Validate() =>
        CronSchedule.TryParse(Schedule, out _) is { } error ? [$"{SectionName}:Schedule: {error}"] : [];
}
