using CarbonFunctions.Core.Lifecycle;
using static CarbonFunctions.Core.Tests.Lifecycle.LifecycleFixtures;

namespace CarbonFunctions.Core.Tests.Lifecycle;

/// <summary>
/// Walks the lifecycle table row by row: for every status and every event kind, a representative state and event go
/// through <see cref="JobLifecycle.Decide"/>, and the real decision must be what the cell declares.
/// </summary>
public sealed class LifecycleTableTests
{
    public static TheoryData<JobStatus, JobEventKind> Cells()
    {
        var data = new TheoryData<JobStatus, JobEventKind>();
        foreach (var cell in JobLifecycle.Table)
        {
            data.Add(cell.Status, cell.Event);
        }

        return data;
    }

    [Fact]
    public void The_table_has_exactly_one_cell_for_every_status_and_event_kind()
    {
        var pairs = JobLifecycle.Table.Select(c => (c.Status, c.Event)).ToList();
        Assert.Equal(Enum.GetValues<JobStatus>().Length * Enum.GetValues<JobEventKind>().Length, pairs.Count);
        Assert.Equal(pairs.Count, pairs.Distinct().Count());
        Assert.All(JobLifecycle.Table, c => Assert.False(string.IsNullOrWhiteSpace(c.Rule)));
        Assert.All(JobLifecycle.Table.Where(c => c.Action != CellAction.Handle), c => Assert.Empty(c.Commands));
    }

    [Theory]
    [MemberData(nameof(Cells))]
    public void Each_cell_decides_what_it_declares(JobStatus status, JobEventKind kind)
    {
        var cell = JobLifecycle.CellOf(status, kind);

        // A job seen for the first time has no planning timer yet: the one state the Submitted cell acts on.
        var state = (status, kind) == (JobStatus.Queued, JobEventKind.Submitted) ? JobState.New(Job.Id, T0) : StateIn(status);
        Assert.Equal(status, state.Status);
        var evt = EventFor(kind, state);
        Assert.Equal(kind, JobLifecycle.KindOf(evt));

        var decision = JobLifecycle.Decide(Job, state, evt, Options);

        switch (cell.Action)
        {
            case CellAction.Ignore:
                Assert.True(decision.Ignored, $"{status} x {kind} should be ignored ({cell.Rule})");
                Assert.Null(decision.Refusal);
                Assert.Same(state, decision.State);
                Assert.Empty(decision.Commands);
                break;

            case CellAction.Refuse:
                Assert.True(decision.Ignored);
                Assert.Equal(cell.Rule, decision.Refusal);
                Assert.Same(state, decision.State);
                Assert.Empty(decision.Commands);
                break;

            default:
                Assert.False(decision.Ignored, $"{status} x {kind} should be handled ({cell.Rule})");
                var next = cell.Next ?? Assert.IsType<StoppingPhase>(state.Phase).Ending.Status;
                Assert.Equal(next, decision.State.Status);
                Assert.Equal(cell.Commands, decision.Commands.Select(c => c.GetType()));

                // A handled event either records its time or, changing nothing in the state, asks for work (a re-plan).
                if (ReferenceEquals(state, decision.State))
                {
                    Assert.NotEmpty(decision.Commands);
                }
                else
                {
                    Assert.Equal(evt.At, decision.State.UpdatedAt);
                }

                break;
        }
    }

    [Fact]
    public void The_table_says_what_happens_to_completion_reports_before_and_after_the_job_ran()
    {
        Assert.Equal(CellAction.Refuse, JobLifecycle.CellOf(JobStatus.Queued, JobEventKind.WorkFinished).Action);
        Assert.Equal(CellAction.Refuse, JobLifecycle.CellOf(JobStatus.Planned, JobEventKind.WorkFinished).Action);
        foreach (var ran in new[] { JobStatus.StartingPool, JobStatus.Running, JobStatus.Checkpointing, JobStatus.Pausing, JobStatus.Paused, JobStatus.Stopping })
        {
            Assert.Equal(CellAction.Handle, JobLifecycle.CellOf(ran, JobEventKind.WorkFinished).Action);
        }

        foreach (var terminal in new[] { JobStatus.Completed, JobStatus.Failed, JobStatus.Cancelled, JobStatus.DeadlineMissed })
        {
            Assert.All(Enum.GetValues<JobEventKind>(), kind => Assert.Equal(CellAction.Ignore, JobLifecycle.CellOf(terminal, kind).Action));
        }
    }
}
