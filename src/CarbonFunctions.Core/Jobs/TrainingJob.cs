namespace CarbonFunctions.Core.Jobs;

/// <summary>The kind of accelerator a job's pool is made of.</summary>
public enum PoolKind
{
    Gpu,
    Gaudi,
}

/// <summary>Which cloud runs the pool.</summary>
public enum CloudProvider
{
    Azure,
    Aws,
}

/// <summary>
/// A training job as a team submits it on the <c>training-jobs</c> queue (contract version 1).
/// Built only by <see cref="JobContract.Parse"/>, so an instance is always valid.
/// </summary>
public sealed record TrainingJob
{
    public required int SchemaVersion { get; init; }
    public required string Id { get; init; }
    public required string Name { get; init; }
    public required string Owner { get; init; }
    public required PoolRequest Pool { get; init; }

    /// <summary>Candidate regions in the provider's naming (eastus, westeurope, us-east-1, ...), most preferred first.</summary>
    public required IReadOnlyList<string> Regions { get; init; }

    /// <summary>Wall-clock run time at <see cref="PoolRequest.MinNodes"/> nodes, without pauses.</summary>
    public required TimeSpan EstimatedDuration { get; init; }

    public required DateTimeOffset Deadline { get; init; }

    /// <summary>True when the job checkpoints and can be paused and resumed.</summary>
    public required bool Interruptible { get; init; }

    /// <summary>Time lost at every resume (restore from checkpoint, warm-up).</summary>
    public required TimeSpan ResumeOverhead { get; init; }

    public required Workload Workload { get; init; }

    /// <summary>Optional intensity above which the job should not run (gCO2e/kWh).</summary>
    public double? CarbonThresholdGramsPerKwh { get; init; }

    /// <summary>Optional planning policy requested by the team; the configured default otherwise.</summary>
    public string? Policy { get; init; }

    /// <summary>Optional functional unit for the SCI score (e.g. "samples", "tokens", "steps").</summary>
    public string? FunctionalUnit { get; init; }

    /// <summary>When the job was submitted; set on intake from the queue message's insertion time when absent.</summary>
    public DateTimeOffset? SubmittedAt { get; init; }

    /// <summary>True when the pool may be resized while the job runs (min &lt; max nodes).</summary>
    public bool IsElastic => Pool.MaxNodes > Pool.MinNodes;
}

/// <summary>The accelerator pool a job asks for.</summary>
public sealed record PoolRequest
{
    public required PoolKind Kind { get; init; }
    public required CloudProvider Provider { get; init; }

    /// <summary>VM size (Azure, e.g. Standard_NC24ads_A100_v4) or instance type (AWS, e.g. dl1.24xlarge).</summary>
    public required string NodeSize { get; init; }

    public required int MinNodes { get; init; }
    public required int MaxNodes { get; init; }

    /// <summary>Average electrical power of one busy node in watts; a per-kind default from configuration when absent.</summary>
    public double? PowerPerNodeWatts { get; init; }

    /// <summary>
    /// For elastic jobs: throughput at 1, 2, ... MaxNodes nodes relative to one node
    /// (e.g. [1, 1.9, 2.7, 3.4]); linear scaling is assumed when absent.
    /// </summary>
    public IReadOnlyList<double>? RelativeThroughput { get; init; }
}

/// <summary>What the pool runs: a container image and/or a command.</summary>
public sealed record Workload
{
    public string? Image { get; init; }
    public IReadOnlyList<string>? Command { get; init; }

    /// <summary>How often a workload that exits non-zero is restarted (the pool paused and started again) before the job fails.</summary>
    public int MaxRetries { get; init; }
}
