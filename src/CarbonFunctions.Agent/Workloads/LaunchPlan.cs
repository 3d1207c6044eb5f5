using CarbonFunctions.Core.Jobs;

namespace CarbonFunctions.Agent.Workloads;

/// <summary>The process the agent starts for a workload: a plain command, or the docker CLI that runs the container.</summary>
public sealed record LaunchPlan(string Runner, string FileName, IReadOnlyList<string> Arguments, IReadOnlyDictionary<string, string> Environment, string? WorkingDirectory);

/// <summary>What the workload is told about its run.</summary>
/// <param name="CheckpointDir">The host folder that survives a pause (the OS disk of a deallocated VM, locally a folder).</param>
/// <param name="TimeScale">Virtual seconds per wall second when the agent runs on a scaled clock (the demo); 1 on a real node.</param>
/// <param name="JobDir">The job's folder above the nodes' own (<c>{WorkDir}/{jobId}</c>): shared by the nodes only where they share a disk, as the local simulation's do.</param>
public sealed record WorkloadContext(string JobId, string Node, string CheckpointDir, bool Resumed, double TimeScale = 1, string? JobDir = null);

/// <summary>
/// Builds the launch of a job's workload. The environment contract (docs/AGENT.md): CARBON_JOB_ID, CARBON_NODE,
/// CARBON_CHECKPOINT_DIR, CARBON_STATUS_FILE, CARBON_RESUMED=1 on a resume, CARBON_JOB_DIR for a process workload
/// (the job's folder above the node's), and CARBON_TIME_SCALE when the agent runs
/// on a scaled clock (a workload that paces itself by the wall clock divides its waits by it).
/// </summary>
public static class LaunchBuilder
{
    /// <summary>Where the checkpoint folder is mounted inside a container.</summary>
    public const string ContainerCheckpointDir = "/carbon/checkpoints";

    public const string StatusFileName = "status.json";

    /// <summary>"docker" when the workload names an image, otherwise "process" (unless <paramref name="runner"/> forces one).</summary>
    public static string ChooseRunner(Workload workload, string runner)
    {
        ArgumentNullException.ThrowIfNull(workload);
        return runner switch
        {
            "process" or "docker" => runner,
            _ => workload.Image is null ? "process" : "docker",
        };
    }

    public static LaunchPlan Build(TrainingJob job, WorkloadContext context, string runner, string dockerPath = "docker", string? workingDirectory = null)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(context);
        return ChooseRunner(job.Workload, runner) == "docker"
            ? Docker(job, context, dockerPath)
            : Process(job, context, workingDirectory);
    }

    public static IReadOnlyDictionary<string, string> Environment(WorkloadContext context, string checkpointDir)
    {
        ArgumentNullException.ThrowIfNull(context);
        var environment = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["CARBON_JOB_ID"] = context.JobId,
            ["CARBON_NODE"] = context.Node,
            ["CARBON_CHECKPOINT_DIR"] = checkpointDir,
            ["CARBON_STATUS_FILE"] = checkpointDir.TrimEnd('/') + "/" + StatusFileName,
        };
        if (context.Resumed)
        {
            environment["CARBON_RESUMED"] = "1";
        }

        if (context.JobDir is { } jobDir && checkpointDir == context.CheckpointDir)
        {
            // A host path: only a process workload sees it (a container gets the checkpoint mount alone).
            environment["CARBON_JOB_DIR"] = jobDir;
        }

        if (context.TimeScale != 1)
        {
            environment["CARBON_TIME_SCALE"] = context.TimeScale.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
        }

        return environment;
    }

    private static LaunchPlan Process(TrainingJob job, WorkloadContext context, string? workingDirectory)
    {
        if (job.Workload.Command is not { Count: > 0 } command)
        {
            throw new ArgumentException($"job {job.Id}: the process runner needs workload.command (the workload has only an image; use the docker runner)");
        }

        return new LaunchPlan("process", command[0], [.. command.Skip(1)], Environment(context, context.CheckpointDir), workingDirectory);
    }

    private static LaunchPlan Docker(TrainingJob job, WorkloadContext context, string dockerPath)
    {
        if (job.Workload.Image is not { } image)
        {
            throw new ArgumentException($"job {job.Id}: the docker runner needs workload.image");
        }

        // Foreground `docker run` proxies the signals it receives to the container (sig-proxy is on without a TTY),
        // so the checkpoint signal reaches the workload the same way as with the process runner. --init puts a real
        // init at PID 1: a workload without its own SIGTERM handler then still exits on it instead of ignoring it.
        var arguments = new List<string> { "run", "--rm", "--init", "--name", ContainerName(context), "--network", "host", "--ipc", "host" };
        if (job.Pool.Kind == PoolKind.Gaudi)
        {
            // Habana's container runtime exposes the HPUs; sys_nice lets its runtime pin threads.
            arguments.AddRange(["--runtime=habana", "-e", "HABANA_VISIBLE_DEVICES=all", "-e", "OMPI_MCA_btl_vader_single_copy_mechanism=none", "--cap-add=sys_nice"]);
        }
        else
        {
            arguments.AddRange(["--gpus", "all"]);
        }

        arguments.AddRange(["-v", $"{context.CheckpointDir}:{ContainerCheckpointDir}"]);
        foreach (var (name, value) in Environment(context, ContainerCheckpointDir))
        {
            arguments.AddRange(["-e", $"{name}={value}"]);
        }

        arguments.Add(image);
        if (job.Workload.Command is { } command)
        {
            arguments.AddRange(command);
        }

        return new LaunchPlan("docker", dockerPath, arguments, new Dictionary<string, string>(), null);
    }

    /// <summary>carbon-{job}-{node}: unique per node, so a stale container of an earlier run is easy to find.</summary>
    public static string ContainerName(WorkloadContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var safe = new string([.. $"carbon-{context.JobId}-{context.Node}".Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '-')]);
        return safe;
    }
}
