using System.Collections.Concurrent;
using System.Security;
using System.Text;
using Amazon.Runtime;
using CarbonFunctions.Compute.Aws;
using CarbonFunctions.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace CarbonFunctions.Compute.Tests.Aws;

/// <summary>
/// A small EC2 on loopback speaking the Query API (form-encoded POST, XML in the 2016-11-15
/// namespace): DescribeInstances with filters, Start/Stop/Terminate/RunInstances, and EC2's error
/// envelope. States move on one step after each DescribeInstances (pending → running, stopping →
/// stopped), as a real instance does between two polls.
/// </summary>
internal sealed class FakeEc2 : IAsyncDisposable
{
    private const string Ns = "http://ec2.amazonaws.com/doc/2016-11-15/";
    private readonly Lock _gate = new();
    private readonly ConcurrentQueue<(Func<string, bool> When, Func<HttpContext, Task> Respond)> _faults = new();
    private readonly Dictionary<string, List<Instance>> _launchesByToken = [];
    private LoopbackHttpServer _server = null!;
    private int _next = 100;

    public List<Instance> Instances { get; } = [];

    /// <summary>Instances that fail to start for lack of capacity.</summary>
    public HashSet<string> NoCapacity { get; } = [];

    /// <summary>How many instances a RunInstances can still get.</summary>
    public int LaunchCapacity { get; set; } = int.MaxValue;

    public List<(string Action, IReadOnlyDictionary<string, string> Form)> Calls { get; } = [];

    public static async Task<FakeEc2> StartAsync()
    {
        var ec2 = new FakeEc2();
        ec2._server = await LoopbackHttpServer.StartAsync(app => ((IApplicationBuilder)app).Run(ec2.HandleAsync));
        return ec2;
    }

    public AwsGaudiPoolProvider Provider(AwsPoolOptions options, Polly.ResiliencePipeline pipeline)
    {
        var configured = options with { ServiceUrl = _server.BaseAddress };
        var client = AwsGaudiPoolProvider.CreateClient(configured, new BasicAWSCredentials("test", "test"));
        return new AwsGaudiPoolProvider(client, configured, pipeline);
    }

    public Instance Add(string poolId, string state)
    {
        var instance = new Instance($"i-{Interlocked.Increment(ref _next):x8}", state, poolId);
        Instances.Add(instance);
        return instance;
    }

    public void Fault(Func<string, bool> whenAction, Func<HttpContext, Task> respond) => _faults.Enqueue((whenAction, respond));

    public static Func<HttpContext, Task> Error(int status, string code) => ctx =>
    {
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = "text/xml";
        return ctx.Response.WriteAsync(
            $"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Errors><Error><Code>{code}</Code><Message>injected {code}</Message></Error></Errors><RequestID>{Guid.NewGuid()}</RequestID></Response>");
    };

    public int CallsOf(string action)
    {
        lock (_gate)
        {
            return Calls.Count(c => c.Action == action);
        }
    }

    public ValueTask DisposeAsync() => _server.DisposeAsync();

    private async Task HandleAsync(HttpContext ctx)
    {
        var form = (await ctx.Request.ReadFormAsync()).ToDictionary(f => f.Key, f => f.Value.ToString(), StringComparer.Ordinal);
        var action = form.GetValueOrDefault("Action") ?? string.Empty;
        lock (_gate)
        {
            Calls.Add((action, form));
        }

        if (_faults.TryPeek(out var fault) && fault.When(action) && _faults.TryDequeue(out fault))
        {
            await fault.Respond(ctx);
            return;
        }

        string body;
        lock (_gate)
        {
            body = action switch
            {
                "DescribeInstances" => Describe(form),
                "StartInstances" => Start(form) ?? string.Empty,
                "StopInstances" => Change("StopInstancesResponse", form, "stopping", i => i.State is "pending" or "running"),
                "TerminateInstances" => Change("TerminateInstancesResponse", form, "shutting-down", _ => true),
                "RunInstances" => Run(form) ?? string.Empty,
                _ => string.Empty,
            };
        }

        if (body.Length == 0)
        {
            var code = action is "StartInstances" or "RunInstances" ? "InsufficientInstanceCapacity" : "InvalidAction";
            await Error(code == "InvalidAction" ? 400 : 500, code)(ctx);
            return;
        }

        ctx.Response.ContentType = "text/xml";
        await ctx.Response.WriteAsync(body);
    }

    private static List<string> Indexed(Dictionary<string, string> form, string prefix) =>
        [.. Enumerable.Range(1, 1000).Select(n => form.GetValueOrDefault($"{prefix}.{n}")).TakeWhile(v => v is not null).Select(v => v!)];

    private string Describe(Dictionary<string, string> form)
    {
        IEnumerable<Instance> selected = Instances;
        for (var f = 1; form.TryGetValue($"Filter.{f}.Name", out var name); f++)
        {
            var values = Indexed(form, $"Filter.{f}.Value");
            selected = name switch
            {
                "instance-state-name" => selected.Where(i => values.Contains(i.State)),
                "tag-key" => selected.Where(i => values.Any(i.Tags.ContainsKey)),
                _ when name.StartsWith("tag:", StringComparison.Ordinal) => selected.Where(i => i.Tags.TryGetValue(name[4..], out var v) && values.Contains(v)),
                _ => selected,
            };
        }

        var list = selected.ToList();
        var xml = new StringBuilder($"<?xml version=\"1.0\" encoding=\"UTF-8\"?><DescribeInstancesResponse xmlns=\"{Ns}\"><requestId>{Guid.NewGuid()}</requestId><reservationSet>");
        foreach (var instance in list)
        {
            xml.Append($"<item><reservationId>r-{instance.Id[2..]}</reservationId><ownerId>123456789012</ownerId><groupSet/><instancesSet>{InstanceXml(instance)}</instancesSet></item>");
        }

        xml.Append("</reservationSet></DescribeInstancesResponse>");

        // Time passes between two polls.
        foreach (var instance in Instances)
        {
            instance.State = instance.State switch
            {
                "pending" => "running",
                "stopping" => "stopped",
                "shutting-down" => "terminated",
                var s => s,
            };
        }

        return xml.ToString();
    }

