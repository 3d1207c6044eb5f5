using System.Diagnostics;
using CarbonFunctions.Core.Agents;
using CarbonFunctions.Core.Jobs;

namespace CarbonFunctions.Agent.Power;

/// <summary>Where the agent's power readings come from: one poll gives one CSV row per device, without header.</summary>
public interface IPowerSource
{
    /// <summary>"nvidia-smi", "hl-smi" or "simulated".</summary>
    string Name { get; }

    PoolKind Kind { get; }

    /// <summary>The header line each uploaded chunk starts with.</summary>
    string Header { get; }

    /// <summary>The IANA/system id of the zone the timestamps are in (the tools print local time; the simulation UTC).</summary>
    string TimeZone { get; }

    Task<IReadOnlyList<string>> PollAsync(DateTimeOffset now, CancellationToken cancellationToken);
}

/// <summary>Chooses the power source: a vendor tool on PATH (or configured), else the simulated model.</summary>
public static class PowerSources
{
    public static IPowerSource Create(AgentOptions options, TrainingJob job, string node, DateTimeOffset segmentStart)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(job);
        var nvidia = FindOnPath(options.NvidiaSmiPath);
        var habana = FindOnPath(options.HlSmiPath);
        return options.Power switch
        {
            "nvidia-smi" => new VendorToolPowerSource("nvidia-smi", PoolKind.Gpu, nvidia ?? throw new InvalidOperationException($"{options.NvidiaSmiPath} is not on PATH")),
            "hl-smi" => new VendorToolPowerSource("hl-smi", PoolKind.Gaudi, habana ?? throw new InvalidOperationException($"{options.HlSmiPath} is not on PATH")),
            "simulated" => Simulated(job, node, segmentStart),
            _ when job.Pool.Kind == PoolKind.Gaudi && habana is not null => new VendorToolPowerSource("hl-smi", PoolKind.Gaudi, habana),
            _ when job.Pool.Kind == PoolKind.Gpu && nvidia is not null => new VendorToolPowerSource("nvidia-smi", PoolKind.Gpu, nvidia),
            _ => Simulated(job, node, segmentStart),
        };
    }

    private static SimulatedPowerSource Simulated(TrainingJob job, string node, DateTimeOffset segmentStart)
    {
        var profile = AcceleratorPowerProfile.For(job.Pool.Kind, job.Pool.NodeSize);
        var index = int.TryParse(node, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) ? n : 0;
        return new SimulatedPowerSource(profile, index, SimulatedPowerSource.Seed(job.Id, node, segmentStart));
    }

    /// <summary>The full path of an executable: the path itself when it has a folder, else the first match on PATH.</summary>
    public static string? FindOnPath(string tool)
    {
        if (string.IsNullOrWhiteSpace(tool))
        {
            return null;
        }

        if (tool.Contains(Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            return File.Exists(tool) ? tool : null;
        }

        foreach (var folder in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(folder, tool);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }
}

/// <summary>
/// The simulated pools' power model (<see cref="PowerModel"/>) for a node without a vendor tool. Device numbers run
/// across the pool (node k's device i is k × devices + i), as in the simulated pool's own telemetry.
/// </summary>
public sealed class SimulatedPowerSource(AcceleratorPowerProfile profile, int nodeIndex, int seed) : IPowerSource
{
    private readonly Random _random = new(seed);
    private readonly DeviceReading[] _readings = new DeviceReading[profile.DevicesPerNode];

    public string Name => "simulated";

    public PoolKind Kind => profile.Kind;

    public string Header => SmiCsv.Header(profile.Kind);

    public string TimeZone => "UTC";

    public AcceleratorPowerProfile Profile => profile;

    public Task<IReadOnlyList<string>> PollAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        PowerModel.Sample(profile, _random, nodeIndex * profile.DevicesPerNode, _readings);
        IReadOnlyList<string> rows = [.. _readings.Select(r => SmiCsv.Row(profile, now, r))];
        return Task.FromResult(rows);
    }

    /// <summary>A stable seed (string.GetHashCode differs per process) from the job, node and segment.</summary>
    public static int Seed(string jobId, string node, DateTimeOffset segmentStart)
    {
        ArgumentNullException.ThrowIfNull(jobId);
        ArgumentNullException.ThrowIfNull(node);
        var hash = 17L;
        foreach (var c in jobId + "/" + node)
        {
            hash = unchecked((hash * 31) + c);
        }

        return unchecked((int)(hash ^ segmentStart.UtcTicks ^ (segmentStart.UtcTicks >> 32)));
    }
}

/// <summary>
/// Polls nvidia-smi (<c>--query-gpu=... --format=csv,noheader</c>) or hl-smi (<c>-Q ... -f csv,noheader</c>) once per
/// sample; rows pass through as the tool printed them, under the matching header.
/// </summary>
public sealed class VendorToolPowerSource(string name, PoolKind kind, string path) : IPowerSource
{
    private static readonly TimeSpan ToolTimeout = TimeSpan.FromSeconds(10);

    public string Name => name;

    public PoolKind Kind => kind;

    public string Header => SmiCsv.Header(kind);

    public string TimeZone => TimeZoneInfo.Local.Id;

    /// <summary>The tool's arguments for one poll.</summary>
    public IReadOnlyList<string> Arguments => kind == PoolKind.Gaudi
        ? ["-Q", SmiCsv.HlSmiQuery, "-f", "csv,noheader"]
        : ["--query-gpu=" + SmiCsv.NvidiaSmiQuery, "--format=csv,noheader"];

    public async Task<IReadOnlyList<string>> PollAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo(path) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in Arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"{path} did not start");
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(ToolTimeout);
        var output = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var errors = process.StandardError.ReadToEndAsync(timeout.Token);
        try
        {
            await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{name} did not answer within {ToolTimeout.TotalSeconds} s");
        }

        var text = await output.ConfigureAwait(false);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{name} exited {process.ExitCode}: {(await errors.ConfigureAwait(false)).Trim()}");
        }

        return [.. text.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Trim().Length > 0)];
    }
}
