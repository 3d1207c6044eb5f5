using CarbonFunctions.Core.Lifecycle;
using CarbonFunctions.Storage.Jobs;

namespace CarbonFunctions.Handlers.Jobs;

/// <summary>What became of a signal sent to a job.</summary>
public enum SignalOutcome
{
    Delivered,

    /// <summary>The job has ended: a late or repeated signal (complete twice, cancel after done) changes nothing.</summary>
    JobEnded,

    UnknownJob,
}

/// <summary>
/// Where jobs live once accepted: Durable orchestrations in the Functions app, the jobs table plus the shared
/// lifecycle loop in the local host. Intake, job events, re-planning and the give-up path talk only to this port.
/// </summary>
public interface IJobLifecycleHost
{
    /// <summary>Hands a stored job to its lifecycle. Idempotent: a job already handed over is left alone.</summary>
    Task StartAsync(JobRecord stored, CancellationToken cancellationToken);

    Task<SignalOutcome> SignalAsync(string jobId, JobSignal signal, CancellationToken cancellationToken);

    /// <summary>
    /// A job whose message is being given up on: if no lifecycle owns it yet, it is ended as Failed with the reason,
    /// so that no accepted job stays Queued for ever.
    /// </summary>
    Task AbandonAsync(string jobId, string reason, CancellationToken cancellationToken);
}
