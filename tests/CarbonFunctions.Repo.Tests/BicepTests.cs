using System.Text.Json.Nodes;

namespace CarbonFunctions.Repo.Tests;

[Collection(InfraFixtures.Name)]
public class BicepTests(BicepTemplate template)
{
    [Fact]
    public void Build_reports_no_warning_or_error()
    {
        Assert.Equal(0, template.Build.ExitCode);
        Assert.True(template.Build.StandardError.Trim().Length == 0, template.Build.StandardError);
    }

    [Fact]
    public void Lint_reports_nothing_for_main_and_the_modules_it_uses()
    {
        // Linting main.bicep reports the modules' diagnostics too, so every module file must be used by it.
        var main = File.ReadAllText(Repository.PathOf("infra", "main.bicep"));
        Assert.All(
            Directory.GetFiles(Repository.PathOf("infra", "modules"), "*.bicep"),
            module => Assert.Contains($"'modules/{Path.GetFileName(module)}'", main, StringComparison.Ordinal));

        Assert.True(template.Lint.ExitCode == 0 && template.Lint.Combined.Trim().Length == 0, template.Lint.Combined);
    }

    [Fact]
    public void Storage_account_refuses_shared_keys_old_tls_and_public_blobs()
    {
        var properties = template.OnlyOfType("Microsoft.Storage/storageAccounts")["properties"]!;

        Assert.False((bool)properties["allowSharedKeyAccess"]!);
        Assert.False((bool)properties["allowBlobPublicAccess"]!);
        Assert.Equal("TLS1_2", (string?)properties["minimumTlsVersion"]);
    }

    [Fact]
    public void Queues_containers_and_tables_are_created_up_front()
    {
        var storage = template.Module("storage");
        var parameters = BicepTemplate.FindTemplateOf(storage)["parameters"]!;

        Assert.Equal(["training-jobs", "training-jobs-poison", "job-events", "job-events-poison"], Strings(parameters["queueNames"]!["defaultValue"]!));
        Assert.Equal(["telemetry", "reports", "poison"], Strings(parameters["containerNames"]!["defaultValue"]!));
        Assert.Equal(["jobs", "forecasts", "emissions", "simulatedpools", "nodeledger"], Strings(parameters["tableNames"]!["defaultValue"]!));

        // main.bicep passes the names the triggers bind to (the same variables feed the Carbon__Storage__* settings).
        var variables = template.Root["variables"]!;
        Assert.Equal(["training-jobs", "job-events", "telemetry"], new[] { (string)variables["jobsQueueName"]!, (string)variables["eventsQueueName"]!, (string)variables["telemetryContainerName"]! });
        Assert.Equal("[variables('deploymentContainerName')]", (string?)storage["properties"]!["parameters"]!["deploymentContainerName"]!["value"]);
    }

    [Fact]
    public void The_node_agent_identity_can_send_events_write_telemetry_and_read_tables_and_nothing_more()
    {
        var module = BicepTemplate.FindTemplateOf(template.Module("agent-identity"));
        var roleIds = module["variables"]!["roleIds"]!.AsObject().Select(p => (string)p.Value!).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(["76199698-9eea-4c19-bc75-cec21354c6b6", "ba92f5b4-2d11-453d-a403-e96b0029c9fe", "c6a89b2d-59bc-44d0-9896-0f6e12d7b80a"], roleIds);
        var assignments = BicepTemplate.ResourcesOf(module).Where(r => (string?)r["type"] == "Microsoft.Authorization/roleAssignments").ToList();
        Assert.Equal(3, assignments.Count);
        Assert.Contains(assignments, a => ((string?)a["scope"])?.Contains("queues", StringComparison.Ordinal) == true);
        Assert.Contains(assignments, a => ((string?)a["scope"])?.Contains("containers", StringComparison.Ordinal) == true);
        Assert.NotNull(template.Root["outputs"]!["AGENT_IDENTITY_ID"]);
    }

    [Fact]
    public void The_job_api_sits_behind_entra_authentication_except_the_event_grid_webhook_and_basic_publishing_is_off()
    {
        var auth = template.OfType("Microsoft.Web/sites/config").Single(c => ((string?)c["name"])?.Contains("authsettingsV2", StringComparison.Ordinal) == true);
        var validation = auth["properties"]!["globalValidation"]!;
        Assert.True((bool)validation["requireAuthentication"]!);
        Assert.Equal("Return401", (string?)validation["unauthenticatedClientAction"]);
        Assert.Equal(["/runtime/webhooks/blobs"], Strings(validation["excludedPaths"]!));

        var policies = template.OfType("Microsoft.Web/sites/basicPublishingCredentialsPolicies").ToList();
        Assert.Equal(2, policies.Count);
        Assert.All(policies, p => Assert.False((bool)p["properties"]!["allow"]!));
    }

