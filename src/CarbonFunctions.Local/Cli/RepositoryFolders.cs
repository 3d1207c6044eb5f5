namespace CarbonFunctions.Local.Cli;

/// <summary>Finds the repository's folders (samples/, …) from the working directory or from where carbonctl was built.</summary>
public static class RepositoryFolders
{
    /// <summary>The nearest folder, walking up from the working directory and then from the app's folder, that holds <paramref name="relative"/>; null if none.</summary>
    public static string? Find(string relative)
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (Directory.Exists(Path.Combine(dir.FullName, relative)))
                {
                    return dir.FullName;
                }
            }
        }

        return null;
    }
}
