using System.Text.Json;
using Azure.Core.Serialization;
using CarbonFunctions.Core.Lifecycle;
using CarbonFunctions.Core.Planning;
using CarbonFunctions.Storage;
using Microsoft.DurableTask.Converters;

namespace CarbonFunctions.App.Tests.Scenarios;

/// <summary>
/// The job state through the serializers that really carry it: the Table row's (<see cref="StorageJson.Options"/>),
/// the Durable test host's (<see cref="JsonDataConverter.Default"/>) and the Functions worker's default object
/// serializer, which the Durable extension uses for orchestration input and output in the deployed app.
/// </summary>
public sealed class JobStateSerializationTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);

    private static readonly JobPlan Plan = new()
    {
        JobId = "job-1",
        Policy = "suspend-resume",
        Region = "uksouth",
        PlannedAt = T0,
        Slots = [new PlannedSlot(T0, T0.AddHours(1), 2, "uksouth", 100), new PlannedSlot(T0.AddHours(3), T0.AddHours(4), 2, "uksouth", 90)],
        ExpectedGramsCo2e = 190,
        RunNowGramsCo2e = 300,
        MeetsDeadline = true,
    };

    private static readonly PoolInUse Pool = new("uksouth", 2);

    private static IEnumerable<JobPhase> Phases() =>
    [
        new QueuedPhase(0, null),
        new QueuedPhase(2, T0.AddMinutes(6)),
        new PlannedPhase(Plan, T0),
        new StartingPhase(Plan, 0, Pool, T0, 1, T0.AddMinutes(1), "1 of 2 nodes up"),
        new RunningPhase(Plan, 0, Pool, T0, T0.AddMinutes(5), T0.AddHours(1)),
        new CheckpointingPhase(Plan, 1, Pool, new CheckpointInFlight("job-1-c1", T0.AddHours(1), ["0"]), T0.AddHours(1).AddMinutes(10)),
        new CheckpointingPhase(Plan, 0, Pool, new CheckpointInFlight("job-1-c2", T0, [], new JobEnding(TerminalStatus.Cancelled, "cancelled: budget")), T0.AddMinutes(10)),
        new PausingPhase(Plan, 1, Pool, T0.AddHours(1).AddMinutes(2)),
        new PausedPhase(Plan, 1, Pool, T0.AddHours(3)),
        new StoppingPhase(Plan, Pool, new JobEnding(TerminalStatus.DeadlineMissed, "the deadline passed"), T0.AddHours(5)),
        new EndedPhase(new JobEnding(TerminalStatus.Completed, "loss converged"), Plan, Pool),
        new EndedPhase(new JobEnding(TerminalStatus.Failed, "could not be planned: no forecast")),
    ];

    private static JobState StateOf(JobPhase phase) => new()
    {
        JobId = "job-1",
        Phase = phase,
        UpdatedAt = T0.AddMinutes(7),
        RunTime = TimeSpan.FromMinutes(42),
        Workload = new Core.Agents.WorkloadReport(null, 400, 40, 1, 0),
        CheckpointsAcknowledged = 1,
        WorkloadRestarts = 1,
        History = [new JobTransition(T0, JobStatus.Queued, JobStatus.Planned, "planned")],
    };

    [Fact]
    public void Every_phase_round_trips_through_the_table_rows_and_the_durable_converters()
    {
        var durable = JsonDataConverter.Default;
        var worker = new JsonObjectSerializer(new JsonSerializerOptions { PropertyNameCaseInsensitive = true });
        foreach (var state in Phases().Select(StateOf))
        {
            var stored = JsonSerializer.Serialize(state, StorageJson.Options);
            var fromTable = JsonSerializer.Deserialize<JobState>(stored, StorageJson.Options)!;
            Assert.Equal(stored, JsonSerializer.Serialize(fromTable, StorageJson.Options));

            var input = durable.Serialize(state)!;
            var fromDurable = durable.Deserialize<JobState>(input)!;
            Assert.Equal(input, durable.Serialize(fromDurable));

            var payload = worker.Serialize(state, typeof(JobState));
            var fromWorker = (JobState)worker.Deserialize(payload.ToStream(), typeof(JobState), CancellationToken.None)!;
            Assert.Equal(payload.ToString(), worker.Serialize(fromWorker, typeof(JobState)).ToString());

            foreach (var back in new[] { fromTable, fromDurable, fromWorker })
            {
                Assert.Equal(state.Phase.GetType(), back.Phase.GetType());
                Assert.Equal((state.Status, state.WakeAt, state.Reason, state.Outcome, state.Pool), (back.Status, back.WakeAt, back.Reason, back.Outcome, back.Pool));
                Assert.Equal(state.Plan?.Slots, back.Plan?.Slots);
                Assert.Equal((state.RunTime, state.Workload, state.WorkloadRestarts), (back.RunTime, back.Workload, back.WorkloadRestarts));
            }
        }
    }
}
