namespace CarbonFunctions.Reliability.Tests;

/// <summary>Each scenario's one summary line, to the test output and to the console (so that `dotnet test` logs show it).</summary>
internal static class Summary
{
    public static string Print(ITestOutputHelper output, string line)
    {
        output.WriteLine(line);
        Console.WriteLine(line);
        return line;
    }
}
