using CarbonFunctions.Core.Jobs;

namespace CarbonFunctions.Core.Agents;

/// <summary>How a node's accelerators draw power: the model behind simulated telemetry (simulated pools and agents without a vendor tool).</summary>
/// <param name="Model">Device name as the vendor tool prints it.</param>
/// <param name="IdleWatts">Draw of an idle device with the node up.</param>
/// <param name="BusyWatts">Typical draw at full utilization during training.</param>
/// <param name="MaxWatts">The board's power limit; samples never exceed it.</param>
public sealed record AcceleratorPowerProfile(string Model, PoolKind Kind, int DevicesPerNode, double IdleWatts, double BusyWatts, double MaxWatts)
{
    /// <summary>NVIDIA A100 SXM 80 GB (ND A100 v4): 400 W board limit, ~60 W idle.</summary>
    public static AcceleratorPowerProfile A100 { get; } = new("NVIDIA A100-SXM4-80GB", PoolKind.Gpu, 8, 60, 340, 400);

    /// <summary>NVIDIA H100 SXM (ND H100 v5): 700 W board limit, ~70 W idle.</summary>
    public static AcceleratorPowerProfile H100 { get; } = new("NVIDIA H100 80GB HBM3", PoolKind.Gpu, 8, 70, 600, 700);

    /// <summary>Intel Gaudi HL-205 (AWS DL1): 350 W limit, ~100 W idle, ~300 W busy.</summary>
    public static AcceleratorPowerProfile GaudiHl205 { get; } = new("HL-205", PoolKind.Gaudi, 8, 100, 300, 350);

    /// <summary>The profile for a pool's kind and node size (H100 sizes by name, other GPU sizes as A100).</summary>
    public static AcceleratorPowerProfile For(PoolKind kind, string? nodeSize) =>
        kind == PoolKind.Gaudi ? GaudiHl205
        : nodeSize?.Contains("H100", StringComparison.OrdinalIgnoreCase) == true ? H100
        : A100;
}
