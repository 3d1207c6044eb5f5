namespace CarbonFunctions.Forecasts.Replay;

/// <summary>
/// File replay settings (<c>Carbon:Forecasts:Replay</c>). Zones of the replay provider are file or
/// folder paths relative to <see cref="Directory"/>.
/// </summary>
public sealed class ReplayOptions
{
    public const string SectionName = "Carbon:Forecasts:Replay";

    /// <summary>Folder the zone paths are relative to; empty = the nearest samples/carbon above the app or working folder.</summary>
    public string? Directory { get; set; }

    /// <summary>The instant the replay pretends it is; empty = the clock (TimeProvider), e.g. the local host's virtual clock.</summary>
    public DateTimeOffset? AsOf { get; set; }

    /// <summary>How far ahead a forecast cut from a history file reaches.</summary>
    public int HorizonHours { get; set; } = 48;

    /// <summary>
    /// Repeat each history file in whole weeks so that any as-of time finds data (weekday and time of
    /// day kept). For demos on today's clock; off for faithful replays.
    /// </summary>
    public bool Loop { get; set; }

    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (HorizonHours is < 1 or > 24 * 14)
        {
            problems.Add($"{SectionName}:HorizonHours must be between 1 and 336.");
        }

        if (!string.IsNullOrEmpty(Directory) && !System.IO.Directory.Exists(Directory))
        {
            problems.Add($"{SectionName}:Directory '{Directory}' does not exist.");
        }

        return problems;
    }
}
