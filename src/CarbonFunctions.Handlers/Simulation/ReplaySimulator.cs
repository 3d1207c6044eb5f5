using System.Diagnostics;
using CarbonFunctions.Core.Forecasts;
using CarbonFunctions.Core.Jobs;
using CarbonFunctions.Core.Lifecycle;
using CarbonFunctions.Core.Planning;
using CarbonFunctions.Core.Pools;
using CarbonFunctions.Core.Simulation;
using CarbonFunctions.Handlers.Lifecycle;
using Microsoft.Extensions.Logging.Abstractions;

namespace CarbonFunctions.Handlers.Simulation;

/// <summary>What a replay runs with besides the trace and the jobs.</summary>
public sealed record SimulationSettings
{
    /// <summary>
    /// The planner's settings. The simulated pools come up at once, so no start-up allowance is planned by default: with
    /// one, the lifecycle would ask for the pool early and the replay would run (and emit) before the planned slot.
    /// </summary>
    public PlannerOptions Planner { get; init; } = new() { StartupAllowance = TimeSpan.Zero };

    /// <summary>The production lifecycle's timings; node agents are off (no checkpoints to wait for in a policy study).</summary>
    public LifecycleOptions Lifecycle { get; init; } = new();

    public required ForecastModel Forecast { get; init; }

    /// <summary>Waiting jobs re-plan on every new forecast vintage, as the service's forecast timer makes them.</summary>
    public bool Replan { get; init; } = true;

    public int Seed { get; init; }
}

/// <summary>
/// Replays a job trace over a real carbon trace through the production planner and lifecycle: every job runs
/// <see cref="LifecycleLoop"/> over <see cref="JobLifecycle.Decide"/> on a virtual clock, with an in-memory pool
/// whose running time is the job's work (at min nodes, scaled by the throughput curve, less the resume overhead).
/// Jobs do not compete for capacity, so each is replayed on its own. Emissions are counted on the actual trace.
/// </summary>
public static class ReplaySimulator
{
    public static readonly IReadOnlyList<string> KnownPolicies = [.. JobContract.KnownPolicies, "oracle"];

    public static async Task<SimulationResult> RunAsync(
        IntensityTrace trace,
        string traceName,
        IReadOnlyList<TrainingJob> jobs,
        IReadOnlyList<string> policies,
        SimulationSettings settings,
        Action<int>? jobDone = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(trace);
        ArgumentNullException.ThrowIfNull(jobs);
        ArgumentNullException.ThrowIfNull(policies);
        ArgumentNullException.ThrowIfNull(settings);
        var unknown = policies.FirstOrDefault(p => !KnownPolicies.Contains(p));
        if (unknown is not null)
        {
            throw new ArgumentException($"unknown policy '{unknown}'; known: {string.Join(", ", KnownPolicies)}", nameof(policies));
        }

        var stopwatch = Stopwatch.StartNew();
        var rows = policies.ToDictionary(p => p, _ => new List<JobOutcome>(jobs.Count));
        for (var i = 0; i < jobs.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var job = jobs[i];
            var oraclePlan = Oracle.Plan(job, trace, settings.Planner);
            var oracleRun = await RunJobAsync(job, trace, settings, "oracle", oraclePlan);
            var runNow = await RunJobAsync(job, trace, settings, "run-now", null);
            foreach (var policy in policies)
            {
                var run = policy switch
                {
                    "oracle" => oracleRun,
                    "run-now" => runNow,
                    _ => await RunJobAsync(job, trace, settings, policy, null),
                };
                var hindsight = policy switch
                {
                    "oracle" => oracleRun.Grams,
                    "run-now" => runNow.Grams,
                    _ => await HindsightGramsAsync(job, trace, settings, run.AppliedPolicy),
                };
                rows[policy].Add(run.ToOutcome(job, policy, runNow.Grams, oracleRun.Grams, hindsight));
            }

            jobDone?.Invoke(i + 1);
        }

        return new SimulationResult
        {
            Trace = traceName,
            Region = trace.Region,
            TraceStart = trace.Start,
            TraceEnd = trace.End,
            TraceMeanGramsPerKwh = trace.Mean,
            Forecast = settings.Forecast.Describe(),
            Seed = settings.Seed,
            JobCount = jobs.Count,
            WallSeconds = stopwatch.Elapsed.TotalSeconds,
            Policies = [.. policies.Select(p => SimulationSummary.Summarise(p, rows[p]))],
            Jobs = [.. policies.SelectMany(p => rows[p])],
            Intensity = SimulationSummary.Downsample(trace, (trace.End - trace.Start).TotalDays > 60 ? TimeSpan.FromHours(6) : TimeSpan.FromHours(1)),
        };
    }

