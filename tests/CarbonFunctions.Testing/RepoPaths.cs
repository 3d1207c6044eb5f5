namespace CarbonFunctions.Testing;

/// <summary>Where the repository and the shared real-data folder are, for tests that read files.</summary>
public static class RepoPaths
{
    /// <summary>The repository root: the first folder above the test binaries that holds CarbonFunctions.sln.</summary>
    public static string Root { get; } =
        FindUp(AppContext.BaseDirectory, "CarbonFunctions.sln")
        ?? throw new InvalidOperationException("cannot find the repository root");

    /// <summary>../shared/data beside the repository, or null in a clone that does not have it.</summary>
    public static string? SharedData
    {
        get
        {
            var dir = Path.GetFullPath(Path.Combine(Root, "..", "shared", "data"));
            return Directory.Exists(dir) ? dir : null;
        }
    }

    private static string? FindUp(string start, string marker)
    {
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, marker)))
            {
                return dir.FullName;
            }
        }

        return null;
    }
}
