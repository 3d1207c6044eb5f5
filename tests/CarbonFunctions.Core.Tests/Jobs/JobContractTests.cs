using System.Text;
using System.Text.Json.Nodes;
using CarbonFunctions.Core.Jobs;

namespace CarbonFunctions.Core.Tests.Jobs;

public sealed class JobContractTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly JobLimits Limits = new() { MaxNodesPerJob = 8, AllowedRegions = ["westeurope", "northeurope", "germanywestcentral", "spaincentral", "westus", "eastus", "us-east-1"] };

    internal static string SamplesDir => Path.Combine(FindRoot(), "samples", "jobs");

    internal static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "CarbonFunctions.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("repository root not found");
    }

    private static JsonObject Sample() => JsonNode.Parse(File.ReadAllText(Path.Combine(SamplesDir, "bert-finetune.json")))!.AsObject();

    private static JobParseResult Parse(JsonObject json) => JobContract.Parse(json.ToJsonString(), Limits, Now);

    [Theory]
    [InlineData("bert-finetune.json")]
    [InlineData("llama-pretrain.json")]
    [InlineData("gaudi-vision.json")]
    public void Every_sample_job_is_valid(string file)
    {
        var result = JobContract.Parse(File.ReadAllText(Path.Combine(SamplesDir, file)), Limits, Now);
        Assert.True(result.IsValid, string.Join("; ", result.Errors));
    }

    [Fact]
    public void A_valid_job_is_read_with_its_values()
    {
        var job = Parse(Sample()).Job!;
        Assert.Equal("bert-finetune-eu", job.Id);
        Assert.Equal(PoolKind.Gpu, job.Pool.Kind);
        Assert.Equal(CloudProvider.Azure, job.Pool.Provider);
        Assert.Equal(2, job.Pool.MinNodes);
        Assert.Equal(2, job.Pool.MaxNodes);
        Assert.Equal(TimeSpan.FromHours(3), job.EstimatedDuration);
        Assert.Equal(new DateTimeOffset(2026, 12, 2, 0, 0, 0, TimeSpan.Zero), job.Deadline);
        Assert.Equal(["germanywestcentral", "spaincentral"], job.Regions);
        Assert.False(job.IsElastic);
    }

    [Fact]
    public void Serialize_then_parse_gives_the_same_job()
    {
        var job = JobContract.Parse(File.ReadAllText(Path.Combine(SamplesDir, "gaudi-vision.json")), Limits, Now).Job!;
        var again = JobContract.Parse(JobContract.Serialize(job), Limits, Now).Job!;
        Assert.Equal(JobContract.Serialize(job), JobContract.Serialize(again));
        Assert.Equal([1, 1.9, 2.7, 3.4], again.Pool.RelativeThroughput!);
    }

    [Fact]
    public void Workload_retries_default_to_0_are_read_written_back_and_bounded()
    {
        Assert.Equal(0, Parse(Sample()).Job!.Workload.MaxRetries);

        var json = Sample();
        json["workload"]!["maxRetries"] = 3;
        var job = Parse(json).Job!;
        Assert.Equal(3, job.Workload.MaxRetries);
        Assert.Equal(3, JobContract.Parse(JobContract.Serialize(job), Limits, Now).Job!.Workload.MaxRetries);

        foreach (var (value, reason) in new (JsonNode, string)[] { (11, "must be between 0 and 10, was 11"), (-1, "must be between 0 and 10, was -1"), (1.5, "must be a whole number, was the number 1.5") })
        {
            var bad = Sample();
            bad["workload"]!["maxRetries"] = value;
            Assert.Equal(new FieldError("workload.maxRetries", reason), Assert.Single(Parse(bad).Errors));
        }
    }

    [Fact]
    public void Missing_and_mistyped_fields_are_reported_by_name()
    {
        var json = Sample();
        json.Remove("owner");
        json["estimatedDurationMinutes"] = "three hours";
        json["pool"]!["minNodes"] = 1.5;
        var errors = Parse(json).Errors;
        Assert.Contains(errors, e => e.Field == "owner" && e.Reason == "is required");
        Assert.Contains(errors, e => e.Field == "estimatedDurationMinutes" && e.Reason.Contains("must be a number", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Field == "pool.minNodes" && e.Reason.Contains("whole number", StringComparison.Ordinal));
    }

    [Fact]
    public void A_misspelt_field_is_refused_rather_than_ignored()
    {
        var json = Sample();
        json["pool"]!["maxNode"] = 64;
        var error = Assert.Single(Parse(json).Errors);
        Assert.Equal("pool.maxNode", error.Field);
    }

    [Fact]
    public void Budget_limits_refuse_too_many_nodes_and_unlisted_regions_and_sizes()
    {
        var json = Sample();
        json["pool"]!["maxNodes"] = 9;
        json["regions"] = new JsonArray("westeurope", "australiaeast");
        var limits = Limits with { AllowedAzureSizes = ["Standard_NC24ads_A100_v4"] };
        json["pool"]!["nodeSize"] = "Standard_ND96amsr_A100_v4";
        var errors = JobContract.Parse(json.ToJsonString(), limits, Now).Errors;
        Assert.Contains(errors, e => e.Field == "pool.maxNodes" && e.Reason == "9 nodes exceeds the limit of 8 per job");
        Assert.Contains(errors, e => e.Field == "regions[1]" && e.Reason.StartsWith("'australiaeast' is not an allowed region", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Field == "pool.nodeSize" && e.Reason.StartsWith("'Standard_ND96amsr_A100_v4' is not allowed for azure", StringComparison.Ordinal));
    }

    [Fact]
    public void A_deadline_in_the_past_or_out_of_reach_is_refused()
    {
        var past = Sample();
        past["deadline"] = "2026-11-30T23:00:00Z";
        Assert.Contains(Parse(past).Errors, e => e.Field == "deadline" && e.Reason.Contains("is not in the future", StringComparison.Ordinal));

        // 180 min run + 15 min pool start from 00:00 ends at 03:15 at the earliest: a 03:00 deadline cannot be met.
        var tight = Sample();
        tight["deadline"] = "2026-12-01T03:00:00Z";
        var error = Assert.Single(Parse(tight).Errors);
        Assert.Equal("deadline", error.Field);
        Assert.Contains("2026-12-01T03:15:00Z", error.Reason, StringComparison.Ordinal);

        var noOffset = Sample();
        noOffset["deadline"] = "2026-12-02T00:00:00";
        Assert.Contains(Parse(noOffset).Errors, e => e.Field == "deadline" && e.Reason.Contains("with an offset", StringComparison.Ordinal));

        var tooFar = Sample();
        tooFar["deadline"] = "2027-01-01T00:00:00Z";
        Assert.Contains(Parse(tooFar).Errors, e => e.Field == "deadline" && e.Reason.Contains("more than 14 days ahead", StringComparison.Ordinal));
    }

    [Fact]
    public void Policy_requirements_are_checked()
    {
        var json = Sample();
        json["policy"] = "threshold";
        var errors = Parse(json).Errors;
        Assert.Contains(errors, e => e.Field == "carbonThresholdGramsPerKwh" && e.Reason == "is required by the threshold policy");
        Assert.Contains(errors, e => e.Field == "policy" && e.Reason.Contains("must be interruptible", StringComparison.Ordinal));

        json["policy"] = "greenest";
        Assert.Contains(Parse(json).Errors, e => e.Field == "policy" && e.Reason.StartsWith("unknown policy 'greenest'", StringComparison.Ordinal));
    }

    [Fact]
    public void Gaudi_on_azure_is_refused_with_a_hint()
    {
        var json = Sample();
        json["pool"]!["kind"] = "gaudi";
        Assert.Contains(Parse(json).Errors, e => e.Field == "pool.provider" && e.Reason.Contains("use provider 'aws'", StringComparison.Ordinal));
    }

    [Fact]
    public void Oversized_and_non_json_messages_are_refused_as_a_whole()
    {
        var big = Sample();
        big["name"] = new string('x', 60_000);
        var error = Assert.Single(Parse(big).Errors);
        Assert.Equal("$", error.Field);
        Assert.Contains("the limit is 49152", error.Reason, StringComparison.Ordinal);

        var garbage = Assert.Single(JobContract.Parse("{not json", Limits, Now).Errors);
        Assert.Equal("$", garbage.Field);
        Assert.StartsWith("not valid JSON", garbage.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Base64_and_plain_bodies_decode_to_the_same_json()
    {
        var plain = Sample().ToJsonString();
        var base64 = Convert.ToBase64String(Encoding.UTF8.GetBytes(plain));
        Assert.Equal(plain, JobContract.DecodeMessageBody(base64));
        Assert.Equal(plain, JobContract.DecodeMessageBody(plain));
        Assert.Equal("hello", JobContract.DecodeMessageBody("hello"));
    }
}
