using CarbonFunctions.Agent;
using CarbonFunctions.Core.Simulation;
using CarbonFunctions.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

// Locally and in tests: carbon-agent --job ID --node N --storage CONNSTRING; on a cloud node the identity comes from
// the instance metadata and the rest from appsettings / CARBON_AGENT_ environment variables (see docs/AGENT.md).
var switches = new Dictionary<string, string>
{
    ["--job"] = "Agent:JobId",
    ["--node"] = "Agent:Node",
    ["--storage"] = "Carbon:Storage:ConnectionString",
    ["--identity"] = "Agent:Identity",
    ["--runner"] = "Agent:Runner",
    ["--workdir"] = "Agent:WorkDir",
    ["--checkpoint-dir"] = "Agent:CheckpointDir",
    ["--power"] = "Agent:Power",
    ["--clock"] = "Agent:Clock",
};
var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = [], ContentRootPath = AppContext.BaseDirectory });
builder.Configuration.AddEnvironmentVariables("CARBON_AGENT_");
builder.Configuration.AddCommandLine(args, switches);
var options = builder.Configuration.GetSection(AgentOptions.SectionName).Get<AgentOptions>() ?? new AgentOptions();
var storage = builder.Configuration.GetSection(StorageOptions.SectionName).Get<StorageOptions>() ?? new StorageOptions();
var problems = options.Validate();
if (problems.Count > 0)
{
    await Console.Error.WriteLineAsync("carbon-agent: " + string.Join(Environment.NewLine + "carbon-agent: ", problems));
    return NodeAgent.ExitNoIdentity;
}

builder.Logging.AddSimpleConsole(o =>
{
    o.SingleLine = true;
    o.TimestampFormat = "HH:mm:ss ";
});

// A stop of the host (SIGTERM to the agent) checkpoints the workload first: give it the checkpoint time.
builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = options.CheckpointTimeout + TimeSpan.FromSeconds(30));
builder.Services.AddSingleton(options);
builder.Services.AddSingleton(storage);
// The demo's agents share the host's scaled clock; a real node runs on the system clock.
TimeProvider clock = options.Clock is { } anchor ? ScaledClock.Parse(anchor) : TimeProvider.System;
builder.Services.AddSingleton(clock);
builder.Services.AddHttpClient(nameof(NodeAgent), c => c.Timeout = options.ImdsTimeout);
builder.Services.AddSingleton(sp => new NodeAgent(
    options,
    storage,
    sp.GetRequiredService<IHttpClientFactory>().CreateClient(nameof(NodeAgent)),
    clock,
    sp.GetRequiredService<ILogger<NodeAgent>>()));
builder.Services.AddHostedService<AgentWorker>();
using var host = builder.Build();
await host.RunAsync();
return Environment.ExitCode;
