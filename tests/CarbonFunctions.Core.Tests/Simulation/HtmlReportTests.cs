using System.Text.RegularExpressions;
using CarbonFunctions.Core.Reporting;

namespace CarbonFunctions.Core.Tests.Simulation;

public sealed class HtmlReportTests
{
    private static readonly DateTimeOffset T0 = new(2022, 6, 6, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void The_report_is_self_contained_and_draws_its_three_charts()
    {
        var model = new ReportModel
        {
            Title = "test <report>",
            Intensity = [.. Enumerable.Range(0, 48).Select(i => (T0.AddHours(i), 100.0 + (50 * Math.Sin(i / 4.0))))],
            PolicyTotals = [("run-now", 10), ("best-window", 7.5)],
            Jobs =
            [
                new ReportJob("job-a", "best-window", T0, T0.AddHours(30), [(T0.AddHours(5), T0.AddHours(8))], [(T0.AddHours(5), T0.AddHours(8.5))], 1.2, 2.0, 0.1),
                new ReportJob("job-b", "suspend-resume", T0, T0.AddHours(40), [(T0.AddHours(2), T0.AddHours(4)), (T0.AddHours(20), T0.AddHours(22))], [], null, null, null),
            ],
        };

        var html = HtmlReport.Write(model);

        Assert.StartsWith("<!DOCTYPE html>", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.Empty(Regex.Matches(html, @"(src|href)\s*=").ToList());
        Assert.Contains("test &lt;report&gt;", html, StringComparison.Ordinal);
        foreach (var id in new[] { "intensity-chart", "policy-chart", "job-chart" })
        {
            Assert.Contains($"<svg id=\"{id}\"", html, StringComparison.Ordinal);
        }

        // 48 points on the curve; 3 planned windows, 1 actual, 2 deadlines; 2 policy bars; job-a's three bars (job-b has no figures).
        var curve = Regex.Match(html, "<polyline class=\"curve\" points=\"([^\"]*)\"").Groups[1].Value;
        Assert.Equal(48, curve.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.Equal(3, Count(html, "<rect class=\"planned\""));
        Assert.Equal(1, Count(html, "<rect class=\"ran\""));
        Assert.Equal(2, Count(html, "<line class=\"deadline\""));
        Assert.Equal(3, Count(html, "<rect class=\"bar\""));
        Assert.Equal(1, Count(html, "<rect class=\"bar-cf\""));
        Assert.Equal(1, Count(html, "<rect class=\"bar-regret\""));
    }

    private static int Count(string text, string what) => Regex.Count(text, Regex.Escape(what));
}
