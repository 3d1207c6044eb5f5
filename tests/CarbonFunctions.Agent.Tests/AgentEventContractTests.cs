using CarbonFunctions.Core.Agents;

namespace CarbonFunctions.Agent.Tests;

public sealed class AgentEventContractTests
{
    [Fact]
    public void Finished_event_is_camel_case_json_without_nulls_and_reads_back()
    {
        var sent = new AgentEvent
        {
            JobId = "j1",
            Kind = AgentEventKinds.Finished,
            Node = "0",
            ExitCode = 0,
            Workload = new WorkloadReport(0, 40, 8, 1, 0),
            SentAt = new DateTimeOffset(2026, 12, 1, 8, 30, 0, TimeSpan.Zero),
        };

        var json = AgentEventContract.Serialize(sent);

        Assert.Equal(
            """{"jobId":"j1","kind":"finished","node":"0","exitCode":0,"workload":{"exitCode":0,"stepsDone":40,"checkpoints":8,"resumes":1,"lostSteps":0},"sentAt":"2026-12-01T08:30:00+00:00"}""",
            json);
        Assert.Equal(sent, AgentEventContract.TryParse(json));
    }

    [Fact]
    public void The_briefs_example_with_explicit_nulls_reads()
    {
        var parsed = AgentEventContract.TryParse("""{"jobId":"j1","kind":"checkpointed","node":"1","exitCode":0,"reason":null,"requestId":"r-7","sentAt":"2026-12-01T08:30:00Z"}""");

        Assert.Equal(("j1", "checkpointed", "1", "r-7", (string?)null), (parsed?.JobId, parsed?.Kind, parsed?.Node, parsed?.RequestId, parsed?.Reason));
    }

    [Theory]
    [InlineData("""{"jobId":"j1","kind":"complete","node":"0","sentAt":"2026-12-01T08:30:00Z"}""")]
    [InlineData("""{"kind":"heartbeat","node":"0","sentAt":"2026-12-01T08:30:00Z"}""")]
    [InlineData("""{"jobId":"j1","kind":"heartbeat","sentAt":"2026-12-01T08:30:00Z"}""")]
    [InlineData("""{"jobId":"j1","kind":"heartbeat","node":"0"}""")]
    [InlineData("not json")]
    [InlineData("")]
    public void Anything_else_is_not_an_agent_event(string body)
    {
        Assert.Null(AgentEventContract.TryParse(body));
    }

    [Fact]
    public void Unknown_kind_is_refused_on_send()
    {
        var problem = Assert.Throws<ArgumentException>(() => AgentEventContract.Serialize(new AgentEvent { JobId = "j", Kind = "done", Node = "0", SentAt = TestJobs.Now }));

        Assert.Contains("heartbeat, started, checkpointed, finished, failed", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Workload_status_file_gives_the_counters()
    {
        var report = WorkloadStatus.TryRead("""{"jobId":"j","state":"finished","totalSteps":40,"stepsDone":40,"checkpoints":9,"resumes":2,"lostSteps":3,"pid":12}""", 0);

        Assert.Equal(new WorkloadReport(0, 40, 9, 2, 3), report);
        Assert.Null(WorkloadStatus.TryRead("""{"state":"running"}""", 0));
        Assert.Null(WorkloadStatus.TryRead("{\"stepsDone\":", 0));
    }

    [Fact]
    public void Telemetry_blob_names_follow_job_node_segment_chunk()
    {
        Assert.Equal("j1/0/20261201T080000000Z-0007.csv", AgentTelemetry.BlobName("j1", "0", TestJobs.Now, 7));
    }
}
