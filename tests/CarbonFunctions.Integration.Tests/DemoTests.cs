using CarbonFunctions.Local.Cli;
using CarbonFunctions.Testing;

namespace CarbonFunctions.Integration.Tests;

/// <summary>The README's first command, end to end: Azurite, replayed carbon data, simulated pools with real agents, telemetry, reports, the HTML report.</summary>
public sealed class DemoTests
{
    [Fact]
    public async Task The_demo_runs_every_sample_job_to_completion_and_leaves_no_pool_running()
    {
        var agents = new LocalAgents(TestAgent.Assembly, RepoPaths.Root, Path.Combine(Path.GetTempPath(), "carbon-demo-test-" + Guid.NewGuid().ToString("N")[..8]));
        var html = Path.Combine(Path.GetTempPath(), $"demo-{Guid.NewGuid():N}.html");
        DemoCommand.Summary summary;
        try
        {
            // Half the demo's speed: here every test assembly shares the two cores, and an agent's start (wall time) is
            // then up to twice as long; at 600x it costs the plans as many virtual minutes as at 1200x alone.
            summary = await DemoCommand.RunAsync(Path.Combine(RepoPaths.Root, "samples", "jobs"), verbose: false, CancellationToken.None, timeScale: 600, agents: agents, htmlPath: html);
            AssertHtmlReport(summary, html);
        }
        finally
        {
            File.Delete(html);
        }

        Assert.Equal(["bert-finetune-eu", "gaudi-resnet-elastic", "llama-pretrain-us"], summary.Jobs.Select(j => j.Id).ToArray());
        Assert.All(summary.Jobs, j => Assert.Equal("Completed", j.Status));
        Assert.Equal(0, summary.PoolsLeftRunning);
        Assert.All(summary.Jobs, j => Assert.True(j.Ended <= j.Deadline, $"{j.Id} ended {j.Ended} after its deadline {j.Deadline}"));

        // The forecast timer ran before intake, so every job was planned on a forecast (emissions known, not zero).
        Assert.All(summary.Jobs, j => Assert.True(j.PlannedKg > 0, $"{j.Id} was planned without a forecast"));

        // The planner never plans worse than running at once, by its own forecast.
        // Run-now is unknown (null), not 0, where the forecast does not cover running at submission.
        Assert.All(summary.Jobs, j => Assert.True(j.RunNowKg is null || j.PlannedKg <= j.RunNowKg + 1e-9, $"{j.Id}: planned {j.PlannedKg} kg > run-now {j.RunNowKg} kg"));

        // bert: 2 nodes x 8 A100 for 3 h of work; the simulated A100 draws 60-400 W and about 340 W busy. The agents
        // sample from their start to the workload's end: at least the 3 h of steps, at most the slot plus the overrun
        // the agents' start-up causes on the demo's scaled clock (under an hour).
        var bert = summary.Jobs.Single(j => j.Id == "bert-finetune-eu");
        Assert.InRange(bert.EnergyKwh!.Value, 2 * 8 * 0.250 * 3, 2 * 8 * 0.400 * 4);
        Assert.All(summary.Jobs, j =>
        {
            Assert.True(j.MeasuredKg > 0, $"{j.Id} has no measured emissions");
            Assert.NotNull(j.CounterfactualKg);
        });

        // Real node agents ran the sample workload (samples/workloads/train.js) on every job: every step done, the exit
        // code 0 reported by the agent, and the suspend-resume job paused (checkpoint acknowledged) and resumed from its
        // checkpoint without doing a step twice.
        Assert.All(summary.Jobs, j =>
        {
            Assert.Equal(0, j.Workload?.ExitCode);
            Assert.Equal(0L, j.Workload?.LostSteps);
            Assert.Equal(0, j.Workload?.CheckpointsMissed);
        });
        Assert.Equal(180L, bert.Workload!.StepsDone);
        var llama = summary.Jobs.Single(j => j.Id == "llama-pretrain-us");
        Assert.Equal(480L, llama.Workload!.StepsDone);
        Assert.True(llama.Workload.Resumes >= 1, $"llama was not resumed: {llama.Workload}");
        Assert.True(llama.Workload.CheckpointsAcknowledged >= 1, $"llama's pause had no acknowledged checkpoint: {llama.Workload}");

        var poison = Assert.Single(summary.PoisonReasons);
        Assert.Contains("pool.maxNode: is not a field of the contract", poison, StringComparison.Ordinal);
    }

    /// <summary><c>carbonctl demo --html</c>: the run as one HTML report, with forecast regret where it is known.</summary>
    private static void AssertHtmlReport(DemoCommand.Summary summary, string html)
    {
        Assert.Equal(Path.GetFullPath(html), summary.HtmlReport);
        var text = File.ReadAllText(html);
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
}