    /// <summary>The hindsight plan of <paramref name="policy"/>, executed on the same lifecycle, so both sides are measured alike.</summary>
    private static async Task<double> HindsightGramsAsync(TrainingJob job, IntensityTrace trace, SimulationSettings settings, string policy)
    {
        var plan = Oracle.Hindsight(job, policy, trace, settings.Planner);
        return (await RunJobAsync(job, trace, settings, policy, plan)).Grams;
    }

    /// <summary>Replays one job under one policy; a fixed plan (oracle, hindsight) is used as is and never re-planned.</summary>
    internal static async Task<SimulatedRun> RunJobAsync(TrainingJob job, IntensityTrace trace, SimulationSettings settings, string policy, JobPlan? fixedPlan)
    {
        var submitted = job.SubmittedAt ?? throw new ArgumentException($"job {job.Id} has no submission time", nameof(job));
        var run = new SimulatedRun(job, trace, settings, policy, fixedPlan, submitted);
        await LifecycleLoop.ApplyAsync(job, new JobSubmitted(submitted), settings.Lifecycle, run, NullLogger.Instance);
        var nextVintage = settings.Forecast.NextIssueAfter(submitted);
        var replans = fixedPlan is null && settings.Replan && policy != "run-now";

        // Every step moves the clock forward or ends the job; the cap only guards against a lifecycle that stalls.
        for (var step = 0; step < 100_000 && !run.State.IsTerminal; step++)
        {
            var finish = run.FinishAt();
            var wake = run.State.WakeAt;
            while (nextVintage is { } issued && issued <= run.Now)
            {
                nextVintage = settings.Forecast.NextIssueAfter(issued);
            }

            DateTimeOffset? forecast = replans && run.State.IsWaitingForSlot ? nextVintage : null;
            var next = Earliest(Earliest(finish, wake), forecast);
            if (next is not { } at)
            {
                break;
            }

            run.AdvanceTo(at < run.Now ? run.Now : at);
            JobEvent evt = finish == next ? new WorkFinished(run.Now, true, "the simulated work is done")
                : wake == next ? new TimerFired(run.Now)
                : new ForecastsUpdated(run.Now);
            await LifecycleLoop.ApplyAsync(job, evt, settings.Lifecycle, run, NullLogger.Instance);
        }

        run.StopIfRunning();
        return run;
    }

    private static DateTimeOffset? Earliest(DateTimeOffset? a, DateTimeOffset? b) =>
        a is null ? b : b is null ? a : a <= b ? a : b;
}

/// <summary>
/// One job's replay: the lifecycle effects (plan on the forecast vintage in force, start/pause/stop an in-memory pool)
/// and the pool's bookkeeping of work, node-hours and emissions.
/// </summary>
internal sealed class SimulatedRun : ILifecycleEffects
{
    private readonly TrainingJob _job;
    private readonly IntensityTrace _trace;
    private readonly SimulationSettings _settings;
    private readonly JobPlan? _fixedPlan;
    private readonly double _watts;
    private long _work;
    private readonly List<RunWindow> _runs = [];
    private bool _running;
    private bool _everRan;
    private int _nodes;
    private DateTimeOffset _windowStart;
    private double _done;

