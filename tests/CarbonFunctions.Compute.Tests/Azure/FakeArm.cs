using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Azure.Core;
using Azure.Core.Pipeline;
using CarbonFunctions.Compute.Azure;
using CarbonFunctions.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace CarbonFunctions.Compute.Tests.Azure;

/// <summary>
/// A small Azure Resource Manager on loopback speaking the Microsoft.Compute REST shapes the SDK
/// calls: scale sets (GET, PATCH, instanceView, start, deallocate), VMs (list, instanceView, start,
/// deallocate) and Azure-AsyncOperation polling. Faults can be queued per request kind.
/// </summary>
internal sealed class FakeArm : IAsyncDisposable
{
    public const string Subscription = "00000000-0000-0000-0000-000000000001";
    public const string Group = "rg-carbon";

    private readonly Lock _gate = new();
    private readonly ConcurrentQueue<(Func<HttpRequest, bool> When, Func<HttpContext, Task> Respond)> _faults = new();
    private readonly Dictionary<string, PendingOperation> _operations = [];
    private LoopbackHttpServer _server = null!;

    public Dictionary<string, ScaleSet> ScaleSets { get; } = [];

    public Dictionary<string, Vm> Vms { get; } = [];

    /// <summary>VM names whose start operation fails (AllocationFailed) and leaves them deallocated.</summary>
    public HashSet<string> VmsWithoutCapacity { get; } = [];

    public IReadOnlyList<RecordedRequest> Requests => _server.Requests;

    public Uri HttpsEndpoint { get; private set; } = null!;

    public static async Task<FakeArm> StartAsync()
    {
        var arm = new FakeArm();
        arm._server = await LoopbackHttpServer.StartAsync(app => ((IApplicationBuilder)app).Run(arm.HandleAsync));
        arm.HttpsEndpoint = new UriBuilder(arm._server.BaseAddress) { Scheme = "https" }.Uri;
        return arm;
    }

    public AzurePoolProvider Provider(AzurePoolOptions options, Polly.ResiliencePipeline pipeline)
    {
        var configured = options with
        {
            SubscriptionId = Subscription,
            ResourceGroup = Group,
            ArmEndpoint = HttpsEndpoint,
            OperationPollInterval = TimeSpan.FromMilliseconds(10),
            OperationTimeout = TimeSpan.FromSeconds(10),
        };
        var transport = new HttpClientTransport(new HttpClient(new HttpsToLoopbackHandler()));
        var client = AzurePoolProvider.CreateArmClient(configured, new StaticTokenCredential(), transport);
        return new AzurePoolProvider(client, configured, pipeline);
    }

    /// <summary>The next request for which <paramref name="when"/> holds gets <paramref name="respond"/> instead.</summary>
    public void Fault(Func<HttpRequest, bool> when, Func<HttpContext, Task> respond) => _faults.Enqueue((when, respond));

    public static Func<HttpContext, Task> Status(int status, string code, string? retryAfter = null) => async ctx =>
    {
        ctx.Response.StatusCode = status;
        if (retryAfter is not null)
        {
            ctx.Response.Headers["Retry-After"] = retryAfter;
        }

        ctx.Response.ContentType = "application/json";
        await ctx.Response.WriteAsync(new JsonObject { ["error"] = new JsonObject { ["code"] = code, ["message"] = $"injected {code}" } }.ToJsonString());
    };

    public int Count(string method, string pathContains) =>
        Requests.Count(r => r.Method == method && r.PathAndQuery.Contains(pathContains, StringComparison.OrdinalIgnoreCase));

    public ValueTask DisposeAsync() => _server.DisposeAsync();

