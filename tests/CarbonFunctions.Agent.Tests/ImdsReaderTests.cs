using System.Net;
using CarbonFunctions.Agent;
using CarbonFunctions.Agent.Identity;
using CarbonFunctions.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace CarbonFunctions.Agent.Tests;

/// <summary>The identity readers over HTTP against loopback servers that enforce the IMDS rules.</summary>
public sealed class ImdsReaderTests
{
    private const string AzureDocument = """
        {"compute":{"name":"carbonpool_3","vmScaleSetName":"carbonpool","location":"westeurope","vmSize":"Standard_ND96asr_v4",
         "tags":"carbon-job:llama-pretrain-us;team:research",
         "tagsList":[{"name":"carbon-job","value":"llama-pretrain-us"},{"name":"team","value":"research"},{"name":"carbon-storage","value":"carbonsa"}]},
         "network":{"interface":[]}}
        """;

    private static Task<LoopbackHttpServer> AzureImds(string document) => LoopbackHttpServer.StartAsync(app =>
        app.MapGet("/metadata/instance", (HttpRequest request) =>
            // As IMDS does: no Metadata header (or a wrong api-version) is a 400, so a proxied request cannot read it.
            request.Headers["Metadata"] != "true" ? Results.BadRequest("Required metadata header not specified")
            : request.Query["api-version"] != AzureImdsReader.ApiVersion ? Results.BadRequest("Invalid api-version")
            : Results.Text(document, "application/json")));

    [Fact]
    public async Task Azure_reads_the_job_tag_and_the_scale_set_instance_with_the_metadata_header()
    {
        await using var server = await AzureImds(AzureDocument);
        using var http = new HttpClient();

        var identity = await new AzureImdsReader(http, server.BaseAddress).ReadAsync(CancellationToken.None);

        Assert.Equal(new AgentIdentity("llama-pretrain-us", "3", "azure", "westeurope", "carbonsa"), identity);
        var request = Assert.Single(server.Requests);
        Assert.Equal("GET", request.Method);
        Assert.Equal("/metadata/instance?api-version=2021-02-01", request.PathAndQuery);
        Assert.Equal("true", request.Headers["Metadata"]);
    }

    [Fact]
    public async Task Azure_imds_refuses_a_request_without_the_metadata_header()
    {
        await using var server = await AzureImds(AzureDocument);
        using var http = new HttpClient();

        using var response = await http.GetAsync(new Uri(server.BaseAddress, "metadata/instance?api-version=2021-02-01"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public void Azure_node_tag_wins_over_the_instance_name_and_the_flat_tag_form_is_read()
    {
        var identity = AzureImdsReader.Parse("""{"compute":{"name":"vm-a","vmScaleSetName":"","location":"eastus","tags":"carbon-job:j-7;carbon-node:2"}}""");

        Assert.Equal(new AgentIdentity("j-7", "2", "azure", "eastus", null), identity);
    }

    [Fact]
    public async Task Azure_without_the_job_tag_is_no_identity()
    {
        await using var server = await AzureImds("""{"compute":{"name":"vm-a","tagsList":[{"name":"team","value":"x"}]}}""");
        using var http = new HttpClient();

        var problem = await Assert.ThrowsAsync<IdentityUnavailableException>(() => new AzureImdsReader(http, server.BaseAddress).ReadAsync(CancellationToken.None));

        Assert.Contains("carbon-job", problem.Message, StringComparison.Ordinal);
    }

    private static Task<LoopbackHttpServer> AwsImds(Dictionary<string, string> metadata) => LoopbackHttpServer.StartAsync(app =>
    {
        const string token = "AQAEAFakeSessionToken==";
        app.MapPut("/latest/api/token", (HttpRequest request) =>
            int.TryParse(request.Headers[AwsImdsReader.TokenTtlHeader], out var ttl) && ttl is >= 1 and <= 21600
                ? Results.Text(token)
                : Results.BadRequest());
        app.MapGet("/latest/meta-data/{**path}", (HttpRequest request, string path) =>
            request.Headers[AwsImdsReader.TokenHeader] != token ? Results.Unauthorized()
            : metadata.TryGetValue(path, out var value) ? Results.Text(value)
            : Results.NotFound());
    });

    [Fact]
    public async Task Aws_gets_a_token_then_reads_the_tags_with_it()
    {
        await using var server = await AwsImds(new()
        {
            ["tags/instance/carbon-job"] = "gaudi-resnet-elastic",
            ["ami-launch-index"] = "1",
            ["placement/region"] = "us-east-1",
        });
        using var http = new HttpClient();

        var identity = await new AwsImdsReader(http, server.BaseAddress).ReadAsync(CancellationToken.None);

        // No carbon-node tag: the launch index is the node.
        Assert.Equal(new AgentIdentity("gaudi-resnet-elastic", "1", "aws", "us-east-1", null), identity);
        var requests = server.Requests;
        Assert.Equal(("PUT", "/latest/api/token"), (requests[0].Method, requests[0].PathAndQuery));
        Assert.Equal("21600", requests[0].Headers[AwsImdsReader.TokenTtlHeader]);
        Assert.All(requests.Skip(1), r => Assert.Equal("AQAEAFakeSessionToken==", r.Headers[AwsImdsReader.TokenHeader]));
        Assert.Equal("/latest/meta-data/tags/instance/carbon-job", requests[1].PathAndQuery);
    }

    [Fact]
    public async Task Aws_imds_answers_401_to_a_get_without_a_token()
    {
        await using var server = await AwsImds(new() { ["tags/instance/carbon-job"] = "j" });
        using var http = new HttpClient();

        using var response = await http.GetAsync(new Uri(server.BaseAddress, "latest/meta-data/tags/instance/carbon-job"));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Aws_without_tags_in_metadata_says_how_to_enable_them()
    {
        await using var server = await AwsImds(new() { ["ami-launch-index"] = "0" });
        using var http = new HttpClient();

        var problem = await Assert.ThrowsAsync<IdentityUnavailableException>(() => new AwsImdsReader(http, server.BaseAddress).ReadAsync(CancellationToken.None));

        Assert.Contains("InstanceMetadataTags", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Auto_falls_back_from_azure_to_aws()
    {
        // One link-local address answers for whichever cloud the node is on; here it is EC2, so /metadata/instance is a 404.
        await using var server = await AwsImds(new() { ["tags/instance/carbon-job"] = "j-aws", ["tags/instance/carbon-node"] = "4" });
        using var http = new HttpClient();
        var options = new AgentOptions { AzureImdsEndpoint = server.BaseAddress.ToString(), AwsImdsEndpoint = server.BaseAddress.ToString() };

        var identity = await new IdentityResolver(http, options).ResolveAsync(CancellationToken.None);

        Assert.Equal(("j-aws", "4", "aws"), (identity.JobId, identity.Node, identity.Source));
    }

    [Fact]
    public async Task Arguments_win_without_any_metadata_call()
    {
        using var http = new HttpClient();
        var options = new AgentOptions { JobId = "j1", Node = "2", AzureImdsEndpoint = "http://127.0.0.1:9/" };

        var identity = await new IdentityResolver(http, options).ResolveAsync(CancellationToken.None);

        Assert.Equal(new AgentIdentity("j1", "2", "args"), identity);
    }
}