    public SimulatedRun(TrainingJob job, IntensityTrace trace, SimulationSettings settings, string policy, JobPlan? fixedPlan, DateTimeOffset submitted)
    {
        _job = job;
        _trace = trace;
        _settings = settings;
        _fixedPlan = fixedPlan;
        Policy = policy;
        Now = submitted;
        State = JobState.New(job.Id, submitted);
        _watts = job.Pool.PowerPerNodeWatts ?? (job.Pool.Kind == PoolKind.Gaudi ? settings.Planner.DefaultGaudiNodeWatts : settings.Planner.DefaultGpuNodeWatts);
        _work = job.EstimatedDuration.Ticks;
    }

    public string Policy { get; }
    public DateTimeOffset Now { get; private set; }
    public JobState State { get; private set; }
    public double Grams { get; private set; }
    public string AppliedPolicy { get; private set; } = "-";
    public JobPlan? FirstPlan { get; private set; }
    public int Replans { get; private set; }
    public int Starts { get; private set; }
    public int Stops { get; private set; }

    public Task<JobDecision?> DecideAndRecordAsync(Func<JobState, JobDecision> decide)
    {
        var decision = decide(State);
        if (!decision.Ignored)
        {
            State = decision.State;
        }

        return Task.FromResult<JobDecision?>(decision);
    }

    public Task<JobEvent> ExecuteAsync(JobState state, JobCommand command)
    {
        JobEvent evt = command switch
        {
            PlanJob => new JobPlanned(Now, Plan(state, replan: false)),
            ReplanJob => new JobReplanned(Now, Plan(state, replan: true)),
            StartPool start => Start(start.Nodes),
            PausePool => Halt(PoolState.Paused),
            StopPool => Halt(PoolState.Stopped),
            RequestCheckpoint request => new CheckpointRequested(Now, request.RequestId, null),
            _ => throw new ArgumentException($"unknown command {command.GetType().Name}", nameof(command)),
        };
        return Task.FromResult(evt);
    }

    /// <summary>When the work would be done at the current pace, if the pool is running.</summary>
    public DateTimeOffset? FinishAt()
    {
        if (!_running)
        {
            return null;
        }

        var left = Math.Max(0, _work - _done);
        return Now + TimeSpan.FromTicks((long)Math.Ceiling(left / Rate(_nodes)));
    }

    /// <summary>Moves the clock, counting the work the running pool did.</summary>
    public void AdvanceTo(DateTimeOffset t)
    {
        if (_running && t > Now)
        {
            _done = Math.Min(_work, _done + ((t - Now).Ticks * Rate(_nodes)));
        }

        Now = t > Now ? t : Now;
    }

    public void StopIfRunning()
    {
        if (_running)
        {
            Halt(PoolState.Stopped);
        }
    }

    public JobOutcome ToOutcome(TrainingJob job, string policy, double runNowGrams, double oracleGrams, double hindsightGrams)
    {
        var submitted = job.SubmittedAt!.Value;
        var ended = State.IsTerminal ? Now : (DateTimeOffset?)null;
        var met = State.Status == JobStatus.Completed && ended <= job.Deadline;
        return new JobOutcome
        {
            JobId = job.Id,
            Policy = policy,
            AppliedPolicy = AppliedPolicy,
            Status = State.Status.ToString(),
            SubmittedAt = submitted,
            Deadline = job.Deadline,
            Started = _runs.Count > 0 ? _runs[0].Start : null,
            Ended = ended,
            DeadlineMet = met,
            SlackHours = ended is { } e ? (job.Deadline - e).TotalHours : null,
            AddedWaitHours = ended is { } f ? (f - submitted - job.EstimatedDuration).TotalHours : null,
            Kg = Grams / 1000,
            RunNowKg = runNowGrams / 1000,
            OracleKg = oracleGrams / 1000,
            FirstPlanKg = FirstPlan is null ? null : PlanGrams.Expected(FirstPlan) / 1000,
            HindsightKg = hindsightGrams / 1000,
            PoolHours = _runs.Sum(r => (r.End - r.Start).TotalHours),
            NodeHours = _runs.Sum(r => r.Nodes * (r.End - r.Start).TotalHours),
            PoolStarts = Starts,
            PoolStops = Stops,
            Replans = Replans,
            Runs = MergeTouching(_runs),
            FirstPlan = FirstPlan is null ? [] : [.. FirstPlan.Slots.Select(s => new RunWindow(s.Start, s.End, s.Nodes))],
        };
    }

