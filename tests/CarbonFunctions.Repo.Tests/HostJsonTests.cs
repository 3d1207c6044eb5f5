using System.Text.Json;
using System.Text.Json.Nodes;

namespace CarbonFunctions.Repo.Tests;

public class HostJsonTests
{
    private static readonly JsonNode Host = JsonNode.Parse(
        File.ReadAllText(Repository.PathOf("host.json")),
        documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Disallow })!;

    [Fact]
    public void Is_version_2_with_a_function_timeout()
    {
        Assert.Equal("2.0", (string?)Host["version"]);
        Assert.True(TimeSpan.TryParse((string?)Host["functionTimeout"], System.Globalization.CultureInfo.InvariantCulture, out var timeout));
        Assert.InRange(timeout, TimeSpan.FromMinutes(1), TimeSpan.FromHours(2));
    }

    [Fact]
    public void Durable_task_hub_lives_in_azure_storage_on_the_host_connection()
    {
        var durable = Host["extensions"]!["durableTask"]!;

        Assert.Equal("CarbonHub", (string?)durable["hubName"]);
        Assert.Equal("AzureStorage", (string?)durable["storageProvider"]!["type"]);
        Assert.Equal("AzureWebJobsStorage", (string?)durable["storageProvider"]!["connectionName"]);
    }

    [Fact]
    public void Queue_messages_are_plain_text_and_go_to_poison_after_five_attempts()
    {
        var queues = Host["extensions"]!["queues"]!;

        Assert.Equal("none", (string?)queues["messageEncoding"]);
        Assert.Equal(5, (int)queues["maxDequeueCount"]!);
        Assert.True(TimeSpan.TryParse((string?)queues["visibilityTimeout"], System.Globalization.CultureInfo.InvariantCulture, out _));
        Assert.InRange((int)queues["batchSize"]!, 1, 32);
    }

    [Fact]
    public void Has_blob_and_logging_sections()
    {
        Assert.NotNull(Host["extensions"]!["blobs"]);
        Assert.Equal("Information", (string?)Host["logging"]!["logLevel"]!["default"]);
    }
}
