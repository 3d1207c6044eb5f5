namespace CarbonFunctions.Compute.Simulated;

/// <summary>Behaviour of the simulated pools used by the local host. Bound from <c>Carbon:Pools:Simulated</c>.</summary>
public sealed record SimulatedPoolOptions
{
    public const string SectionName = "Carbon:Pools:Simulated";

    /// <summary>Time from a start request until the nodes run (VM boot and image pull in a real cloud).</summary>
    public TimeSpan StartDelay { get; init; } = TimeSpan.FromMinutes(3);

    /// <summary>Nodes that may be starting or running across all simulated pools; more fails the start as a quota error.</summary>
    public int QuotaNodes { get; init; } = 16;

    /// <summary>Control-plane calls allowed per minute of (virtual) time before calls are throttled; 0 = never.</summary>
    public int MaxCallsPerMinute { get; init; }

    /// <summary>Telemetry sample interval; 60 s keeps a multi-hour run's file small (8 rows per node per sample).</summary>
    public TimeSpan SampleInterval { get; init; } = TimeSpan.FromSeconds(60);

    public string TableName { get; init; } = "simulatedpools";

    public string TelemetryContainer { get; init; } = "telemetry";

    /// <summary>
    /// Opt-in: the node agent to start for each running node, e.g. ["dotnet", "src/CarbonFunctions.Agent/bin/Release/net10.0/CarbonFunctions.Agent.dll",
    /// "--job", "{jobId}", "--node", "{node}", "--storage", "UseDevelopmentStorage=true"]; null runs no workload.
    /// </summary>
    public IReadOnlyList<string>? AgentCommand { get; init; }

    /// <summary>Where the agents start (relative paths in <see cref="AgentCommand"/> and in workload commands resolve here).</summary>
    public string? AgentWorkingDirectory { get; init; }

    /// <summary>Where each agent's output goes (<c>{poolId}-node{N}.log</c>); unset: the host's stderr.</summary>
    public string? AgentLogDirectory { get; init; }

    /// <summary>How long a pause or stop waits for an agent to checkpoint, acknowledge and exit after SIGTERM before killing it.</summary>
    public TimeSpan AgentStopTimeout { get; init; } = TimeSpan.FromMinutes(3);

    /// <summary>Returns the problems with these settings, for start-up validation.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (StartDelay < TimeSpan.Zero)
        {
            problems.Add($"{SectionName}:StartDelay must not be negative.");
        }

        if (QuotaNodes < 1)
        {
            problems.Add($"{SectionName}:QuotaNodes must be at least 1, was {QuotaNodes}.");
        }

        if (MaxCallsPerMinute < 0)
        {
            problems.Add($"{SectionName}:MaxCallsPerMinute must not be negative.");
        }

        if (SampleInterval < TimeSpan.FromSeconds(1))
        {
            problems.Add($"{SectionName}:SampleInterval must be at least 1 s.");
        }

        if (AgentCommand is { } agent && (agent.Count == 0 || string.IsNullOrWhiteSpace(agent[0])))
        {
            problems.Add($"{SectionName}:AgentCommand needs at least the program to run.");
        }

        if (AgentStopTimeout <= TimeSpan.Zero)
        {
            problems.Add($"{SectionName}:AgentStopTimeout must be positive.");
        }

        if (string.IsNullOrWhiteSpace(TableName) || string.IsNullOrWhiteSpace(TelemetryContainer))
        {
            problems.Add($"{SectionName}:TableName and TelemetryContainer are required.");
        }

        return problems;
    }
}
