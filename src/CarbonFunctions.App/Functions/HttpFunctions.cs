using System.Net;
using System.Text.Json;
using CarbonFunctions.App.Orchestration;
using CarbonFunctions.Core.Emissions;
using CarbonFunctions.Core.Jobs;
using CarbonFunctions.Core.Lifecycle;
using CarbonFunctions.Handlers.Jobs;
using CarbonFunctions.Storage;
using CarbonFunctions.Storage.Jobs;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Http;
using Microsoft.DurableTask.Client;

namespace CarbonFunctions.App.Functions;

/// <summary>
/// The job API, for the job's owner (see <see cref="JobAccess"/>): <c>GET jobs/{id}</c> — the job, its state and plan, the orchestration's status and
/// the emissions report when there is one; <c>POST jobs/{id}/cancel|complete|fail</c> — the same events the
/// <c>job-events</c> queue carries, raised on the orchestration.
/// </summary>
public sealed class HttpFunctions(JobStore store, IEmissionsReportStore reports, DurableJobHosts hosts)
{
    private static readonly string[] Actions = [JobSignal.Cancel, JobSignal.Complete, JobSignal.Fail];

    [Function("GetJob")]
    public async Task<HttpResponseData> GetJobAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "jobs/{id}")] HttpRequestData request,
        string id,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(client);
        if (await AuthorizeAsync(request, id, cancellationToken) is { } refused)
        {
            return refused;
        }

        var record = await store.GetAsync(id, cancellationToken);
        var instance = await client.GetInstanceAsync(id, getInputsAndOutputs: false, cancellationToken);

        var report = await reports.GetAsync(id, cancellationToken);
        using var job = record is null ? null : JsonDocument.Parse(JobContract.Serialize(record.Job));
        using var customStatus = instance?.SerializedCustomStatus is { } status ? JsonDocument.Parse(status) : null;
        return await JsonAsync(
            request,
            HttpStatusCode.OK,
            new
            {
                job = job?.RootElement,
                state = record?.State,
                plan = record?.State.Plan,
                orchestration = instance is null ? null : new { runtimeStatus = instance.RuntimeStatus.ToString(), customStatus = customStatus?.RootElement, instance.LastUpdatedAt },
                emissions = report,
            },
            cancellationToken);
    }

    [Function("SignalJob")]
    public async Task<HttpResponseData> SignalJobAsync(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "jobs/{id}/{action}")] HttpRequestData request,
        string id,
        string action,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!Actions.Contains(action))
        {
            return await JsonAsync(request, HttpStatusCode.BadRequest, new { error = $"unknown action '{action}'; known: {string.Join(", ", Actions)}" }, cancellationToken);
        }

        if (await AuthorizeAsync(request, id, cancellationToken) is { } refused)
        {
            return refused;
        }

        var (ok, reason) = await TryReadReasonAsync(request);
        if (!ok)
        {
            return await JsonAsync(request, HttpStatusCode.BadRequest, new { error = "the body must be empty or {\"reason\": \"...\"}" }, cancellationToken);
        }

        var signal = new JobSignal(action, reason);
        if (await store.GetAsync(id, cancellationToken) is { } record && signal.RefusalFor(record.State, DateTimeOffset.UtcNow) is { } refusal)
        {
            // The lifecycle table refuses it in this status (complete before the job ran): say so instead of 202.
            return await JsonAsync(request, HttpStatusCode.Conflict, new { error = $"job '{id}' is {record.State.Status}: {refusal}" }, cancellationToken);
        }

        return await hosts.For(client).SignalAsync(id, signal, cancellationToken) switch
        {
            SignalOutcome.Delivered => await JsonAsync(request, HttpStatusCode.Accepted, new { jobId = id, @event = action }, cancellationToken),
            SignalOutcome.JobEnded => await JsonAsync(request, HttpStatusCode.Conflict, new { error = $"job '{id}' has ended" }, cancellationToken),
            _ => await JsonAsync(request, HttpStatusCode.NotFound, new { error = $"no job '{id}'" }, cancellationToken),
        };
    }

    /// <summary>
    /// Null when the caller may act on the job; else the answer: 401 without an authenticated identity, and 404 both for
    /// a job that does not exist and for one of another owner, so that job ids of other teams cannot be probed.
    /// </summary>
    private async Task<HttpResponseData?> AuthorizeAsync(HttpRequestData request, string id, CancellationToken cancellationToken)
    {
        if (!JobAccess.IsAuthenticated(request.Identities))
        {
            return await JsonAsync(request, HttpStatusCode.Unauthorized, new { error = "sign in with Entra ID (App Service Authentication); a function key alone grants no access to jobs" }, cancellationToken);
        }

        var record = JobContract.IsValidJobId(id) ? await store.GetAsync(id, cancellationToken) : null;
        return record is not null && JobAccess.MayAccess(request.Identities, record.Job.Owner)
            ? null
            : await JsonAsync(request, HttpStatusCode.NotFound, new { error = $"no job '{id}'" }, cancellationToken);
    }

    private sealed record SignalBody(string? Reason);

    private static async Task<(bool Ok, string? Reason)> TryReadReasonAsync(HttpRequestData request)
    {
        var body = await request.ReadAsStringAsync() ?? string.Empty;
        if (string.IsNullOrWhiteSpace(body))
        {
            return (true, null);
        }

        try
        {
            return JsonSerializer.Deserialize<SignalBody>(body, StorageJson.Options) is { } parsed ? (true, parsed.Reason) : (false, null);
        }
        catch (JsonException)
        {
            return (false, null);
        }
    }

    private static async Task<HttpResponseData> JsonAsync<T>(HttpRequestData request, HttpStatusCode status, T body, CancellationToken cancellationToken)
    {
        var response = request.CreateResponse(status);
        response.Headers.Add("Content-Type", "application/json; charset=utf-8");
        await response.WriteStringAsync(JsonSerializer.Serialize(body, StorageJson.Options), cancellationToken);
        return response;
    }
}