    [Fact]
    public void Function_app_runs_dotnet_isolated_10_on_flex_consumption_with_the_identity()
    {
        var plan = template.OnlyOfType("Microsoft.Web/serverfarms");
        Assert.Equal("FC1", (string?)plan["sku"]!["name"]);
        Assert.Equal("FlexConsumption", (string?)plan["sku"]!["tier"]);

        var site = template.OnlyOfType("Microsoft.Web/sites");
        var config = site["properties"]!["functionAppConfig"]!;
        Assert.Equal("dotnet-isolated", (string?)config["runtime"]!["name"]);
        Assert.Equal("10.0", (string?)config["runtime"]!["version"]);
        Assert.Equal("blobContainer", (string?)config["deployment"]!["storage"]!["type"]);
        Assert.Equal("UserAssignedIdentity", (string?)config["deployment"]!["storage"]!["authentication"]!["type"]);
        Assert.Equal("UserAssigned", (string?)site["identity"]!["type"]);
        Assert.Equal("[parameters('identityId')]", (string?)site["properties"]!["keyVaultReferenceIdentity"]);
    }

    [Fact]
    public void Storage_roles_are_the_four_data_roles_and_vm_contributor_only_on_the_pool_group()
    {
        // Built-in role definition ids, as published in Azure's built-in roles reference.
        const string blobDataOwner = "b7e6dc6d-f1e8-4753-8033-0f276bb0955b";
        const string blobDataContributor = "ba92f5b4-2d11-453d-a403-e96b0029c9fe";
        const string queueDataContributor = "974c5e8b-45b9-4653-ba55-5f855dd0fb88";
        const string tableDataContributor = "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3";
        const string vmContributor = "9980e02c-c2be-4d73-94e8-173b1dc7cf3c";

        Assert.Equal(
            new[] { blobDataOwner, blobDataContributor, queueDataContributor, tableDataContributor }.Order(),
            template.GuidLiterals(template.Module("storage-access")).Order());

        var pool = template.Module("pool-access");
        Assert.Equal("[parameters('poolResourceGroupName')]", (string?)pool["resourceGroup"]);
        Assert.Equal([vmContributor], template.GuidLiterals(pool));

        // Nowhere else: the id occurs once in the whole compiled template.
        Assert.Equal(2, template.Json.Split(vmContributor).Length);
    }

    [Fact]
    public void Key_vault_uses_rbac_and_the_app_may_only_read_secrets()
    {
        const string secretsUser = "4633458b-17de-408a-b874-0445c86b69e6";
        var vault = template.OnlyOfType("Microsoft.KeyVault/vaults");

        Assert.True((bool)vault["properties"]!["enableRbacAuthorization"]!);
        var module = BicepTemplate.FindTemplateOf(template.Module("keyvault"));
        Assert.Equal(secretsUser, (string?)module["variables"]!["keyVaultSecretsUser"]);

        // The only unconditional assignment is the app's, and it is Secrets User (the officer one is optional).
        var unconditional = module["resources"]!.AsArray().OfType<JsonObject>()
            .Where(r => (string?)r["type"] == "Microsoft.Authorization/roleAssignments" && r["condition"] is null);
        Assert.Equal(
            "[subscriptionResourceId('Microsoft.Authorization/roleDefinitions', variables('keyVaultSecretsUser'))]",
            (string?)Assert.Single(unconditional)["properties"]!["roleDefinitionId"]);
        Assert.Equal("[parameters('appPrincipalId')]", (string?)Assert.Single(unconditional)["properties"]!["principalId"]);
    }

    [Fact]
    public void Event_grid_pushes_blob_created_under_telemetry_to_the_blobs_extension_webhook()
    {
        var topic = template.OnlyOfType("Microsoft.EventGrid/systemTopics");
        Assert.Equal("Microsoft.Storage.StorageAccounts", (string?)topic["properties"]!["topicType"]);

        var subscription = template.OnlyOfType("Microsoft.EventGrid/systemTopics/eventSubscriptions");
        Assert.Equal("[parameters('subscribeTelemetryEvents')]", (string?)subscription["condition"]);
        var properties = subscription["properties"]!;
        Assert.Equal(["Microsoft.Storage.BlobCreated"], Strings(properties["filter"]!["includedEventTypes"]!));
        Assert.Equal(
            "[format('/blobServices/default/containers/{0}/', parameters('telemetryContainerName'))]",
            properties["filter"]!["subjectBeginsWith"]!.ToString());
        Assert.Equal("telemetry", (string?)BicepTemplate.FindTemplateOf(template.Module("eventgrid"))["parameters"]!["telemetryContainerName"]!["defaultValue"]);

        var url = properties["destination"]!["properties"]!["endpointUrl"]!.ToString();
        Assert.Contains("/runtime/webhooks/blobs?functionName=Host.Functions.{", url, StringComparison.Ordinal);
        Assert.Contains(".systemKeys.blobs_extension", url, StringComparison.Ordinal);
    }

    private static List<string> Strings(JsonNode array) => array.AsArray().Select(n => n!.ToString()).ToList();
}
