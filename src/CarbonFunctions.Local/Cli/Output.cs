using System.Text.Json;
using CarbonFunctions.Storage;
using Spectre.Console;

namespace CarbonFunctions.Local.Cli;

/// <summary>
/// Exit codes and output shared by every command: results on stdout (tables for people, one JSON document under
/// --json), errors on stderr (one JSON object per error under --json), never a stack trace.
/// </summary>
public static class Output
{
    public const int Ok = 0;
    public const int Failure = 1;

    /// <summary>The input was refused (usage, validation); nothing was changed.</summary>
    public const int InvalidInput = 2;

    public const int NotFound = 3;

    private static readonly JsonSerializerOptions Indented = new(StorageJson.Options) { WriteIndented = true };

    /// <summary>Set once from the command line: --json anywhere makes errors JSON too.</summary>
    public static bool JsonErrors { get; set; }

    public static void Json<T>(T value) => Console.Out.WriteLine(JsonSerializer.Serialize(value, Indented));

    public static void Error(string message, IReadOnlyList<object>? details = null)
    {
        if (JsonErrors)
        {
            Console.Error.WriteLine(JsonSerializer.Serialize(new { error = message, details }, StorageJson.Options));
            return;
        }

        Console.Error.WriteLine("error: " + message);
        foreach (var detail in details ?? [])
        {
            Console.Error.WriteLine("  " + detail);
        }
    }

    /// <summary>A progress or status line for people: stderr, so that stdout stays the result.</summary>
    public static void Note(string message)
    {
        if (!JsonErrors)
        {
            Console.Error.WriteLine(message);
        }
    }

    /// <summary>Writes a table to stdout.</summary>
    public static void Table(Table table) => AnsiConsole.Write(table);

    public static string Kg(double grams) => (grams / 1000).ToString("0.###", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Kilograms, or "unknown" where no forecast covered the time (never 0 for unknown).</summary>
    public static string Kg(double? grams) => grams is { } g ? Kg(g) : "unknown";

    public static string Time(DateTimeOffset? t) => t?.UtcDateTime.ToString("yyyy-MM-dd HH:mm'Z'", System.Globalization.CultureInfo.InvariantCulture) ?? "-";
}
