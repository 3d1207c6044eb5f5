namespace CarbonFunctions.Repo.Tests;

/// <summary>Outside the infra collection so that it runs alongside it.</summary>
public class BicepLintConfigTests
{
    [Fact]
    public void Lint_does_fail_on_a_warning_under_the_repository_config()
    {
        // An unused parameter is a warning under bicepconfig.json; BicepTests' lint check reads the same kind of output.
        var dir = Directory.CreateTempSubdirectory("bicep-lint-");
        try
        {
            File.Copy(Repository.PathOf("bicepconfig.json"), Path.Combine(dir.FullName, "bicepconfig.json"));
            var file = Path.Combine(dir.FullName, "probe.bicep");
            File.WriteAllText(file, "param unused string\noutput answer int = 42\n");

            var lint = Repository.Run(Repository.BicepPath, ["lint", file]);

            Assert.Contains("no-unused-params", lint.Combined, StringComparison.Ordinal);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
