using System.Text.Json;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using CarbonFunctions.Core.Agents;
using CarbonFunctions.Storage;
using CarbonFunctions.Storage.Agents;
using CarbonFunctions.Storage.Jobs;
using CarbonFunctions.Testing;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace CarbonFunctions.Agent.Tests;

/// <summary>One test's storage on Azurite (its own queue, table and container) and in-process agents on fast timers.</summary>
internal sealed class AgentHarness : IDisposable
{
    private readonly ITestOutputHelper _output;
    private readonly List<AgentEvent> _events = [];
    private readonly QueueClient _queue;

    public AgentHarness(AzuriteFixture azurite, ITestOutputHelper output)
    {
        _output = output;
        Storage = new StorageOptions
        {
            ConnectionString = azurite.ConnectionString,
            EventsQueue = AzuriteFixture.UniqueName("events"),
            JobsTable = AzuriteFixture.UniqueName("jobs"),
            TelemetryContainer = AzuriteFixture.UniqueName("telemetry"),
        };
        Clients = new StorageClients(Storage);
        Jobs = new JobStore(Clients);
        Control = new AgentControlTable(Clients);
        _queue = Clients.Queues.GetQueueClient(Storage.EventsQueue);
        WorkDir = Path.Combine(Path.GetTempPath(), "carbon-agent-tests", Guid.NewGuid().ToString("N")[..12]);
    }

    public StorageOptions Storage { get; }

    public StorageClients Clients { get; }

    public JobStore Jobs { get; }

    public AgentControlTable Control { get; }

    public string WorkDir { get; }

    public BlobContainerClient Telemetry => Clients.Blobs.GetBlobContainerClient(Storage.TelemetryContainer);

    public IReadOnlyList<AgentEvent> Events => _events;

    public async Task InitializeAsync()
    {
        await Clients.EnsureCreatedAsync();
    }

    public AgentOptions Options(string jobId, string node = "0") => new()
    {
        Identity = "args",
        JobId = jobId,
        Node = node,
        Runner = "process",
        Power = "simulated",
        WorkDir = WorkDir,
        WorkingDirectory = RepoPaths.Root,
        HeartbeatInterval = TimeSpan.FromMilliseconds(300),
        ControlPollInterval = TimeSpan.FromMilliseconds(100),
        SampleInterval = TimeSpan.FromMilliseconds(100),
        ChunkInterval = TimeSpan.FromMilliseconds(500),
        CheckpointTimeout = TimeSpan.FromSeconds(10),
    };

    public NodeAgent Agent(AgentOptions options) =>
        new(options, Storage, new HttpClient(), TimeProvider.System, new OutputLogger<NodeAgent>(_output));

    public string CheckpointDir(string jobId, string node = "0") => Path.Combine(WorkDir, jobId, node, "checkpoints");

    /// <summary>Reads events off the queue until one matches (they stay in <see cref="Events"/> in arrival order).</summary>
    public async Task<AgentEvent> WaitForAsync(Func<AgentEvent, bool> match, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            var found = _events.FirstOrDefault(match);
            if (found is not null)
            {
                return found;
            }

            if (cts.IsCancellationRequested)
            {
                throw new TimeoutException("no matching event; seen: " + string.Join(", ", _events.Select(e => $"{e.Node}:{e.Kind}{(e.RequestId is null ? "" : "/" + e.RequestId)}")));
            }

            await DrainAsync();
            if (!_events.Any(match))
            {
                await Task.Delay(100);
            }
        }
    }

    public async Task DrainAsync()
    {
        var messages = await _queue.ReceiveMessagesAsync(32, TimeSpan.FromSeconds(30));
        foreach (var message in messages.Value.OrderBy(m => m.InsertedOn))
        {
            _events.Add(AgentEventContract.TryParse(message.MessageText) ?? throw new InvalidDataException("not an agent event: " + message.MessageText));

            // Every event an agent sends must be one the hosts accept, or it is dead-lettered instead of handled.
            _ = CarbonFunctions.Storage.Queues.JobEventQueue.TryRead(message.MessageText) ?? throw new InvalidDataException("the hosts' reader refuses this event: " + message.MessageText);
            await _queue.DeleteMessageAsync(message.MessageId, message.PopReceipt);
        }
    }

    public static JsonElement ReadJson(string file)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(file));
        return document.RootElement.Clone();
    }

    /// <summary>Waits until the workload's status file says it got to <paramref name="step"/>.</summary>
    public async Task WaitForStepAsync(string jobId, int step)
    {
        var file = Path.Combine(CheckpointDir(jobId), "status.json");
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (!File.Exists(file) || ReadJson(file).GetProperty("stepsDone").GetInt32() < step)
        {
            await Task.Delay(50, cts.Token);
        }
    }

    public void Dispose()
    {
        if (Directory.Exists(WorkDir))
        {
            Directory.Delete(WorkDir, recursive: true);
        }
    }
}

/// <summary>Agent logs into the test output, so that a failing run shows what the agent and the workload said.</summary>
internal sealed class OutputLogger<T>(ITestOutputHelper output) : ILogger<T>
{
    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        try
        {
            output.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} {logLevel}: {formatter(state, exception)}");
        }
        catch (InvalidOperationException)
        {
            // The test has finished; a late line from a background read has nowhere to go.
        }
    }
}
