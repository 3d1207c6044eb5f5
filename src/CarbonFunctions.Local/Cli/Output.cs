using System.Text.Json;
using CarbonFunctions.Storage;
using Spectre.Console;

namespace CarbonFunctions.Local.Cli;

/// <summary>Exit codes and output shared by every command: tables for people, --json for scripts.</summary>
public static class Output
{
    public const int Ok = 0;
    public const int Failure = 1;

    /// <summary>The input was refused (validation errors); nothing was changed.</summary>
    public const int InvalidInput = 2;

    public const int NotFound = 3;

    private static readonly JsonSerializerOptions Indented = new(StorageJson.Options) { WriteIndented = true };

    public static void Json<T>(T value) => Console.Out.WriteLine(JsonSerializer.Serialize(value, Indented));

    public static void Error(string message) => AnsiConsole.MarkupLineInterpolated($"[red]error:[/] {message}");

    public static string Kg(double grams) => (grams / 1000).ToString("0.###", System.Globalization.CultureInfo.InvariantCulture);

    public static string Time(DateTimeOffset? t) => t?.UtcDateTime.ToString("yyyy-MM-dd HH:mm'Z'", System.Globalization.CultureInfo.InvariantCulture) ?? "-";
}
