using CarbonFunctions.Core.Jobs;
using CarbonFunctions.Core.Lifecycle;
using CarbonFunctions.Storage.Jobs;

namespace CarbonFunctions.Agent.Tests;

/// <summary>Jobs as teams submit them, parsed by the real contract (a <see cref="TrainingJob"/> is only built by it).</summary>
internal static class TestJobs
{
    public static readonly DateTimeOffset Now = new(2026, 12, 1, 8, 0, 0, TimeSpan.Zero);

    public static string TrainScript => Path.Combine(CarbonFunctions.Testing.RepoPaths.Root, "samples", "workloads", "train.js");

    public static TrainingJob Parse(string id, string workloadJson, string kind = "gpu", string provider = "azure", string nodeSize = "Standard_ND96asr_v4")
    {
        var json = $$"""
            {"schemaVersion":1,"id":"{{id}}","name":"agent test","owner":"team@contoso.example",
             "pool":{"kind":"{{kind}}","provider":"{{provider}}","nodeSize":"{{nodeSize}}","minNodes":1},
             "regions":["{{(provider == "aws" ? "us-east-1" : "westeurope")}}"],"estimatedDurationMinutes":60,
             "deadline":"2026-12-05T00:00:00Z","interruptible":true,"workload":{{workloadJson}}}
            """;
        var result = JobContract.Parse(json, new JobLimits(), Now);
        return result.Job ?? throw new InvalidOperationException(string.Join("; ", result.Errors));
    }

    /// <summary>A job whose workload is the sample trainer with the given arguments.</summary>
    public static TrainingJob Trainer(string id, params string[] arguments)
    {
        var command = string.Join(",", new[] { "node", TrainScript }.Concat(arguments).Select(a => System.Text.Json.JsonSerializer.Serialize(a)));
        return Parse(id, $$"""{"command":[{{command}}]}""");
    }

    public static async Task AddAsync(JobStore store, TrainingJob job)
    {
        Assert.True(await store.TryAddAsync(job, JobState.New(job.Id, Now)));
    }
}
