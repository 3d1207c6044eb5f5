using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace CarbonFunctions.Handlers.Hosting;

/// <summary>
/// The pipeline's traces: one <see cref="ActivitySource"/> whose spans wrap each use case (a queue message, a lifecycle
/// command, a state record), every one tagged with the job id, so that a job's whole life can be queried by that tag in
/// Application Insights. Both hosts emit the same spans; the Functions app exports them with OpenTelemetry. One
/// <see cref="System.Diagnostics.Metrics.Meter"/> of the same name carries the pipeline's counters.
/// </summary>
public static class CarbonTelemetry
{
    public const string SourceName = "CarbonFunctions";

    /// <summary>The tag every span of a job carries.</summary>
    public const string JobIdTag = "carbon.job.id";

    public static ActivitySource Source { get; } = new(SourceName);

    /// <summary>The name of the counter of storage faults a host caught and outlived (see <see cref="RecordStorageFault"/>).</summary>
    public const string StorageFaultsName = "carbon.storage.faults";

    /// <summary>The tag naming what the host was doing when storage failed (its loop, a queue, a periodic task).</summary>
    public const string OperationTag = "carbon.operation";

    /// <summary>The tag with the storage status code (0: no response, as for a timeout or a refused connection).</summary>
    public const string StatusTag = "carbon.storage.status";

    public static Meter Meter { get; } = new(SourceName);

    private static readonly Counter<long> StorageFaults = Meter.CreateCounter<long>(
        StorageFaultsName, unit: "{fault}", description: "Storage errors that survived the SDK's retries and that a host caught, backed off from and outlived.");

    /// <summary>
    /// True for what a storage call throws once the SDK's own retries are spent: a service error
    /// (<see cref="Azure.RequestFailedException"/>), a dropped connection, or a timeout surfacing as a cancellation that
    /// nobody asked for. Anything else (a bug, bad input) is not a storage fault.
    /// </summary>
    public static bool IsStorageFault(Exception exception, CancellationToken cancellationToken = default) => exception switch
    {
        Azure.RequestFailedException or HttpRequestException or TimeoutException or IOException => true,
        OperationCanceledException => !cancellationToken.IsCancellationRequested,
        AggregateException aggregate => aggregate.InnerExceptions.Any(e => IsStorageFault(e, cancellationToken)),
        _ => exception.InnerException is { } inner && IsStorageFault(inner, cancellationToken),
    };

    /// <summary>Counts one storage fault that a host caught in <paramref name="operation"/>; other exceptions are not counted.</summary>
    public static void RecordStorageFault(string operation, Exception exception, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(exception);
        if (!IsStorageFault(exception, cancellationToken))
        {
            return;
        }

        var status = exception is Azure.RequestFailedException failed ? failed.Status : 0;
        StorageFaults.Add(1, new KeyValuePair<string, object?>(OperationTag, operation), new KeyValuePair<string, object?>(StatusTag, status));
    }

    /// <summary>Starts a span for one use case of one job (null when nobody listens).</summary>
    public static Activity? StartJobSpan(string name, string? jobId, ActivityKind kind = ActivityKind.Internal)
    {
        var activity = Source.StartActivity(name, kind);
        if (jobId is not null)
        {
            activity?.SetTag(JobIdTag, jobId);
        }

        return activity;
    }

    /// <summary>Marks a span failed with the reason (an outcome the lifecycle handles is still an error for the trace).</summary>
    public static void Fail(this Activity? activity, string reason) => activity?.SetStatus(ActivityStatusCode.Error, reason);
}
