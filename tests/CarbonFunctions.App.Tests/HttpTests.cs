using System.Net;
using System.Security.Claims;
using System.Text;
using System.Text.Json;
using Azure.Storage.Queues.Models;
using CarbonFunctions.App.Functions;
using CarbonFunctions.Core.Jobs;
using CarbonFunctions.Core.Lifecycle;
using CarbonFunctions.Storage.Jobs;
using CarbonFunctions.Testing;

namespace CarbonFunctions.App.Tests;

/// <summary>The HTTP API at its trigger: only the job's owner (or an admin) reads or signals it; a key alone gets nothing.</summary>
public sealed class HttpTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>
{
    private const string Owner = "team-ml@example.org";

    private static async Task<string> SubmitAsync(AppComposition app)
    {
        var id = $"http-{Guid.NewGuid():N}"[..18];
        var body = $$$"""
            {"schemaVersion":1,"id":"{{{id}}}","name":"http","owner":"{{{Owner}}}","pool":{"kind":"gpu","provider":"azure","nodeSize":"Standard_NC24ads_A100_v4","minNodes":2},
             "regions":["spaincentral"],"estimatedDurationMinutes":60,"policy":"run-now","deadline":"{{{DateTimeOffset.UtcNow.AddDays(1).UtcDateTime:yyyy-MM-dd'T'HH:mm:ss'Z'}}}","interruptible":true,"workload":{"image":"i"}}
            """;
        var message = QueuesModelFactory.QueueMessage("m-" + id, "pop", new BinaryData(Encoding.UTF8.GetBytes(body)), 1, DateTimeOffset.UtcNow);
        await app.Function<QueueFunctions>().IntakeAsync(message, app.Client, CancellationToken.None);
        for (var deadline = DateTime.UtcNow.AddSeconds(30); DateTime.UtcNow < deadline; await Task.Delay(100))
        {
            if ((await app.Get<JobStore>().GetAsync(id))?.State.Status == JobStatus.Running)
            {
                return id;
            }
        }

        throw new TimeoutException($"job {id} did not start");
    }

    private static FakeHttpRequest Request(AppComposition app, string method, string path, string body, params ClaimsIdentity[] identities) =>
        new(new FakeFunctionContext(app.Services), method, "https://app.example.net/api/" + path, body, identities);

    [Fact]
    public async Task The_owner_reads_the_job_and_another_team_or_an_anonymous_key_holder_does_not()
    {
        await using var app = await AppComposition.StartAsync(azurite);
        var id = await SubmitAsync(app);
        var http = app.Function<HttpFunctions>();

        var mine = (FakeHttpResponse)await http.GetJobAsync(Request(app, "GET", $"jobs/{id}", "", FakeHttpRequest.Caller(("preferred_username", "TEAM-ML@example.org"))), id, app.Client, CancellationToken.None);
        var theirs = (FakeHttpResponse)await http.GetJobAsync(Request(app, "GET", $"jobs/{id}", "", FakeHttpRequest.Caller(("preferred_username", "other@example.org"))), id, app.Client, CancellationToken.None);
        var anonymous = (FakeHttpResponse)await http.GetJobAsync(Request(app, "GET", $"jobs/{id}", "", new ClaimsIdentity()), id, app.Client, CancellationToken.None);
        var admin = (FakeHttpResponse)await http.GetJobAsync(Request(app, "GET", $"jobs/{id}", "", FakeHttpRequest.Caller(("roles", JobAccess.AdminRole))), id, app.Client, CancellationToken.None);

        Assert.Equal(HttpStatusCode.OK, mine.StatusCode);
        using var document = JsonDocument.Parse(mine.Text);
        Assert.Equal(id, document.RootElement.GetProperty("job").GetProperty("id").GetString());
        Assert.Equal("running", document.RootElement.GetProperty("state").GetProperty("status").GetString());
        Assert.Equal(HttpStatusCode.NotFound, theirs.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal(HttpStatusCode.OK, admin.StatusCode);
    }

    [Fact]
    public async Task The_owner_cancels_the_job_and_another_team_cannot()
    {
        await using var app = await AppComposition.StartAsync(azurite);
        var id = await SubmitAsync(app);
        var http = app.Function<HttpFunctions>();

        var refused = (FakeHttpResponse)await http.SignalJobAsync(Request(app, "POST", $"jobs/{id}/cancel", "", FakeHttpRequest.Caller(("roles", "other-team"))), id, "cancel", app.Client, CancellationToken.None);
        Assert.Equal(HttpStatusCode.NotFound, refused.StatusCode);
        Assert.Equal(JobStatus.Running, (await app.Get<JobStore>().GetAsync(id))!.State.Status);

        var unknown = (FakeHttpResponse)await http.SignalJobAsync(Request(app, "POST", $"jobs/{id}/explode", "", FakeHttpRequest.Caller(("roles", Owner))), id, "explode", app.Client, CancellationToken.None);
        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);

        var accepted = (FakeHttpResponse)await http.SignalJobAsync(Request(app, "POST", $"jobs/{id}/cancel", """{"reason":"budget freeze"}""", FakeHttpRequest.Caller(("roles", Owner))), id, "cancel", app.Client, CancellationToken.None);
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        await app.Client.WaitForInstanceCompletionAsync(id);
        var final = (await app.Get<JobStore>().GetAsync(id))!.State;
        Assert.Equal(JobStatus.Cancelled, final.Status);
        Assert.Equal("cancelled: budget freeze", final.Reason);

        var late = (FakeHttpResponse)await http.SignalJobAsync(Request(app, "POST", $"jobs/{id}/complete", "", FakeHttpRequest.Caller(("roles", Owner))), id, "complete", app.Client, CancellationToken.None);
        Assert.Equal(HttpStatusCode.Conflict, late.StatusCode);
    }

    [Fact]
    public async Task Complete_before_the_job_ran_is_refused_with_409_and_the_tables_reason()
    {
        await using var app = await AppComposition.StartAsync(azurite);
        var id = $"http-{Guid.NewGuid():N}"[..18];
        var job = JobContract.ReadStored($$$"""
            {"schemaVersion":1,"id":"{{{id}}}","name":"http","owner":"{{{Owner}}}","pool":{"kind":"gpu","provider":"azure","nodeSize":"Standard_NC24ads_A100_v4","minNodes":2},
             "regions":["spaincentral"],"estimatedDurationMinutes":60,"deadline":"{{{DateTimeOffset.UtcNow.AddDays(1).UtcDateTime:yyyy-MM-dd'T'HH:mm:ss'Z'}}}","interruptible":true,"workload":{"image":"i"}}
            """);
        await app.Get<JobStore>().TryAddAsync(job, JobState.New(id, DateTimeOffset.UtcNow));
        var http = app.Function<HttpFunctions>();

        var response = (FakeHttpResponse)await http.SignalJobAsync(Request(app, "POST", $"jobs/{id}/complete", "", FakeHttpRequest.Caller(("roles", Owner))), id, "complete", app.Client, CancellationToken.None);

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Contains("has not run yet", response.Text, StringComparison.Ordinal);
        Assert.Equal(JobStatus.Queued, (await app.Get<JobStore>().GetAsync(id))!.State.Status);
    }
}
