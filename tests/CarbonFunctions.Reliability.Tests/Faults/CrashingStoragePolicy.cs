using Azure.Core;
using Azure.Core.Pipeline;

namespace CarbonFunctions.Reliability.Tests.Faults;

/// <summary>
/// The storage side of <see cref="CrashPoints"/>: kills the host right after the jobs table accepted a new job, right after
/// a job's state with a given status was written, or right before a handled message is deleted from the jobs queue.
/// </summary>
internal sealed class CrashingStoragePolicy(CrashPoints crashes, string jobsTable, string jobsQueue) : HttpPipelinePolicy
{
    public const string AfterJobStored = "after-job-stored";
    public const string BeforeMessageDeleted = "before-message-deleted";

    public static string AfterStateWritten(string status) => "after-state-written:" + status;

    public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline) =>
        throw new NotSupportedException("the pipeline is used asynchronously only");

    public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        var request = message.Request;
        var path = request.Uri.Path;
        if (request.Method == RequestMethod.Delete && path.Contains("/" + jobsQueue + "/messages/", StringComparison.Ordinal))
        {
            await crashes.PassAsync(BeforeMessageDeleted);
        }

        string? status = null;
        var jobsRow = path.Contains("/" + jobsTable, StringComparison.Ordinal);
        if (jobsRow && request.Content is { } content && (request.Method == RequestMethod.Put || request.Method == RequestMethod.Post))
        {
            using var buffer = new MemoryStream();
            await content.WriteToAsync(buffer, message.CancellationToken);
            var body = System.Text.Encoding.UTF8.GetString(buffer.ToArray());
            var at = body.IndexOf("\"Status\":\"", StringComparison.Ordinal);
            status = at < 0 ? null : body[(at + 10)..body.IndexOf('"', at + 10)];
        }

        await ProcessNextAsync(message, pipeline);
        if (status is not null && message.Response.Status is >= 200 and < 300)
        {
            await crashes.PassAsync(request.Method == RequestMethod.Post ? AfterJobStored : AfterStateWritten(status));
        }
    }
}