    private string? Start(Dictionary<string, string> form)
    {
        var ids = Indexed(form, "InstanceId");

        // EC2 refuses the whole request when one instance cannot get capacity.
        if (ids.Any(NoCapacity.Contains))
        {
            foreach (var id in ids.Where(NoCapacity.Contains))
            {
                var instance = Instances.Single(i => i.Id == id);
                instance.ReasonCode = "Server.InsufficientInstanceCapacity";
                instance.ReasonMessage = "Server.InsufficientInstanceCapacity: Insufficient capacity.";
            }

            return null;
        }

        return Change("StartInstancesResponse", form, "pending", i => i.State == "stopped");
    }

    private string Change(string root, Dictionary<string, string> form, string to, Func<Instance, bool> applies)
    {
        var xml = new StringBuilder($"<?xml version=\"1.0\" encoding=\"UTF-8\"?><{root} xmlns=\"{Ns}\"><requestId>{Guid.NewGuid()}</requestId><instancesSet>");
        foreach (var id in Indexed(form, "InstanceId"))
        {
            var instance = Instances.Single(i => i.Id == id);
            var before = instance.State;
            if (applies(instance))
            {
                instance.State = to;
            }

            xml.Append($"<item><instanceId>{id}</instanceId><currentState><code>{Code(instance.State)}</code><name>{instance.State}</name></currentState><previousState><code>{Code(before)}</code><name>{before}</name></previousState></item>");
        }

        return xml.Append($"</instancesSet></{root}>").ToString();
    }

    private string? Run(Dictionary<string, string> form)
    {
        var token = form.GetValueOrDefault("ClientToken") ?? Guid.NewGuid().ToString();
        if (!_launchesByToken.TryGetValue(token, out var launched))
        {
            var min = int.Parse(form["MinCount"], System.Globalization.CultureInfo.InvariantCulture);
            var max = int.Parse(form["MaxCount"], System.Globalization.CultureInfo.InvariantCulture);
            var count = Math.Min(max, LaunchCapacity);
            if (count < min)
            {
                return null;
            }

            LaunchCapacity -= count;
            var tags = new Dictionary<string, string>(StringComparer.Ordinal);
            for (var s = 1; form.TryGetValue($"TagSpecification.{s}.ResourceType", out var type); s++)
            {
                for (var t = 1; type == "instance" && form.TryGetValue($"TagSpecification.{s}.Tag.{t}.Key", out var key); t++)
                {
                    tags[key] = form[$"TagSpecification.{s}.Tag.{t}.Value"];
                }
            }

            launched = [];
            for (var n = 0; n < count; n++)
            {
                var instance = new Instance($"i-{Interlocked.Increment(ref _next):x8}", "pending", null) { Type = form.GetValueOrDefault("InstanceType") ?? "unknown" };
                foreach (var tag in tags)
                {
                    instance.Tags[tag.Key] = tag.Value;
                }

                Instances.Add(instance);
                launched.Add(instance);
            }

            _launchesByToken[token] = launched;
        }

        var xml = new StringBuilder($"<?xml version=\"1.0\" encoding=\"UTF-8\"?><RunInstancesResponse xmlns=\"{Ns}\"><requestId>{Guid.NewGuid()}</requestId><reservationId>r-1</reservationId><ownerId>123456789012</ownerId><groupSet/><instancesSet>");
        foreach (var instance in launched)
        {
            xml.Append(InstanceXml(instance));
        }

        return xml.Append("</instancesSet></RunInstancesResponse>").ToString();
    }

    private static string InstanceXml(Instance i)
    {
        var tags = string.Concat(i.Tags.Select(t => $"<item><key>{SecurityElement.Escape(t.Key)}</key><value>{SecurityElement.Escape(t.Value)}</value></item>"));
        var reason = i.ReasonCode is null ? string.Empty : $"<stateReason><code>{i.ReasonCode}</code><message>{i.ReasonMessage}</message></stateReason>";
        return $"<item><instanceId>{i.Id}</instanceId><imageId>ami-0123456789abcdef0</imageId><instanceState><code>{Code(i.State)}</code><name>{i.State}</name></instanceState>" +
               $"<instanceType>{i.Type}</instanceType><placement><availabilityZone>us-east-1a</availabilityZone><tenancy>default</tenancy></placement>{reason}<tagSet>{tags}</tagSet></item>";
    }

    private static int Code(string state) => state switch
    {
        "pending" => 0,
        "running" => 16,
        "shutting-down" => 32,
        "terminated" => 48,
        "stopping" => 64,
        _ => 80,
    };

    internal sealed class Instance(string id, string state, string? poolId)
    {
        public string Id { get; } = id;

        public string State { get; set; } = state;

        public string Type { get; set; } = "dl1.24xlarge";

        public Dictionary<string, string> Tags { get; } = poolId is null ? [] : new() { ["carbon-pool"] = poolId };

        public string? ReasonCode { get; set; }

        public string? ReasonMessage { get; set; }
    }
}
