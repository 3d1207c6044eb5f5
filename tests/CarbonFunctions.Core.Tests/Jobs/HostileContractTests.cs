using System.Text.Json.Nodes;
using CarbonFunctions.Core.Jobs;

namespace CarbonFunctions.Core.Tests.Jobs;

/// <summary>
/// Input that once made the contract throw instead of answering with field errors (issue 17): numbers beyond what a
/// TimeSpan or a double holds, and strings that are not valid UTF-16. Each case must come back as a field error.
/// </summary>
public sealed class HostileContractTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);

    private static string Sample() => File.ReadAllText(Path.Combine(JobContractTests.SamplesDir, "gaudi-vision.json"));

    /// <summary>The sample with one raw JSON text replacing the value of a field (a dotted path), so that the bytes reach the parser unchanged.</summary>
    private static string WithRaw(string path, string rawJson)
    {
        var json = JsonNode.Parse(Sample())!.AsObject();
        var parts = path.Split('.');
        var target = parts.Length == 1 ? json : json[parts[0]]!.AsObject();
        target[parts[^1]] = "__RAW__";
        return json.ToJsonString().Replace("\"__RAW__\"", rawJson, StringComparison.Ordinal);
    }

    private static FieldError SingleErrorOn(string json, string field)
    {
        var result = JobContract.Parse(json, new JobLimits(), Now);
        Assert.False(result.IsValid);
        return Assert.Single(result.Errors, e => e.Field == field);
    }

    [Theory]
    [InlineData("1e308")]
    [InlineData("16000000000")]
    [InlineData("1.7976931348623157e308")]
    public void A_duration_beyond_any_timespan_is_a_field_error(string minutes)
    {
        var error = SingleErrorOn(WithRaw("estimatedDurationMinutes", minutes), "estimatedDurationMinutes");
        Assert.Contains("exceeds the limit of 10080 minutes", error.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_duration_too_small_for_the_clock_is_not_a_zero_length_job()
    {
        var error = SingleErrorOn(WithRaw("estimatedDurationMinutes", "1e-300"), "estimatedDurationMinutes");
        Assert.Equal("must be positive", error.Reason);
    }

    [Theory]
    [InlineData("1e300")]
    [InlineData("20000")]
    public void A_resume_overhead_beyond_the_longest_run_is_a_field_error(string minutes)
    {
        var error = SingleErrorOn(WithRaw("resumeOverheadMinutes", minutes), "resumeOverheadMinutes");
        Assert.Equal("must be at most 10080 minutes (the longest allowed run)", error.Reason);
    }

    [Fact]
    public void A_resume_overhead_within_the_limit_is_read()
    {
        var job = JobContract.Parse(WithRaw("resumeOverheadMinutes", "90.5"), new JobLimits(), Now).Job!;
        Assert.Equal(TimeSpan.FromMinutes(90.5), job.ResumeOverhead);
    }

    [Theory]
    [InlineData("[1, 1e400, 3, 4]", "pool.relativeThroughput[1]")]
    [InlineData("[1, 2, 3, -1e400]", "pool.relativeThroughput[3]")]
    public void A_throughput_that_is_not_a_finite_number_is_a_field_error(string values, string field)
    {
        var error = SingleErrorOn(WithRaw("pool.relativeThroughput", values), field);
        Assert.StartsWith("must be a finite number", error.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("powerPerNodeWatts", "pool.powerPerNodeWatts")]
    [InlineData("carbonThresholdGramsPerKwh", "carbonThresholdGramsPerKwh")]
    [InlineData("estimatedDurationMinutes", "estimatedDurationMinutes")]
    public void A_number_too_large_for_a_double_is_a_field_error(string name, string field)
    {
        var path = field.StartsWith("pool.", StringComparison.Ordinal) ? "pool." + name : name;
        var error = SingleErrorOn(WithRaw(path, "1e400"), field);
        Assert.StartsWith("must be a number", error.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("name", "\"\\ud800x\"")]
    [InlineData("owner", "\"team \\udc00\"")]
    [InlineData("workload.image", "\"img\\ud83d\"")]
    [InlineData("policy", "\"\\udfff\\ud800\"")]
    public void A_lone_surrogate_in_a_string_is_a_field_error(string field, string raw)
    {
        var error = SingleErrorOn(WithRaw(field, raw), field);
        Assert.Equal("is not valid text (it holds an unpaired UTF-16 surrogate)", error.Reason);
    }

    [Fact]
    public void A_lone_surrogate_in_an_array_item_names_the_item()
    {
        var regions = SingleErrorOn(WithRaw("regions", "[\"us-east-1\", \"\\ud800\"]"), "regions[1]");
        Assert.Equal("is not valid text (it holds an unpaired UTF-16 surrogate)", regions.Reason);
        var command = SingleErrorOn(WithRaw("workload.command", "[\"python\", \"\\udbff\"]"), "workload.command[1]");
        Assert.Equal("is not valid text (it holds an unpaired UTF-16 surrogate)", command.Reason);
    }

    [Fact]
    public void A_lone_surrogate_where_a_number_belongs_is_still_a_type_error()
    {
        var error = SingleErrorOn(WithRaw("pool.minNodes", "\"\\ud800\""), "pool.minNodes");
        Assert.StartsWith("must be a whole number, was a string", error.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_lone_surrogate_in_a_field_name_is_an_unknown_field()
    {
        var json = JsonNode.Parse(Sample())!.ToJsonString().Replace("{\"schemaVersion\"", "{\"\\ud800bad\":1,\"schemaVersion\"", StringComparison.Ordinal);
        Assert.StartsWith("{\"\\ud800bad\"", json, StringComparison.Ordinal);
        var result = JobContract.Parse(json, new JobLimits(), Now);
        var error = Assert.Single(result.Errors);
        Assert.StartsWith("is not a field of the contract", error.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain(error.Field, char.IsSurrogate);
    }

    [Fact]
    public void A_paired_surrogate_is_text_like_any_other()
    {
        var job = JobContract.Parse(WithRaw("name", "\"vision \\ud83d\\ude80\""), new JobLimits(), Now).Job!;
        Assert.Equal("vision \U0001F680", job.Name);
    }

    [Fact]
    public void A_message_that_is_not_valid_utf16_as_a_whole_is_refused_as_a_whole()
    {
        var json = Sample().Replace("Gaudi", "Gaudi\ud800", StringComparison.Ordinal);
        var error = Assert.Single(JobContract.Parse(json, new JobLimits(), Now).Errors);
        Assert.Equal("$", error.Field);
        Assert.StartsWith("is not valid text", error.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void An_error_that_quotes_a_long_string_never_cuts_a_surrogate_pair_in_half()
    {
        // 39 ASCII characters, then an emoji whose pair straddles the 40-character cut of the quoted value.
        var value = new string('a', 39) + "\U0001F680" + new string('b', 10);
        var error = SingleErrorOn(WithRaw("pool.minNodes", System.Text.Json.JsonSerializer.Serialize(value)), "pool.minNodes");
        Assert.DoesNotContain(error.Reason.Select((c, i) => (c, i)), p => char.IsHighSurrogate(p.c) && (p.i + 1 == error.Reason.Length || !char.IsLowSurrogate(error.Reason[p.i + 1])));
    }

    [Fact]
    public void Thousands_of_unknown_fields_give_a_bounded_list_of_errors()
    {
        var json = JsonNode.Parse(Sample())!.AsObject();
        for (var i = 0; i < 3000; i++)
        {
            json[$"x{i}"] = 1;
        }

        var errors = JobContract.Parse(json.ToJsonString(), new JobLimits(), Now).Errors;
        // The first 20 are listed, the rest counted.
        Assert.Equal(21, errors.Count);
        Assert.Equal(new FieldError("$", "and 2980 more problem(s)"), errors[^1]);
    }

    [Fact]
    public void An_unknown_field_with_a_huge_name_is_reported_with_a_shortened_name()
    {
        var json = JsonNode.Parse(Sample())!.AsObject();
        json[new string('n', 20_000)] = 1;
        var error = Assert.Single(JobContract.Parse(json.ToJsonString(), new JobLimits(), Now).Errors);
        Assert.True(error.Field.Length <= 100, $"field name of {error.Field.Length} characters");
        Assert.StartsWith("nnnn", error.Field, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]")]
    [InlineData("{\"a\":{\"b\":{\"c\":{\"d\":{\"e\":{\"f\":{\"g\":{\"h\":{\"i\":1}}}}}}}}}")]
    public void Deep_nesting_is_refused_as_a_whole(string json)
    {
        var error = Assert.Single(JobContract.Parse(json, new JobLimits(), Now).Errors);
        Assert.Equal("$", error.Field);
    }

    [Fact]
    public void Reading_a_stored_job_with_a_huge_overhead_fails_with_a_clear_error_not_an_overflow()
    {
        var json = WithRaw("resumeOverheadMinutes", "1e300");
        var ex = Assert.Throws<InvalidDataException>(() => JobContract.ReadStored(json));
        Assert.Contains("resumeOverheadMinutes", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_huge_region_name_is_quoted_shortened()
    {
        var error = SingleErrorOn(WithRaw("regions", "[\"" + new string('r', 30_000) + "!\"]"), "regions[0]");
        Assert.True(error.Reason.Length < 100, $"reason of {error.Reason.Length} characters");
    }
}
