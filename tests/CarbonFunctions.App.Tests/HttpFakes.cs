using System.Net;
using System.Security.Claims;
using System.Text;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Http;

namespace CarbonFunctions.App.Tests;

/// <summary>
/// The worker's HTTP abstractions as the Functions worker hands them to a function, with the caller's identities as
/// App Service Authentication reports them; only what the HTTP functions use is given a value.
/// </summary>
internal sealed class FakeFunctionContext(IServiceProvider services) : FunctionContext
{
    public override string InvocationId { get; } = Guid.NewGuid().ToString();
    public override string FunctionId { get; } = "http";
    public override TraceContext TraceContext => null!;
    public override BindingContext BindingContext => null!;
    public override RetryContext RetryContext => null!;
    public override IServiceProvider InstanceServices { get; set; } = services;
    public override FunctionDefinition FunctionDefinition => null!;
    public override IDictionary<object, object> Items { get; set; } = new Dictionary<object, object>();
    public override IInvocationFeatures Features => null!;
}

internal sealed class FakeHttpRequest(FunctionContext context, string method, string url, string body, IEnumerable<ClaimsIdentity> identities) : HttpRequestData(context)
{
    public override Stream Body { get; } = new MemoryStream(Encoding.UTF8.GetBytes(body));
    public override HttpHeadersCollection Headers { get; } = [];
    public override IReadOnlyCollection<IHttpCookie> Cookies { get; } = [];
    public override Uri Url { get; } = new(url);
    public override IEnumerable<ClaimsIdentity> Identities { get; } = identities;
    public override string Method { get; } = method;

    public override HttpResponseData CreateResponse() => new FakeHttpResponse(FunctionContext);

    /// <summary>A signed-in caller with these claims (type, value), as Entra ID tokens carry them.</summary>
    public static ClaimsIdentity Caller(params (string Type, string Value)[] claims) =>
        new(claims.Select(c => new Claim(c.Type, c.Value)), authenticationType: "aad");
}

internal sealed class FakeHttpResponse(FunctionContext context) : HttpResponseData(context)
{
    public override HttpStatusCode StatusCode { get; set; }
    public override HttpHeadersCollection Headers { get; set; } = [];
    public override Stream Body { get; set; } = new MemoryStream();
    public override HttpCookies Cookies => null!;

    public string Text => Encoding.UTF8.GetString(((MemoryStream)Body).ToArray());
}
