using System.Text.Json;
using System.Text.Json.Serialization;
using CarbonFunctions.Core.Lifecycle;
using static CarbonFunctions.Core.Tests.Lifecycle.LifecycleFixtures;

namespace CarbonFunctions.Core.Tests.Lifecycle;

/// <summary>
/// The state is persisted as JSON: in a Table row (the storage options: web names, kebab-case enums, nulls left out),
/// as Durable orchestration input and output (the Durable test host's converter uses the serializer's defaults; the
/// Functions worker's uses case-insensitive defaults). Every phase must come back as it went in under each.
/// </summary>
public sealed class JobStateJsonTests
{
    /// <summary>The shape of <c>CarbonFunctions.Storage.StorageJson.Options</c> (Core cannot reference Storage; App.Tests checks the real one).</summary>
    private static readonly JsonSerializerOptions StorageShape = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    private static readonly JsonSerializerOptions FunctionsWorker = new() { PropertyNameCaseInsensitive = true };

    public static TheoryData<string> Serializers() => ["storage", "default", "functions"];

    private static JsonSerializerOptions OptionsFor(string name) => name switch
    {
        "storage" => StorageShape,
        "default" => JsonSerializerOptions.Default,
        _ => FunctionsWorker,
    };

    /// <summary>Every status's state, and the variants with the optional parts filled in.</summary>
    private static IEnumerable<JobState> States()
    {
        foreach (var status in Enum.GetValues<JobStatus>())
        {
            yield return StateIn(status);
        }

        yield return JobState.New(Job.Id, T0);
        yield return StateIn(JobStatus.StartingPool) with { Phase = new StartingPhase(Plan, 0, Pool, T0, 2, T0.AddMinutes(4), "1 of 2 nodes allocated"), Workload = Report, WorkloadRestarts = 1 };
        yield return StateIn(JobStatus.Checkpointing) with
        {
            Phase = new CheckpointingPhase(Plan, 0, Pool, new CheckpointInFlight("job-1-c3", T0, ["0", "1"], new JobEnding(TerminalStatus.DeadlineMissed, "the deadline passed")), T0.AddMinutes(10)),
            CheckpointsAcknowledged = 1,
            CheckpointsMissed = 1,
        };
    }

    [Theory]
    [MemberData(nameof(Serializers))]
    public void Every_phase_round_trips(string serializer)
    {
        var options = OptionsFor(serializer);
        foreach (var state in States())
        {
            var json = JsonSerializer.Serialize(state, options);
            var back = JsonSerializer.Deserialize<JobState>(json, options)!;

            Assert.Equal(state.Phase.GetType(), back.Phase.GetType());
            Assert.Equal(state.Status, back.Status);
            Assert.Equal(state.WakeAt, back.WakeAt);
            Assert.Equal(state.Reason, back.Reason);
            Assert.Equal(state.Pool, back.Pool);
            Assert.Equal(state.Plan?.Slots, back.Plan?.Slots);
            Assert.Equal(state.Checkpoint?.AcknowledgedBy, back.Checkpoint?.AcknowledgedBy);
            Assert.Equal(state.Checkpoint?.StopFor, back.Checkpoint?.StopFor);
            Assert.Equal((state.RunTime, state.Workload, state.WorkloadRestarts, state.CheckpointsAcknowledged, state.CheckpointsMissed), (back.RunTime, back.Workload, back.WorkloadRestarts, back.CheckpointsAcknowledged, back.CheckpointsMissed));
            Assert.Equal(json, JsonSerializer.Serialize(back, options));
        }
    }

    [Fact]
    public void The_stored_shape_names_the_phase_and_keeps_status_and_wake_up_for_readers()
    {
        var json = JsonSerializer.Serialize(StateIn(JobStatus.Stopping), StorageShape);
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        Assert.Equal("stopping", root.GetProperty("status").GetString());
        Assert.Equal(T0.AddHours(3), root.GetProperty("wakeAt").GetDateTimeOffset());
        var phase = root.GetProperty("phase");
        Assert.Equal("stopping", phase.GetProperty("phase").GetString());
        Assert.Equal("cancelled", phase.GetProperty("ending").GetProperty("outcome").GetString());
        Assert.Equal("cancelled: test", phase.GetProperty("ending").GetProperty("reason").GetString());

        // The read-only views of the phase are not stored twice.
        Assert.False(root.TryGetProperty("plan", out _));
        Assert.False(root.TryGetProperty("isTerminal", out _));
    }

    [Fact]
    public void Impossible_states_cannot_be_read_back_either()
    {
        var ended = JsonSerializer.Serialize(StateIn(JobStatus.Failed), StorageShape);

        // A terminal status without a reason, a state without a phase, a phase nobody knows.
        Assert.Throws<ArgumentException>(() => JsonSerializer.Deserialize<JobState>(ended.Replace("could not be planned: no forecast", " ", StringComparison.Ordinal), StorageShape));
        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<JobState>("""{"jobId":"job-1","updatedAt":"2026-12-01T00:00:00+00:00"}""", StorageShape));
        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<JobState>("""{"jobId":"job-1","updatedAt":"2026-12-01T00:00:00+00:00","phase":{"phase":"hibernating"}}""", StorageShape));

        // Nor built in code: a Stopping needs its ending, an ending its reason, a Running its plan.
        Assert.Throws<ArgumentException>(() => new JobEnding(TerminalStatus.Completed, ""));
        Assert.Throws<ArgumentOutOfRangeException>(() => new JobEnding((TerminalStatus)7, "why"));
        Assert.Throws<ArgumentNullException>(() => new RunningPhase(null!, 0, Pool, T0, T0, T0));
    }
}
