using System.Text.Json.Nodes;
using CarbonFunctions.Core.Jobs;
using NJsonSchema;

namespace CarbonFunctions.Core.Tests.Jobs;

/// <summary>The JSON Schema published for teams and the service's validator must agree on what a job is.</summary>
public sealed class JobSchemaTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);

    private static readonly Lazy<JsonSchema> Schema = new(() =>
        JsonSchema.FromJsonAsync(File.ReadAllText(Path.Combine(JobContractTests.FindRoot(), "schemas", "training-job.v1.schema.json"))).GetAwaiter().GetResult());

    public static TheoryData<string> Mutations() => new()
    {
        "remove:owner", "remove:pool", "set:schemaVersion=2", "set:id=\"Bad Id!\"", "set:interruptible=\"yes\"",
        "set:regions=[]", "set:pool.kind=\"tpu\"", "set:pool.minNodes=0", "set:unknownField=1", "set:workload={}",
        "set:policy=\"greenest\"", "set:estimatedDurationMinutes=-5",
        "set:workload.maxRetries=11", "set:workload.maxRetries=-1", "set:workload.maxRetries=1.5", "set:workload={\"maxRetries\":1}",
    };

    [Theory]
    [InlineData("bert-finetune.json")]
    [InlineData("llama-pretrain.json")]
    [InlineData("gaudi-vision.json")]
    public void Samples_are_valid_for_the_schema_and_the_validator(string file)
    {
        var json = File.ReadAllText(Path.Combine(JobContractTests.SamplesDir, file));
        Assert.Empty(Schema.Value.Validate(json));
        Assert.True(JobContract.Parse(json, new JobLimits(), Now).IsValid);
    }

    [Fact]
    public void Workload_retries_in_range_are_accepted_by_both()
    {
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(JobContractTests.SamplesDir, "bert-finetune.json")))!.AsObject();
        json["workload"]!["maxRetries"] = 10;
        var text = json.ToJsonString();
        Assert.Empty(Schema.Value.Validate(text));
        Assert.Equal(10, JobContract.Parse(text, new JobLimits(), Now).Job!.Workload.MaxRetries);
    }

    [Theory]
    [MemberData(nameof(Mutations))]
    public void A_job_broken_in_one_field_is_refused_by_both(string mutation)
    {
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(JobContractTests.SamplesDir, "bert-finetune.json")))!.AsObject();
        var (op, rest) = (mutation[..mutation.IndexOf(':', StringComparison.Ordinal)], mutation[(mutation.IndexOf(':', StringComparison.Ordinal) + 1)..]);
        if (op == "remove")
        {
            json.Remove(rest);
        }
        else
        {
            var path = rest[..rest.IndexOf('=', StringComparison.Ordinal)].Split('.');
            var value = JsonNode.Parse(rest[(rest.IndexOf('=', StringComparison.Ordinal) + 1)..]);
            var target = path.Length == 1 ? json : json[path[0]]!.AsObject();
            target[path[^1]] = value;
        }

        var text = json.ToJsonString();
        Assert.NotEmpty(Schema.Value.Validate(text));
        Assert.False(JobContract.Parse(text, new JobLimits(), Now).IsValid);
    }
}
