using System.Globalization;

namespace CarbonFunctions.Local.Cli;

/// <summary>
/// Where the local host finds the node agent and the sample workloads, and the settings that make the simulated pools
/// start one real agent process per running node (the demo and <c>carbonctl local run</c> do by default).
/// </summary>
public sealed record LocalAgents(string AgentAssembly, string RepositoryRoot, string WorkDir)
{
    /// <summary>
    /// Finds the agent built next to this carbonctl (…/CarbonFunctions.Local/bin/{Configuration}/{tfm}/ →
    /// …/CarbonFunctions.Agent/bin/…) and the repository root (the folder holding samples/); null when either is missing.
    /// </summary>
    public static LocalAgents? Find(string workDir)
    {
        var baseDir = AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar);
        var sibling = baseDir.Replace("CarbonFunctions.Local", "CarbonFunctions.Agent", StringComparison.Ordinal);
        var assembly = Path.Combine(sibling, "CarbonFunctions.Agent.dll");
        var root = RepositoryFolders.Find("samples");
        return File.Exists(assembly) && root is not null ? new LocalAgents(assembly, root, workDir) : null;
    }

    /// <summary>Why <see cref="Find"/> found nothing, for the user.</summary>
    public static string NotFound =>
        "cannot find the node agent (src/CarbonFunctions.Agent/bin/…/CarbonFunctions.Agent.dll, built by ./run.sh build) or the repository's samples/ folder";

    /// <summary>
    /// The settings: agents on every simulated node, running the job's <c>workload.command</c> as a process with
    /// simulated power, on loopback storage; the lifecycle checkpoints before every pause and planned stop.
    /// <paramref name="timing"/> gives the agents' and the lifecycle's intervals (virtual time on the demo's clock).
    /// </summary>
    public Dictionary<string, string?> Settings(string connection, AgentTiming timing)
    {
        ArgumentNullException.ThrowIfNull(timing);
        string[] command =
        [
            "dotnet", AgentAssembly,
            "--job", "{jobId}", "--node", "{node}", "--storage", connection,
            "--identity", "args", "--runner", "process", "--power", "simulated", "--workdir", WorkDir,
            "--Agent:HeartbeatInterval", Span(timing.Heartbeat),
            "--Agent:ControlPollInterval", Span(timing.ControlPoll),
            "--Agent:SampleInterval", Span(timing.Sample),
            "--Agent:ChunkInterval", Span(timing.Chunk),
            "--Agent:CheckpointTimeout", Span(timing.AgentCheckpoint),
        ];
        var settings = new Dictionary<string, string?>
        {
            ["Carbon:Lifecycle:WorkloadAgents"] = "true",
            ["Carbon:Lifecycle:CheckpointTimeout"] = Span(timing.LifecycleCheckpoint),
            ["Carbon:Lifecycle:HeartbeatTimeout"] = Span(timing.HeartbeatTimeout),
            ["Carbon:Pools:Simulated:AgentWorkingDirectory"] = RepositoryRoot,
            ["Carbon:Pools:Simulated:AgentLogDirectory"] = Path.Combine(WorkDir, "logs"),
        };
        for (var i = 0; i < command.Length; i++)
        {
            settings[$"Carbon:Pools:Simulated:AgentCommand:{i.ToString(CultureInfo.InvariantCulture)}"] = command[i];
        }

        return settings;
    }

    private static string Span(TimeSpan value) => value.ToString("c", CultureInfo.InvariantCulture);
}

/// <summary>The agents' and the lifecycle's intervals for a local run.</summary>
public sealed record AgentTiming(
    TimeSpan Heartbeat, TimeSpan ControlPoll, TimeSpan Sample, TimeSpan Chunk, TimeSpan AgentCheckpoint, TimeSpan LifecycleCheckpoint, TimeSpan HeartbeatTimeout)
{
    /// <summary>On the real clock: the agent's own defaults, and the lifecycle's.</summary>
    public static AgentTiming RealTime { get; } = new(
        TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(10), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(2), TimeSpan.FromMinutes(10), TimeSpan.FromMinutes(10));

    /// <summary>
    /// On the demo's scaled clock every virtual minute is a fraction of a wall second: the agents poll and beat in
    /// minutes of virtual time (a few per wall second), and the lifecycle waits long enough in virtual time for the
    /// round trip (control row → signal → checkpoint → event → host) that takes a few hundred wall milliseconds.
    /// The hung check waits three virtual hours (nine wall seconds): an agent's own start on a busy machine has been
    /// seen to take two wall seconds, forty virtual minutes, before its first heartbeat.
    /// </summary>
    public static AgentTiming ScaledDemo { get; } = new(
        TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1), TimeSpan.FromHours(1), TimeSpan.FromMinutes(30), TimeSpan.FromMinutes(60), TimeSpan.FromHours(3));
}
