using System.Diagnostics;
using CarbonFunctions.Agent.Workloads;

namespace CarbonFunctions.Agent.Tests;

/// <summary>samples/workloads/train.js on its own: checkpoints, resumes and the steps an unannounced kill throws away.</summary>
public sealed class SampleWorkloadTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "carbon-train-tests", Guid.NewGuid().ToString("N")[..12]);

    private Process Start(params string[] arguments)
    {
        var info = new ProcessStartInfo("node") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(TestJobs.TrainScript);
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        info.Environment["CARBON_CHECKPOINT_DIR"] = _dir;
        info.Environment["CARBON_JOB_ID"] = "sample";
        return Process.Start(info)!;
    }

    private System.Text.Json.JsonElement Status => AgentHarness.ReadJson(Path.Combine(_dir, "status.json"));

    [Fact]
    public async Task Kill_without_warning_loses_the_steps_after_the_last_checkpoint_and_the_resume_counts_them()
    {
        using (var first = Start("--steps", "40", "--step-ms", "50", "--checkpoint-every", "5"))
        {
            while (!File.Exists(Path.Combine(_dir, "status.json")) || Status.GetProperty("stepsDone").GetInt32() is < 7 or 10)
            {
                await Task.Delay(10);
            }

            first.Kill();
            await first.WaitForExitAsync();
        }

        var reached = Status.GetProperty("stepsDone").GetInt32();
        var saved = AgentHarness.ReadJson(Path.Combine(_dir, "checkpoint.json")).GetProperty("step").GetInt32();
        Assert.Equal(reached / 5 * 5, saved);

        using var second = Start("--steps", "40", "--step-ms", "5", "--checkpoint-every", "5");
        var log = await second.StandardOutput.ReadToEndAsync();
        await second.WaitForExitAsync();

        Assert.Equal(0, second.ExitCode);
        Assert.Contains($"resuming at step {saved}", log, StringComparison.Ordinal);
        Assert.Equal(("finished", 40, 1, reached - saved, 8), (Status.GetProperty("state").GetString(), Status.GetProperty("stepsDone").GetInt32(), Status.GetProperty("resumes").GetInt32(), Status.GetProperty("lostSteps").GetInt32(), Status.GetProperty("checkpoints").GetInt32()));
    }

    [Fact]
    public async Task Sigterm_saves_every_completed_step_and_exits_0()
    {
        using var run = Start("--steps", "1000", "--step-ms", "20", "--checkpoint-every", "100");
        while (!File.Exists(Path.Combine(_dir, "status.json")) || Status.GetProperty("stepsDone").GetInt32() < 3)
        {
            await Task.Delay(10);
        }

        Assert.True(Signals.Send(run.Id, 15));
        await run.WaitForExitAsync();

        Assert.Equal(0, run.ExitCode);
        var saved = AgentHarness.ReadJson(Path.Combine(_dir, "checkpoint.json")).GetProperty("step").GetInt32();
        Assert.Equal(("checkpointed", saved, saved, 1), (Status.GetProperty("state").GetString(), Status.GetProperty("stepsDone").GetInt32(), Status.GetProperty("lastCheckpointStep").GetInt32(), Status.GetProperty("checkpoints").GetInt32()));
    }

    [Fact]
    public async Task Bad_arguments_exit_2_with_the_reason()
    {
        using var run = Start("--steps", "ten");
        var errors = await run.StandardError.ReadToEndAsync();
        await run.WaitForExitAsync();

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--steps needs a non-negative integer, got 'ten'", errors, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }
}
