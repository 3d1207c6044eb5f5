using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using CarbonFunctions.Agent.Identity;
using CarbonFunctions.Agent.Power;
using CarbonFunctions.Agent.Workloads;
using CarbonFunctions.Core.Agents;
using CarbonFunctions.Core.Jobs;
using CarbonFunctions.Core.Simulation;
using CarbonFunctions.Storage;
using CarbonFunctions.Storage.Agents;
using CarbonFunctions.Storage.Jobs;
using Microsoft.Extensions.Logging;

namespace CarbonFunctions.Agent;

/// <summary>
/// One node's agent: resolves its identity, reads the job's workload from the jobs table, runs it, and until it
/// ends sends heartbeats, polls the control row, samples power and uploads it in chunks. The protocol is in
/// docs/AGENT.md; the exit code is 0 when the agent did its part (whatever the workload's exit code), 2 when
/// the workload could not be run, 78 when it has no identity.
/// </summary>
public sealed class NodeAgent(AgentOptions options, StorageOptions storage, HttpClient http, TimeProvider time, ILogger<NodeAgent> logger)
{
    private readonly AgentOptions _options = options;
    private readonly TimeProvider _time = time;
    private readonly ILogger _logger = logger;

    public const int ExitOk = 0;
    public const int ExitCannotRun = 2;
    public const int ExitNoIdentity = 78;

    /// <summary>
    /// The request id of a checkpoint that the node's shutdown asked for (SIGTERM to the agent) rather than the
    /// lifecycle: the event is well formed, and the lifecycle keeps only its workload report.
    /// </summary>
    public const string ShutdownRequest = "node-shutdown";

