using System.Text.Json;
using System.Text.Json.Serialization;
using CarbonFunctions.Core.Forecasts;
using CarbonFunctions.Core.Telemetry;

namespace CarbonFunctions.Core.Emissions;

/// <summary>Where the intensities behind a report came from.</summary>
public enum IntensitySource
{
    /// <summary>No intensity covered the run: energy only.</summary>
    None,
    Actual,
    Forecast,
    Mixed,
}

/// <summary>Ok: everything counted. Partial: counted with problems or gaps. Failed: nothing could be counted.</summary>
public enum ReportStatus
{
    Ok,
    Partial,
    Failed,
}

/// <summary>How much of the run the telemetry covers, and where it does not.</summary>
public sealed record Coverage(double Fraction, double MissingDeviceSeconds, IReadOnlyList<MissingInterval> Missing)
{
    /// <summary>The devices with samples (named {node}/{device} for blobs under a node folder).</summary>
    public IReadOnlyList<string> Devices { get; init; } = [];

    /// <summary>The telemetry blobs counted.</summary>
    public int Blobs { get; init; }

    /// <summary>Spans where some device has samples: one per run segment, chunks of one stream joined.</summary>
    public IReadOnlyList<TimeRange> Observed { get; init; } = [];

    /// <summary>Between observed spans: the pool was paused, or telemetry for that time was not uploaded.</summary>
    public IReadOnlyList<TimeRange> Unobserved { get; init; } = [];

    /// <summary>Blobs that gave no energy (unreadable, empty, wrong format).</summary>
    public IReadOnlyList<string> Unreadable { get; init; } = [];

    /// <summary>One line for people: what is covered and what is missing.</summary>
    public string Summary { get; init; } = "";
}

/// <summary>
/// The intensity applied to one slot of the run, so that an auditor can recompute the emissions:
/// emissionsKg = energyKwh × gramsPerKwh × pue / 1000.
/// </summary>
public sealed record IntensityInterval(
    DateTimeOffset Start,
    DateTimeOffset End,
    double EnergyKwh,
    double? GramsPerKwh,
    IntensitySource Source,
    string? Provider,
    SignalKind? Signal,
    DateTimeOffset? SeriesGeneratedAt,
    double EmissionsKg);

/// <summary>
/// Emissions of one training job computed from its uploaded accelerator telemetry, with what the same
/// energy profile would have emitted had it started when the job was submitted.
/// Energy is what the devices drew; emissions include the data centre overhead (× PUE).
/// </summary>
public sealed record EmissionsReport
{
    public required string JobId { get; init; }
    public required ReportStatus Status { get; init; }
    public required TelemetryFormat Format { get; init; }

    /// <summary>The telemetry file the report was computed from.</summary>
    public string? Source { get; init; }

    public double EnergyKwh { get; init; }
    public double Pue { get; init; }
    public double FacilityEnergyKwh { get; init; }

    /// <summary>Operational emissions, PUE included.</summary>
    public double EmissionsKg { get; init; }

    /// <summary>Embodied share of the hardware for the run (GSF SCI "M").</summary>
    public double EmbodiedKg { get; init; }

    /// <summary>GSF SCI = (O + M) / R in gCO2e per functional unit, when the job reported units.</summary>
    public double? Sci { get; init; }
    public string? SciUnit { get; init; }
    public double? FunctionalUnits { get; init; }

    public IReadOnlyList<DeviceEnergy> Devices { get; init; } = [];
    public DateTimeOffset? Start { get; init; }
    public DateTimeOffset? End { get; init; }
    public required Coverage Coverage { get; init; }

    public IntensitySource IntensitySource { get; init; }

    /// <summary>Energy (kWh, before PUE) for which no intensity was known; not in the emissions.</summary>
    public double EnergyWithoutIntensityKwh { get; init; }
    public string? Region { get; init; }

    /// <summary>The zone used for timestamps without an offset (IANA id).</summary>
    public required string Timezone { get; init; }

    public DateTimeOffset? SubmittedAt { get; init; }

    /// <summary>Emissions had the same profile started at <see cref="SubmittedAt"/>; null when unknown.</summary>
    public double? CounterfactualKg { get; init; }

    /// <summary>CounterfactualKg − EmissionsKg: positive when waiting saved carbon.</summary>
    public double? SavingsKg { get; init; }

    /// <summary>Once the job has completed: the run against its policy's hindsight plan on actuals (ForecastRegret.cs).</summary>
    public ForecastRegret? ForecastRegret { get; init; }

    /// <summary>The intensity used for each slot of the run (actual or forecast, provider, average or marginal).</summary>
    public IReadOnlyList<IntensityInterval> Intervals { get; init; } = [];

    /// <summary>The telemetry blobs the report combines, each counted once.</summary>
    public IReadOnlyList<BlobContribution> Blobs { get; init; } = [];

    public IReadOnlyList<TelemetryProblem> Problems { get; init; } = [];
    public int ProblemCount { get; init; }

    /// <summary>Problems that are one wrong value in the telemetry (negative watts, an unreadable timestamp).</summary>
    public int FieldErrorCount { get; init; }
    public DateTimeOffset ComputedAt { get; init; }

    /// <summary>JSON settings of the report blob (camelCase, enums as camelCase strings).</summary>
    public static JsonSerializerOptions JsonOptions { get; } = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    public static EmissionsReport? FromJson(string json) => JsonSerializer.Deserialize<EmissionsReport>(json, JsonOptions);
}