    private async Task HandleAsync(HttpContext ctx)
    {
        var request = ctx.Request;
        if (_faults.TryPeek(out var fault) && fault.When(request) && _faults.TryDequeue(out fault))
        {
            await fault.Respond(ctx);
            return;
        }

        var path = request.Path.Value ?? string.Empty;
        var prefix = $"/subscriptions/{Subscription}/resourceGroups/{Group}/providers/Microsoft.Compute/";
        if (path.StartsWith("/operations/", StringComparison.Ordinal))
        {
            await PollAsync(ctx, path["/operations/".Length..]);
            return;
        }

        if (!path.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
        {
            await NotFoundAsync(ctx);
            return;
        }

        var parts = path[prefix.Length..].Split('/');
        switch (parts)
        {
            case ["virtualMachineScaleSets"] when request.Method == "GET":
                await JsonAsync(ctx, 200, new JsonObject { ["value"] = new JsonArray([.. Locked(() => ScaleSets.Values.Select(s => s.ToJson(Prefix(ctx))).ToList())]) });
                return;
            case ["virtualMachineScaleSets", var name, ..] when !ScaleSets.ContainsKey(name):
                await NotFoundAsync(ctx);
                return;
            case ["virtualMachineScaleSets", var name] when request.Method == "GET":
                await JsonAsync(ctx, 200, Locked(() => ScaleSets[name].ToJson(Prefix(ctx))));
                return;
            case ["virtualMachineScaleSets", var name] when request.Method == "PATCH":
                var patch = JsonNode.Parse(await new StreamReader(request.Body).ReadToEndAsync())!;
                var set = ScaleSets[name];
                var node = Locked(() =>
                {
                    if (patch["sku"]?["capacity"] is { } capacity)
                    {
                        set.Resize(capacity.GetValue<int>());
                    }

                    if (patch["tags"] is JsonObject tags)
                    {
                        set.Tags = tags.ToDictionary(t => t.Key, t => t.Value!.GetValue<string>());
                    }

                    return set.ToJson(Prefix(ctx));
                });
                ctx.Response.Headers["Azure-AsyncOperation"] = NewOperation(ctx, () => { });
                await JsonAsync(ctx, 200, node);
                return;
            case ["virtualMachineScaleSets", var name, "instanceView"] when request.Method == "GET":
                await JsonAsync(ctx, 200, Locked(() => ScaleSets[name].InstanceView()));
                return;
            case ["virtualMachineScaleSets", var name, "start"] when request.Method == "POST":
                await AcceptedAsync(ctx, () => ScaleSets[name].SetAll("PowerState/running"));
                return;
            case ["virtualMachineScaleSets", var name, "deallocate"] when request.Method == "POST":
                await AcceptedAsync(ctx, () => ScaleSets[name].SetAll("PowerState/deallocated"));
                return;
            case ["virtualMachines"] when request.Method == "GET":
                await JsonAsync(ctx, 200, new JsonObject { ["value"] = new JsonArray([.. Locked(() => Vms.Values.Select(v => v.ToJson(Prefix(ctx))).ToList())]) });
                return;
            case ["virtualMachines", var vm, ..] when !Vms.ContainsKey(vm):
                await NotFoundAsync(ctx);
                return;
            case ["virtualMachines", var vm, "instanceView"] when request.Method == "GET":
                await JsonAsync(ctx, 200, Locked(() => Vms[vm].InstanceView()));
                return;
            case ["virtualMachines", var vm, "start"] when request.Method == "POST":
                var fails = VmsWithoutCapacity.Contains(vm);
                await AcceptedAsync(ctx, () => Vms[vm].Power = fails ? "PowerState/deallocated" : "PowerState/running", fails ? "AllocationFailed" : null);
                return;
            case ["virtualMachines", var vm, "deallocate"] when request.Method == "POST":
                await AcceptedAsync(ctx, () => Vms[vm].Power = "PowerState/deallocated");
                return;
            default:
                await NotFoundAsync(ctx);
                return;
        }
    }

    private static string Prefix(HttpContext ctx) => ctx.Request.Path.Value![..(ctx.Request.Path.Value!.IndexOf("/providers/", StringComparison.Ordinal) + 1)] + "providers/Microsoft.Compute/";

    private T Locked<T>(Func<T> read)
    {
        lock (_gate)
        {
            return read();
        }
    }

    private string NewOperation(HttpContext ctx, Action complete, string? failure = null)
    {
        var id = Guid.NewGuid().ToString("N");
        lock (_gate)
        {
            _operations[id] = new PendingOperation(complete, failure);
        }

        return new Uri(HttpsEndpoint, $"operations/{id}?api-version=2022-11-01").ToString();
    }

    private async Task AcceptedAsync(HttpContext ctx, Action complete, string? failure = null)
    {
        var url = NewOperation(ctx, complete, failure);
        ctx.Response.StatusCode = 202;
        ctx.Response.Headers["Azure-AsyncOperation"] = url;
        ctx.Response.Headers["Location"] = url;
        await ctx.Response.CompleteAsync();
    }

    private async Task PollAsync(HttpContext ctx, string id)
    {
        JsonObject body;
        lock (_gate)
        {
            var op = _operations[id];

            // The first poll reports InProgress, as a real start does for minutes; the second completes.
            if (op.Polls++ == 0)
            {
                body = new JsonObject { ["status"] = "InProgress" };
            }
            else
            {
                if (!op.Done)
                {
                    op.Complete();
                    op.Done = true;
                }

                body = op.Failure is null
                    ? new JsonObject { ["status"] = "Succeeded" }
                    : new JsonObject { ["status"] = "Failed", ["error"] = new JsonObject { ["code"] = op.Failure, ["message"] = "Allocation failed. We do not have sufficient capacity for the requested VM size in this region." } };
            }
        }

        await JsonAsync(ctx, 200, body);
    }

    private static async Task JsonAsync(HttpContext ctx, int status, JsonNode body)
    {
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = "application/json";
        await ctx.Response.WriteAsync(body.ToJsonString());
    }

    private static Task NotFoundAsync(HttpContext ctx) =>
        Status(404, "ResourceNotFound")(ctx);

    private sealed class PendingOperation(Action complete, string? failure)
    {
        public Action Complete { get; } = complete;

        public string? Failure { get; } = failure;

        public int Polls { get; set; }

        public bool Done { get; set; }
    }

    internal sealed class ScaleSet(string name, string sku, int capacity, string power = "PowerState/running")
    {
        public string Name { get; } = name;

        public Dictionary<string, string> Tags { get; set; } = [];

        public List<string> Instances { get; } = [.. Enumerable.Repeat(power, capacity)];

        public int Capacity => Instances.Count;

        public void Resize(int capacity)
        {
            while (Instances.Count > capacity)
            {
                Instances.RemoveAt(Instances.Count - 1);
            }

            // New instances of a scale-out start by themselves.
            while (Instances.Count < capacity)
            {
                Instances.Add("PowerState/running");
            }
        }

        public void SetAll(string power)
        {
            for (var i = 0; i < Instances.Count; i++)
            {
                Instances[i] = power;
            }
        }

        public JsonObject ToJson(string prefix) => new()
        {
            ["id"] = $"{prefix}virtualMachineScaleSets/{Name}",
            ["name"] = Name,
            ["type"] = "Microsoft.Compute/virtualMachineScaleSets",
            ["location"] = "westeurope",
            ["tags"] = new JsonObject([.. Tags.Select(t => KeyValuePair.Create<string, JsonNode?>(t.Key, t.Value))]),
            ["sku"] = new JsonObject { ["name"] = sku, ["tier"] = "Standard", ["capacity"] = Capacity },
            ["properties"] = new JsonObject { ["provisioningState"] = "Succeeded" },
        };

        public JsonObject InstanceView() => new()
        {
            ["virtualMachine"] = new JsonObject
            {
                ["statusesSummary"] = new JsonArray([.. Instances.GroupBy(p => p).Select(g => (JsonNode)new JsonObject { ["code"] = g.Key, ["count"] = g.Count() })]),
            },
            ["statuses"] = new JsonArray(new JsonObject { ["code"] = "ProvisioningState/succeeded", ["level"] = "Info" }),
        };
    }

    internal sealed class Vm(string name, string poolId, string power = "PowerState/deallocated")
    {
        public string Name { get; } = name;

        public string PoolId { get; } = poolId;

        public string Power { get; set; } = power;

        public JsonObject ToJson(string prefix) => new()
        {
            ["id"] = $"{prefix}virtualMachines/{Name}",
            ["name"] = Name,
            ["type"] = "Microsoft.Compute/virtualMachines",
            ["location"] = "westeurope",
            ["tags"] = new JsonObject { ["carbon-pool"] = PoolId },
            ["properties"] = new JsonObject
            {
                ["hardwareProfile"] = new JsonObject { ["vmSize"] = "Standard_ND96asr_v4" },
                ["provisioningState"] = "Succeeded",
            },
        };

        public JsonObject InstanceView() => new()
        {
            ["statuses"] = new JsonArray(
                new JsonObject { ["code"] = "ProvisioningState/succeeded", ["level"] = "Info" },
                new JsonObject { ["code"] = Power, ["level"] = "Info" }),
        };
    }

    /// <summary>Azure.Core refuses bearer tokens over plain HTTP; the client speaks https:// and this hands the request to the loopback server in clear.</summary>
    private sealed class HttpsToLoopbackHandler : DelegatingHandler
    {
        public HttpsToLoopbackHandler()
            : base(new SocketsHttpHandler())
        {
        }

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            request.RequestUri = new UriBuilder(request.RequestUri!) { Scheme = "http" }.Uri;
            return base.SendAsync(request, cancellationToken);
        }
    }

    private sealed class StaticTokenCredential : TokenCredential
    {
        public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            new("test-token", DateTimeOffset.UtcNow.AddHours(1));

        public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            ValueTask.FromResult(GetToken(requestContext, cancellationToken));
    }
}
