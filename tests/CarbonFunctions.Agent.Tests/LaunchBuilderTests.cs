using CarbonFunctions.Agent.Workloads;

namespace CarbonFunctions.Agent.Tests;

/// <summary>The docker and process launches: only the arguments are tested (there is no docker engine here).</summary>
public sealed class LaunchBuilderTests
{
    private static readonly WorkloadContext Context = new("llama-1", "2", "/var/lib/carbon-agent/llama-1/2/checkpoints", Resumed: true);

    [Fact]
    public void Nvidia_image_runs_with_all_gpus_the_checkpoint_mount_and_the_environment()
    {
        var job = TestJobs.Parse("llama-1", """{"image":"contoso.azurecr.io/research/llama:0.9","command":["python","train.py","--epochs","3"]}""");

        var plan = LaunchBuilder.Build(job, Context, "auto");

        Assert.Equal("docker", plan.Runner);
        Assert.Equal("docker", plan.FileName);
        Assert.Equal(
            [
                "run", "--rm", "--init", "--name", "carbon-llama-1-2", "--network", "host", "--ipc", "host",
                "--gpus", "all",
                "-v", "/var/lib/carbon-agent/llama-1/2/checkpoints:/carbon/checkpoints",
                "-e", "CARBON_CHECKPOINT_DIR=/carbon/checkpoints",
                "-e", "CARBON_JOB_ID=llama-1",
                "-e", "CARBON_NODE=2",
                "-e", "CARBON_RESUMED=1",
                "-e", "CARBON_STATUS_FILE=/carbon/checkpoints/status.json",
                "contoso.azurecr.io/research/llama:0.9", "python", "train.py", "--epochs", "3",
            ],
            plan.Arguments);
        Assert.Empty(plan.Environment);
    }

    [Fact]
    public void Gaudi_image_runs_with_the_habana_runtime_and_no_gpu_flag()
    {
        var job = TestJobs.Parse("resnet", """{"image":"vault.habana.ai/resnet:1.17"}""", kind: "gaudi", provider: "aws", nodeSize: "dl1.24xlarge");

        var plan = LaunchBuilder.Build(job, Context with { JobId = "resnet", Node = "0", Resumed = false }, "auto");

        Assert.Equal(
            [
                "run", "--rm", "--init", "--name", "carbon-resnet-0", "--network", "host", "--ipc", "host",
                "--runtime=habana", "-e", "HABANA_VISIBLE_DEVICES=all", "-e", "OMPI_MCA_btl_vader_single_copy_mechanism=none", "--cap-add=sys_nice",
                "-v", "/var/lib/carbon-agent/llama-1/2/checkpoints:/carbon/checkpoints",
                "-e", "CARBON_CHECKPOINT_DIR=/carbon/checkpoints",
                "-e", "CARBON_JOB_ID=resnet",
                "-e", "CARBON_NODE=0",
                "-e", "CARBON_STATUS_FILE=/carbon/checkpoints/status.json",
                "vault.habana.ai/resnet:1.17",
            ],
            plan.Arguments);
        Assert.DoesNotContain("--gpus", plan.Arguments);
    }

    [Fact]
    public void Command_without_image_is_a_plain_process_with_the_host_checkpoint_folder()
    {
        var job = TestJobs.Parse("bert", """{"command":["node","samples/workloads/train.js","--steps","40"]}""");

        var plan = LaunchBuilder.Build(job, Context with { JobId = "bert", Resumed = false }, "auto", workingDirectory: "/repo");

        Assert.Equal(("process", "node", "/repo"), (plan.Runner, plan.FileName, plan.WorkingDirectory));
        Assert.Equal(["samples/workloads/train.js", "--steps", "40"], plan.Arguments);
        Assert.Equal(
            new Dictionary<string, string>
            {
                ["CARBON_CHECKPOINT_DIR"] = "/var/lib/carbon-agent/llama-1/2/checkpoints",
                ["CARBON_JOB_ID"] = "bert",
                ["CARBON_NODE"] = "2",
                ["CARBON_STATUS_FILE"] = "/var/lib/carbon-agent/llama-1/2/checkpoints/status.json",
            },
            plan.Environment);
    }

    [Fact]
    public void Process_runner_forced_on_an_image_only_job_says_what_is_missing()
    {
        var job = TestJobs.Parse("img", """{"image":"contoso.azurecr.io/x:1"}""");

        var problem = Assert.Throws<ArgumentException>(() => LaunchBuilder.Build(job, Context, "process"));

        Assert.Contains("workload.command", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Container_names_keep_only_characters_docker_accepts()
    {
        Assert.Equal("carbon-a-b-c-0", LaunchBuilder.ContainerName(new WorkloadContext("a/b c", "0", "/x", false)));
    }
}