    private JobPlan Plan(JobState state, bool replan)
    {
        JobPlan plan;
        if (_fixedPlan is not null)
        {
            plan = _fixedPlan with { PlannedAt = Now };
        }
        else
        {
            var forecast = _settings.Forecast.ForecastAt(Now, _trace);
            var forecasts = forecast is null ? new Dictionary<string, CarbonIntensitySeries>() : new Dictionary<string, CarbonIntensitySeries> { [_job.Regions[0]] = forecast };
            // Progress counts useful work only: the resume overhead already paid is not work done.
            var useful = _done - (_work - _job.EstimatedDuration.Ticks);
            var progress = replan
                ? new JobProgress { CompletedRunTime = TimeSpan.FromTicks(Math.Max(0, (long)useful)), Region = state.PoolEverStarted ? state.Region : null, IsRunning = _running }
                : null;
            plan = JobPlanner.Plan(_job, new PlanningInput { Now = Now, Forecasts = forecasts, PolicyOverride = Policy, Progress = progress }, _settings.Planner);
        }

        if (replan)
        {
            Replans++;
        }
        else
        {
            FirstPlan = plan;
            AppliedPolicy = plan.Policy;
        }

        return plan;
    }

    private PoolObserved Start(int nodes)
    {
        if (!_running)
        {
            _running = true;
            // A resume repeats work (restore, warm-up): the planner's model, ResumeOverhead of run time at min nodes.
            _work += _everRan ? _job.ResumeOverhead.Ticks : 0;
            _everRan = true;
            _nodes = nodes;
            _windowStart = Now;
            Starts++;
        }
        else if (nodes != _nodes)
        {
            Close();
            _nodes = nodes;
            _windowStart = Now;
        }

        return new PoolObserved(Now, new PoolStatus { PoolId = "sim-" + _job.Id, State = PoolState.Running, RunningNodes = _nodes, RequestedNodes = _nodes });
    }

    private PoolObserved Halt(PoolState to)
    {
        if (_running)
        {
            Close();
            _running = false;
            Stops++;
        }

        return new PoolObserved(Now, new PoolStatus { PoolId = "sim-" + _job.Id, State = to, RunningNodes = 0, RequestedNodes = 0 });
    }

    private void Close()
    {
        if (Now > _windowStart)
        {
            _runs.Add(new RunWindow(_windowStart, Now, _nodes));
            Grams += _trace.Grams(_windowStart, Now, _nodes, _watts);
        }
    }

    /// <summary>Work per tick at <paramref name="nodes"/> nodes, relative to min nodes (the throughput curve, or linear).</summary>
    private double Rate(int nodes)
    {
        var min = _job.Pool.MinNodes;
        if (_job.Pool.RelativeThroughput is { Count: > 0 } curve)
        {
            double At(int n) => curve[Math.Clamp(n, 1, curve.Count) - 1];
            return At(nodes) / At(min);
        }

        return nodes / (double)min;
    }

    private static List<RunWindow> MergeTouching(List<RunWindow> runs)
    {
        var merged = new List<RunWindow>();
        foreach (var r in runs)
        {
            if (merged.Count > 0 && merged[^1].End == r.Start && merged[^1].Nodes == r.Nodes)
            {
                merged[^1] = merged[^1] with { End = r.End };
            }
            else
            {
                merged.Add(r);
            }
        }

        return merged;
    }
}
