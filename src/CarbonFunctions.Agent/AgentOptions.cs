namespace CarbonFunctions.Agent;

/// <summary>How the node agent finds its job, runs the workload and reports. Bound from <c>Agent</c> (and the command line).</summary>
public sealed record AgentOptions
{
    public const string SectionName = "Agent";

    /// <summary>Where the identity comes from: "args" (JobId/Node given), "azure" (IMDS tags), "aws" (IMDSv2 tags), or "auto" (args when JobId is set, else Azure, then AWS).</summary>
    public string Identity { get; init; } = "auto";

    public string? JobId { get; init; }

    /// <summary>The node's index in the pool ("0", "1", ...); from the carbon-node tag or the instance's index in the cloud.</summary>
    public string? Node { get; init; }

    public string AzureImdsEndpoint { get; init; } = "http://169.254.169.254/";

    public string AwsImdsEndpoint { get; init; } = "http://169.254.169.254/";

    /// <summary>How long one metadata call may take; the link-local address answers in milliseconds or not at all.</summary>
    public TimeSpan ImdsTimeout { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>"auto" (docker when the workload has an image, else process), "process" or "docker".</summary>
    public string Runner { get; init; } = "auto";

    public string DockerPath { get; init; } = "docker";

    /// <summary>Working directory of a process workload (relative commands resolve here).</summary>
    public string? WorkingDirectory { get; init; }

    /// <summary>Root of per-job state; checkpoints go to {WorkDir}/{jobId}/{node}/checkpoints unless <see cref="CheckpointDir"/> is set.</summary>
    public string WorkDir { get; init; } = Path.Combine(Path.GetTempPath(), "carbon-agent");

    public string? CheckpointDir { get; init; }

    /// <summary>Forces CARBON_RESUMED; by default it is set when this node ran the job before (a marker in the checkpoint folder).</summary>
    public bool? Resumed { get; init; }

    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromSeconds(30);

    public TimeSpan ControlPollInterval { get; init; } = TimeSpan.FromSeconds(5);

    public TimeSpan SampleInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How often the readings so far are uploaded as a chunk (and always at a checkpoint or the end).</summary>
    public TimeSpan ChunkInterval { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>How long the workload has after the checkpoint signal to write its checkpoint and exit; then it is killed, unacknowledged.</summary>
    public TimeSpan CheckpointTimeout { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>The signal that asks the workload to checkpoint and exit: SIGTERM, SIGINT, SIGUSR1, SIGUSR2 or SIGHUP.</summary>
    public string CheckpointSignal { get; init; } = "SIGTERM";

    /// <summary>Instead of a signal, a command run to ask for the checkpoint (CARBON_WORKLOAD_PID is set for it).</summary>
    public IReadOnlyList<string>? CheckpointCommand { get; init; }

    /// <summary>"auto" (nvidia-smi or hl-smi when on PATH, else simulated), "nvidia-smi", "hl-smi" or "simulated".</summary>
    public string Power { get; init; } = "auto";

    public string NvidiaSmiPath { get; init; } = "nvidia-smi";

    /// <summary>
    /// Only for the local simulation: a scaled clock's anchor (<c>virtual=ISO;wall=ISO;scale=N</c>, see
    /// <see cref="Core.Simulation.ScaledClock"/>) that the host shares with its agents, so that a demo runs days in
    /// minutes with real agents and workloads. Unset on a real node: the agent runs on the system clock.
    /// </summary>
    public string? Clock { get; init; }

    public string HlSmiPath { get; init; } = "hl-smi";

    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        string[] identities = ["auto", "args", "azure", "aws"];
        if (!identities.Contains(Identity))
        {
            problems.Add($"{SectionName}:Identity must be one of {string.Join(", ", identities)}, was '{Identity}'.");
        }

        if (Identity == "args" && (string.IsNullOrWhiteSpace(JobId) || string.IsNullOrWhiteSpace(Node)))
        {
            problems.Add($"{SectionName}: identity 'args' needs --job and --node.");
        }

        string[] runners = ["auto", "process", "docker"];
        if (!runners.Contains(Runner))
        {
            problems.Add($"{SectionName}:Runner must be one of {string.Join(", ", runners)}, was '{Runner}'.");
        }

        string[] power = ["auto", "nvidia-smi", "hl-smi", "simulated"];
        if (!power.Contains(Power))
        {
            problems.Add($"{SectionName}:Power must be one of {string.Join(", ", power)}, was '{Power}'.");
        }

        if (CheckpointCommand is not { Count: > 0 } && Workloads.Signals.TryParse(CheckpointSignal) is null)
        {
            problems.Add($"{SectionName}:CheckpointSignal '{CheckpointSignal}' is not one of {string.Join(", ", Workloads.Signals.Names)}.");
        }

        if (Clock is { } clock)
        {
            try
            {
                _ = Core.Simulation.ScaledClock.Parse(clock);
            }
            catch (Exception ex) when (ex is FormatException or ArgumentOutOfRangeException)
            {
                problems.Add($"{SectionName}:Clock: {ex.Message}");
            }
        }

        foreach (var (name, value) in new[] { ("HeartbeatInterval", HeartbeatInterval), ("ControlPollInterval", ControlPollInterval), ("SampleInterval", SampleInterval), ("ChunkInterval", ChunkInterval), ("CheckpointTimeout", CheckpointTimeout), ("ImdsTimeout", ImdsTimeout) })
        {
            if (value <= TimeSpan.Zero)
            {
                problems.Add($"{SectionName}:{name} must be positive, was {value}.");
            }
        }

        return problems;
    }
}
