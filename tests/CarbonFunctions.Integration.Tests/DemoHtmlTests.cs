using CarbonFunctions.Local.Cli;
using CarbonFunctions.Testing;

namespace CarbonFunctions.Integration.Tests;

/// <summary><c>carbonctl demo --html</c>: the run as one HTML report, with forecast regret where it is known.</summary>
public sealed class DemoHtmlTests
{
    [Fact]
    public async Task The_demo_writes_its_report_with_the_charts_and_each_completed_jobs_regret_or_why_not()
    {
        var html = Path.Combine(Path.GetTempPath(), $"demo-{Guid.NewGuid():N}.html");
        try
        {
            var summary = await DemoCommand.RunAsync(Path.Combine(RepoPaths.Root, "samples", "jobs"), false, html, CancellationToken.None);

            Assert.Equal(Path.GetFullPath(html), summary.HtmlReport);
            var text = await File.ReadAllTextAsync(html);
            foreach (var id in new[] { "intensity-chart", "policy-chart", "job-chart" })
            {
                Assert.Contains($"<svg id=\"{id}\"", text, StringComparison.Ordinal);
            }

            // One lane per job with where it ran, and per job either its regret or the reason it is not known yet.
            Assert.True(text.Split("<rect class=\"ran\"").Length - 1 >= summary.Jobs.Count, "a job without a run window");
            foreach (var job in summary.Jobs)
            {
                Assert.True(
                    text.Contains($"{job.Id}: forecast regret", StringComparison.Ordinal) || text.Contains($"{job.Id}: no forecast regret", StringComparison.Ordinal),
                    $"{job.Id}: neither its regret nor why not");
            }

            Assert.Contains("run at submission", text, StringComparison.Ordinal);
            Assert.DoesNotContain("<script", text, StringComparison.OrdinalIgnoreCase);
        }
        finally
        {
            File.Delete(html);
        }
    }
}
