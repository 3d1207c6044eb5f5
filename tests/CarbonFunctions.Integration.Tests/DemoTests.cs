using CarbonFunctions.Local.Cli;
using CarbonFunctions.Testing;

namespace CarbonFunctions.Integration.Tests;

/// <summary>The README's first command, end to end: Azurite, replayed carbon data, simulated pools, telemetry, reports.</summary>
public sealed class DemoTests
{
    [Fact]
    public async Task The_demo_runs_every_sample_job_to_completion_and_leaves_no_pool_running()
    {
        var summary = await DemoCommand.RunAsync(Path.Combine(RepoPaths.Root, "samples", "jobs"), verbose: false, CancellationToken.None);

        Assert.Equal(["bert-finetune-eu", "gaudi-resnet-elastic", "llama-pretrain-us"], summary.Jobs.Select(j => j.Id).ToArray());
        Assert.All(summary.Jobs, j => Assert.Equal("Completed", j.Status));
        Assert.Equal(0, summary.PoolsLeftRunning);
        Assert.All(summary.Jobs, j => Assert.True(j.Ended <= j.Deadline, $"{j.Id} ended {j.Ended} after its deadline {j.Deadline}"));

        // The forecast timer ran before intake, so every job was planned on a forecast (emissions known, not zero).
        Assert.All(summary.Jobs, j => Assert.True(j.PlannedKg > 0, $"{j.Id} was planned without a forecast"));

        // The planner never plans worse than running at once, by its own forecast.
        // Run-now is unknown (null), not 0, where the forecast does not cover running at submission.
        Assert.All(summary.Jobs, j => Assert.True(j.RunNowKg is null || j.PlannedKg <= j.RunNowKg + 1e-9, $"{j.Id}: planned {j.PlannedKg} kg > run-now {j.RunNowKg} kg"));

        // bert: 2 nodes x 8 A100 for a 3 h window; the simulated A100 draws 60-400 W and about 340 W busy,
        // and the pool spends its 3-minute start-up inside the window: between 2x8x250 W x 2.9 h and 2x8x400 W x 3 h.
        var bert = summary.Jobs.Single(j => j.Id == "bert-finetune-eu");
        Assert.InRange(bert.EnergyKwh!.Value, 2 * 8 * 0.250 * 2.9, 2 * 8 * 0.400 * 3);
        Assert.All(summary.Jobs, j =>
        {
            Assert.True(j.MeasuredKg > 0, $"{j.Id} has no measured emissions");
            Assert.NotNull(j.CounterfactualKg);
        });

        var poison = Assert.Single(summary.PoisonReasons);
        Assert.Contains("pool.maxNode: is not a field of the contract", poison, StringComparison.Ordinal);
    }
}
