using System.Diagnostics.CodeAnalysis;
using Azure;
using Azure.Core;

namespace CarbonFunctions.Reliability.Tests.Faults;

/// <summary>A storage response the fault policy answers with instead of sending the request (a 500, a 503, a 412).</summary>
internal sealed class FakeResponse(int status, string reason) : Response
{
    private readonly Dictionary<string, string> _headers = new(StringComparer.OrdinalIgnoreCase)
    {
        ["x-ms-error-code"] = status switch { 412 => "UpdateConditionNotSatisfied", 503 => "ServerBusy", _ => "InternalError" },
        ["Content-Length"] = "0",
    };

    public override int Status => status;

    public override string ReasonPhrase => reason;

    public override Stream? ContentStream { get; set; } = new MemoryStream();

    public override string ClientRequestId { get; set; } = Guid.NewGuid().ToString();

    public override void Dispose()
    {
        ContentStream?.Dispose();
        GC.SuppressFinalize(this);
    }

    protected override bool ContainsHeader(string name) => _headers.ContainsKey(name);

    protected override IEnumerable<HttpHeader> EnumerateHeaders() => _headers.Select(h => new HttpHeader(h.Key, h.Value));

    protected override bool TryGetHeader(string name, [NotNullWhen(true)] out string? value) => _headers.TryGetValue(name, out value);

    protected override bool TryGetHeaderValues(string name, [NotNullWhen(true)] out IEnumerable<string>? values)
    {
        values = _headers.TryGetValue(name, out var value) ? [value] : null;
        return values is not null;
    }
}
