using CarbonFunctions.Testing;

namespace CarbonFunctions.Integration.Tests;

/// <summary>The node agent as the solution build leaves it, in the same configuration and framework as these tests.</summary>
internal static class TestAgent
{
    public static string Assembly { get; } = Path.Combine(
        RepoPaths.Root, "src", "CarbonFunctions.Agent", "bin",
        new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name,
        new DirectoryInfo(AppContext.BaseDirectory).Name,
        "CarbonFunctions.Agent.dll");
}
