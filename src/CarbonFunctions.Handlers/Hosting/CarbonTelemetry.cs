using System.Diagnostics;

namespace CarbonFunctions.Handlers.Hosting;

/// <summary>
/// The pipeline's traces: one <see cref="ActivitySource"/> whose spans wrap each use case (a queue message, a lifecycle
/// command, a state record), every one tagged with the job id, so that a job's whole life can be queried by that tag in
/// Application Insights. Both hosts emit the same spans; the Functions app exports them with OpenTelemetry.
/// </summary>
public static class CarbonTelemetry
{
    public const string SourceName = "CarbonFunctions";

    /// <summary>The tag every span of a job carries.</summary>
    public const string JobIdTag = "carbon.job.id";

    public static ActivitySource Source { get; } = new(SourceName);

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