    /// <summary>Written in the checkpoint folder at every start: its presence makes the next start a resume.</summary>
    public const string RunsMarker = ".carbon-agent-runs";

    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        AgentIdentity identity;
        try
        {
            identity = await new IdentityResolver(http, _options).ResolveAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (IdentityUnavailableException ex)
        {
            _logger.LogError("The agent has no identity: {Problem}", ex.Message);
            return ExitNoIdentity;
        }

        var clients = new StorageClients(StorageFor(identity));
        var session = new Session(this, identity, clients);
        return await session.RunAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The configured storage; on a cloud node without configuration, the carbon-storage tag's account through the managed identity.</summary>
    private StorageOptions StorageFor(AgentIdentity identity) =>
        string.IsNullOrWhiteSpace(storage.ConnectionString) && string.IsNullOrWhiteSpace(storage.AccountName) && identity.StorageAccount is { } account
            ? storage with { AccountName = account, Credential = storage.Credential ?? "managedidentity" }
            : storage;

    private enum Phase
    {
        Running,

        /// <summary>The workload exited 0 after the checkpoint signal; the agent waits for stop (or the node to go).</summary>
        Checkpointed,

        /// <summary>The workload is gone for good (finished, failed the checkpoint, or killed at the timeout).</summary>
        Ended,
    }

    /// <summary>One run of the agent on a node; holds the state the loop needs.</summary>
    private sealed class Session(NodeAgent agent, AgentIdentity identity, StorageClients clients)
    {
        private readonly AgentOptions _options = agent._options;
        private readonly ILogger _logger = agent._logger;
        private readonly TimeProvider _time = agent._time;
        private readonly AgentEventSender _events = new(clients);
        private readonly AgentControlTable _control = new(clients);
        private readonly AgentTelemetryUploader _uploader = new(clients);
        private readonly List<string> _rows = [];

        private TrainingJob _job = null!;
        private WorkloadProcess _workload = null!;
        private IPowerSource _power = null!;
        private string _statusFile = null!;
        private DateTimeOffset _segmentStart;
        private int _chunk;
        private Phase _phase;
        private string? _handledRequest;
        private DateTimeOffset _nextHeartbeat;
        private DateTimeOffset _nextSample;
        private DateTimeOffset _nextChunk;
        private DateTimeOffset _nextPoll;

        private string JobId => identity.JobId;

        public async Task<int> RunAsync(CancellationToken cancellationToken)
        {
            var record = await agent.TryAsync("read the job", () => new JobStore(clients).GetAsync(JobId, cancellationToken), cancellationToken).ConfigureAwait(false);
            if (record is null)
            {
                await SendAsync(AgentEventKinds.Failed, CancellationToken.None, reason: $"job {JobId} is not in table {clients.Options.JobsTable} (or storage is unreachable)").ConfigureAwait(false);
                return ExitCannotRun;
            }

            _job = record.Job;
            var checkpointDir = Path.GetFullPath(_options.CheckpointDir ?? Path.Combine(_options.WorkDir, JobId, identity.Node, "checkpoints"));
            Directory.CreateDirectory(checkpointDir);
            _statusFile = Path.Combine(checkpointDir, LaunchBuilder.StatusFileName);
            var marker = Path.Combine(checkpointDir, RunsMarker);
            var resumed = _options.Resumed ?? File.Exists(marker);
            _segmentStart = _time.GetUtcNow();
            await File.AppendAllTextAsync(marker, _segmentStart.ToString("O", CultureInfo.InvariantCulture) + "\n", cancellationToken).ConfigureAwait(false);

            // A request standing from before this agent started (an earlier run's pause) is not for this run.
            _handledRequest = (await agent.TryAsync("read the control row", () => _control.GetAsync(JobId, cancellationToken), cancellationToken).ConfigureAwait(false))?.RequestId;

            try
            {
                var jobDir = Path.GetFullPath(Path.Combine(_options.WorkDir, JobId));
                var context = new WorkloadContext(JobId, identity.Node, checkpointDir, resumed, (_time as ScaledClock)?.Scale ?? 1, jobDir);
                var plan = LaunchBuilder.Build(_job, context, _options.Runner, _options.DockerPath, _options.WorkingDirectory);
                _power = PowerSources.Create(_options, _job, identity.Node, _segmentStart);
                _workload = WorkloadProcess.Start(plan, _logger);
                _logger.LogInformation("Job {JobId} node {Node}: started {Runner} workload (pid {Pid}, resumed {Resumed}, power {Power})", JobId, identity.Node, plan.Runner, _workload.Pid, resumed, _power.Name);
            }
            catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or Win32Exception)
            {
                _logger.LogError("Job {JobId} node {Node}: cannot run the workload: {Problem}", JobId, identity.Node, ex.Message);
                await SendAsync(AgentEventKinds.Failed, CancellationToken.None, reason: ex.Message).ConfigureAwait(false);
                return ExitCannotRun;
            }

            using (_workload)
            {
                await SendAsync(AgentEventKinds.Started, cancellationToken).ConfigureAwait(false);
                var now = _time.GetUtcNow();
                _nextHeartbeat = now + _options.HeartbeatInterval;
                _nextSample = now;
                _nextChunk = now + _options.ChunkInterval;
                _nextPoll = now + _options.ControlPollInterval;
                return await LoopAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        private async Task<int> LoopAsync(CancellationToken cancellationToken)
        {
            while (true)
            {
                if (cancellationToken.IsCancellationRequested)
                {
                    // The node is going away (SIGTERM to the agent: a shutdown or an eviction notice): save the work first.
                    if (_phase == Phase.Running)
                    {
                        await CheckpointAsync(ShutdownRequest).ConfigureAwait(false);
                    }

                    return ExitOk;
                }

                await PumpAsync(_phase == Phase.Running ? _workload.Exited : null, _nextPoll, cancellationToken).ConfigureAwait(false);
                if (_phase == Phase.Running && _workload.HasExited)
                {
                    var exitCode = await _workload.Exited.ConfigureAwait(false);
                    await FlushTelemetryAsync(CancellationToken.None).ConfigureAwait(false);
                    _phase = Phase.Ended;
                    await SendAsync(AgentEventKinds.Finished, CancellationToken.None, exitCode: exitCode, workload: ReadStatus(exitCode),
                        reason: exitCode == 0 ? null : $"the workload exited with {exitCode}").ConfigureAwait(false);
                    _logger.LogInformation("Job {JobId} node {Node}: workload finished with exit code {ExitCode}", JobId, identity.Node, exitCode);
                    return ExitOk;
                }

                if (_time.GetUtcNow() >= _nextPoll && !cancellationToken.IsCancellationRequested)
                {
                    _nextPoll = _time.GetUtcNow() + _options.ControlPollInterval;
                    var request = await agent.TryAsync("poll the control row", () => _control.GetAsync(JobId, cancellationToken), cancellationToken).ConfigureAwait(false);
                    if (request is not null && request.RequestId != _handledRequest && ControlKinds.All.Contains(request.Kind))
                    {
                        _handledRequest = request.RequestId;
                        _logger.LogInformation("Job {JobId} node {Node}: {Kind} requested ({RequestId})", JobId, identity.Node, request.Kind, request.RequestId);
                        await CheckpointAsync(request.RequestId).ConfigureAwait(false);
                        if (request.Kind == ControlKinds.Stop)
                        {
                            return ExitOk;
                        }
                    }
                }
            }
        }

        /// <summary>Signals the workload and waits (bounded) for it to checkpoint and exit; acknowledges only an exit 0.</summary>
        private async Task CheckpointAsync(string? requestId)
        {
            if (_phase == Phase.Checkpointed)
            {
                // Already saved and stopped: a repeated request is acknowledged at once.
                await SendAsync(AgentEventKinds.Checkpointed, CancellationToken.None, exitCode: 0, requestId: requestId, workload: ReadStatus(0)).ConfigureAwait(false);
                return;
            }

            if (_phase == Phase.Ended)
            {
                return;
            }

            await AskForCheckpointAsync().ConfigureAwait(false);
            var deadline = _time.GetUtcNow() + _options.CheckpointTimeout;
            while (!_workload.HasExited && _time.GetUtcNow() < deadline)
            {
                await PumpAsync(_workload.Exited, deadline, CancellationToken.None).ConfigureAwait(false);
            }

            if (!_workload.HasExited)
            {
                // No acknowledgement: the lifecycle's own timeout records the work at risk and pauses anyway.
                _logger.LogWarning("Job {JobId} node {Node}: the workload did not exit within {Timeout} of the checkpoint signal; killed, not acknowledged", JobId, identity.Node, _options.CheckpointTimeout);
                _workload.Kill();
                // A kill takes wall-clock time, whatever clock the agent runs on.
                await _workload.Exited.WaitAsync(TimeSpan.FromSeconds(10), TimeProvider.System).ConfigureAwait(false);
                await FlushTelemetryAsync(CancellationToken.None).ConfigureAwait(false);
                _phase = Phase.Ended;
                return;
            }

            var exitCode = await _workload.Exited.ConfigureAwait(false);
            await FlushTelemetryAsync(CancellationToken.None).ConfigureAwait(false);
            if (exitCode == 0)
            {
                _phase = Phase.Checkpointed;
                await SendAsync(AgentEventKinds.Checkpointed, CancellationToken.None, exitCode: 0, requestId: requestId, workload: ReadStatus(0)).ConfigureAwait(false);
                _logger.LogInformation("Job {JobId} node {Node}: checkpointed ({RequestId})", JobId, identity.Node, requestId);
            }
            else
            {
                // It died on the signal instead of saving: that is the workload's end, not a checkpoint.
                _phase = Phase.Ended;
                await SendAsync(AgentEventKinds.Finished, CancellationToken.None, exitCode: exitCode, workload: ReadStatus(exitCode),
                    reason: $"the workload exited with {exitCode} after the checkpoint signal instead of 0").ConfigureAwait(false);
            }
        }

        private async Task AskForCheckpointAsync()
        {
            if (_options.CheckpointCommand is { Count: > 0 } command)
            {
                var info = new ProcessStartInfo(command[0]) { UseShellExecute = false };
                foreach (var argument in command.Skip(1))
                {
                    info.ArgumentList.Add(argument);
                }

                info.Environment["CARBON_WORKLOAD_PID"] = _workload.Pid.ToString(CultureInfo.InvariantCulture);
                info.Environment["CARBON_JOB_ID"] = JobId;
                using var process = Process.Start(info);
                if (process is not null)
                {
                    await process.WaitForExitAsync().WaitAsync(_options.CheckpointTimeout, _time).ConfigureAwait(false);
                }

                return;
            }

            _workload.Signal(Signals.TryParse(_options.CheckpointSignal) ?? 15);
        }

        /// <summary>Runs the heartbeat and sampling timers until <paramref name="until"/> (the next poll) or <paramref name="stop"/> completes.</summary>
        private async Task PumpAsync(Task? stop, DateTimeOffset until, CancellationToken cancellationToken)
        {
            while (true)
            {
                var now = _time.GetUtcNow();
                if (now >= _nextHeartbeat)
                {
                    _nextHeartbeat = now + _options.HeartbeatInterval;
                    await SendAsync(AgentEventKinds.Heartbeat, cancellationToken).ConfigureAwait(false);
                }

                if (_phase == Phase.Running && now >= _nextSample)
                {
                    _nextSample = now + _options.SampleInterval;
                    var rows = await agent.TryAsync($"poll {_power.Name}", () => _power.PollAsync(now, cancellationToken), cancellationToken).ConfigureAwait(false);
                    _rows.AddRange(rows ?? []);
                }

                if (now >= _nextChunk)
                {
                    _nextChunk = now + _options.ChunkInterval;
                    await FlushTelemetryAsync(cancellationToken).ConfigureAwait(false);
                }

                var next = new[] { until, _nextHeartbeat, _phase == Phase.Running ? _nextSample : DateTimeOffset.MaxValue, _nextChunk }.Min();
                var wait = next - _time.GetUtcNow();
                if (stop?.IsCompleted == true || cancellationToken.IsCancellationRequested || _time.GetUtcNow() >= until)
                {
                    return;
                }

                if (wait > TimeSpan.Zero)
                {
                    using var delay = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                    var sleeping = Task.Delay(wait, _time, delay.Token);
                    await (stop is null ? sleeping : Task.WhenAny(sleeping, stop)).ContinueWith(_ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default).ConfigureAwait(false);
                    await delay.CancelAsync().ConfigureAwait(false);
                }
            }
        }

        private async Task FlushTelemetryAsync(CancellationToken cancellationToken)
        {
            if (_rows.Count == 0)
            {
                return;
            }

            var metadata = new Dictionary<string, string>
            {
                ["timezone"] = _power.TimeZone,
                ["format"] = SmiCsv.FormatName(_power.Kind),
                ["powerSource"] = _power.Name,
                ["simulated"] = _power is SimulatedPowerSource ? "true" : "false",
                ["jobId"] = JobId,
                ["node"] = identity.Node,
                ["segmentStart"] = _segmentStart.ToString("O", CultureInfo.InvariantCulture),
                ["chunk"] = _chunk.ToString(CultureInfo.InvariantCulture),
                ["sampleIntervalSeconds"] = _options.SampleInterval.TotalSeconds.ToString(CultureInfo.InvariantCulture),
                ["provider"] = _job.Pool.Provider.ToString().ToLowerInvariant(),
            };
            if (_power is SimulatedPowerSource simulated)
            {
                metadata["accelerator"] = simulated.Profile.Model;
            }

            if (identity.Region is { } region)
            {
                metadata["region"] = region;
            }

            if (_job.SubmittedAt is { } submitted)
            {
                metadata["submittedAt"] = submitted.ToString("O", CultureInfo.InvariantCulture);
            }

            List<string> rows = [.. _rows];
            var uploaded = await agent.TryAsync("upload telemetry", () => _uploader.UploadAsync(JobId, identity.Node, _segmentStart, _chunk, _power.Header, rows, metadata, cancellationToken), cancellationToken).ConfigureAwait(false);
            if (uploaded is not null)
            {
                // Only an uploaded chunk moves on; a failed one is retried with more rows under the same number.
                _rows.Clear();
                _chunk++;
            }
        }

        private WorkloadReport? ReadStatus(int exitCode)
        {
            try
            {
                return File.Exists(_statusFile) ? WorkloadStatus.TryRead(File.ReadAllText(_statusFile), exitCode) : null;
            }
            catch (IOException ex)
            {
                _logger.LogWarning("Job {JobId}: cannot read the workload status file {File}: {Problem}", JobId, _statusFile, ex.Message);
                return null;
            }
        }

        private Task<AgentEvent?> SendAsync(string kind, CancellationToken cancellationToken, int? exitCode = null, string? reason = null, string? requestId = null, WorkloadReport? workload = null)
        {
            var message = new AgentEvent
            {
                JobId = JobId,
                Kind = kind,
                Node = identity.Node,
                ExitCode = exitCode,
                Reason = reason,
                RequestId = requestId,
                Workload = workload,
                SentAt = _time.GetUtcNow(),
            };
            return agent.TryAsync($"send {kind}", async () =>
            {
                await _events.SendAsync(message, cancellationToken).ConfigureAwait(false);
                return message;
            }, cancellationToken);
        }
    }

    /// <summary>Runs a storage or tool call; a failure is logged and answers null, so that one bad call does not end the run.</summary>
    private async Task<T?> TryAsync<T>(string what, Func<Task<T>> call, CancellationToken cancellationToken)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return default;
        }
#pragma warning disable CA1031 // the agent must outlive a storage blip or a vendor tool that hangs: it logs and tries again next tick
        catch (Exception ex)
#pragma warning restore CA1031
        {
            _logger.LogWarning("Could not {What}: {Problem}", what, ex.Message);
            return default;
        }
    }
}
