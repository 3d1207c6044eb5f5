using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace CarbonFunctions.Repo.Tests;

/// <summary>The Terraform parses and declares what the Bicep declares. Parse-checked only: no Terraform binary here.</summary>
[Collection(InfraFixtures.Name)]
public class TerraformTests(BicepTemplate bicep, TerraformConfig terraform)
{
    [Fact]
    public void Every_file_parses_and_declares_the_same_kinds_of_resource_as_the_bicep()
    {
        Assert.Contains("main.tf", terraform.Files.Select(f => f.Key));
        var declared = terraform.Files.SelectMany(f => f.Value!["resource"]?.AsObject().Select(r => r.Key) ?? []).ToHashSet();

        string[] expected =
        [
            "azurerm_user_assigned_identity", "azurerm_storage_account", "azurerm_storage_container", "azurerm_storage_queue",
            "azurerm_storage_table", "azurerm_log_analytics_workspace", "azurerm_application_insights", "azurerm_key_vault",
            "azurerm_role_assignment", "azurerm_service_plan", "azurerm_function_app_flex_consumption",
            "azurerm_eventgrid_system_topic", "azurerm_eventgrid_system_topic_event_subscription",
            "azurerm_virtual_network", "azurerm_subnet", "azurerm_private_endpoint", "azurerm_private_dns_zone",
            "azurerm_private_dns_zone_virtual_network_link",
        ];
        Assert.All(expected, type => Assert.Contains(type, declared));
    }

    [Fact]
    public void Storage_account_refuses_shared_keys_old_tls_and_public_blobs()
    {
        var storage = terraform.Resource("azurerm_storage_account", "this");

        Assert.False((bool)storage["shared_access_key_enabled"]!);
        Assert.False((bool)storage["allow_nested_items_to_be_public"]!);
        Assert.Equal("TLS1_2", (string?)storage["min_tls_version"]);
    }

    [Fact]
    public void Queues_containers_and_tables_match_the_bicep()
    {
        var locals = terraform.Locals.Single(l => l.ContainsKey("queues"));

        Assert.Equal(["${local.jobs_queue}", "${local.jobs_queue}-poison", "${local.events_queue}", "${local.events_queue}-poison"], Strings(locals["queues"]!));
        Assert.Equal(["jobs", "forecasts", "emissions", "simulatedpools", "nodeledger"], Strings(locals["tables"]!));
        Assert.Equal(["${local.telemetry_container}", "reports", "poison", "${local.deployment_container}"], Strings(locals["containers"]!));
        Assert.Equal(["training-jobs", "job-events", "telemetry"], new[] { (string)locals["jobs_queue"]!, (string)locals["events_queue"]!, (string)locals["telemetry_container"]! });
        Assert.Equal("app-package", (string?)locals["deployment_container"]);
        Assert.Equal("app-package", (string?)bicep.Root["variables"]!["deploymentContainerName"]);
    }

    [Fact]
    public void The_node_agent_identity_has_the_same_three_narrow_roles_as_in_the_bicep()
    {
        var agent = terraform.ResourcesOfType("azurerm_role_assignment").Where(a => a.Key.StartsWith("agent_", StringComparison.Ordinal)).ToDictionary(a => a.Key, a => a.Value);
        Assert.Equal(["agent_read_tables", "agent_send_events", "agent_write_telemetry"], agent.Keys.Order(StringComparer.Ordinal).ToArray());
        Assert.All(agent.Values, a => Assert.Equal("${azurerm_user_assigned_identity.agent.principal_id}", (string?)a["principal_id"]));
        Assert.Equal("${azurerm_storage_queue.this[local.events_queue].resource_manager_id}", (string?)agent["agent_send_events"]["scope"]);
        Assert.Equal("${azurerm_storage_container.this[local.telemetry_container].id}", (string?)agent["agent_write_telemetry"]["scope"]);
    }

    [Fact]
    public void Role_definition_ids_are_the_ones_the_bicep_assigns()
    {
        var roleIds = terraform.Locals.Single(l => l.ContainsKey("role_ids"))["role_ids"]!.AsObject()
            .Select(p => p.Value!.ToString()).Order().ToList();

        Assert.Equal(bicep.GuidLiterals().Order(), roleIds);

        // Each declared assignment uses one of them, and the VM role is scoped to the pool group only.
        var assignments = terraform.ResourcesOfType("azurerm_role_assignment");
        Assert.All(assignments.Values, a => Assert.Matches(new Regex(@"roleDefinitions/\$\{local\.role_ids\.[a-z_]+\}$"), a["role_definition_id"]!.ToString()));
        var vm = assignments.Values.Where(a => a["role_definition_id"]!.ToString().Contains("virtual_machine_contributor", StringComparison.Ordinal));
        Assert.Equal("${data.azurerm_resource_group.pools.id}", (string?)Assert.Single(vm)["scope"]);
    }

    [Fact]
    public void Function_app_runs_dotnet_isolated_10_on_flex_consumption_with_the_identity()
    {
        Assert.Equal("FC1", (string?)terraform.Resource("azurerm_service_plan", "this")["sku_name"]);

        var app = terraform.Resource("azurerm_function_app_flex_consumption", "this");
        Assert.Equal("dotnet-isolated", (string?)app["runtime_name"]);
        Assert.Equal("10.0", (string?)app["runtime_version"]);
        Assert.Equal("UserAssignedIdentity", (string?)app["storage_authentication_type"]);
        Assert.Equal("${azurerm_user_assigned_identity.app.id}", (string?)app["storage_user_assigned_identity_id"]);
        Assert.Equal("${azurerm_user_assigned_identity.app.id}", (string?)app["key_vault_reference_identity_id"]);
        Assert.Equal("UserAssigned", (string?)TerraformConfig.Block(app, "identity")["type"]);
    }

    [Fact]
    public void Key_vault_uses_rbac()
    {
        Assert.True((bool)terraform.Resource("azurerm_key_vault", "this")["rbac_authorization_enabled"]!);
    }

    [Fact]
    public void Event_grid_pushes_blob_created_under_telemetry_to_the_blobs_extension_webhook()
    {
        var topic = terraform.Resource("azurerm_eventgrid_system_topic", "storage");
        Assert.Equal("Microsoft.Storage.StorageAccounts", (string?)topic["topic_type"]);

        var subscription = terraform.Resource("azurerm_eventgrid_system_topic_event_subscription", "telemetry_created");
        Assert.Equal("${var.subscribe_telemetry_events ? 1 : 0}", (string?)subscription["count"]);
        Assert.Equal(["Microsoft.Storage.BlobCreated"], Strings(subscription["included_event_types"]!));
        Assert.Equal("/blobServices/default/containers/${local.telemetry_container}/", (string?)TerraformConfig.Block(subscription, "subject_filter")["subject_begins_with"]);

        var url = TerraformConfig.Block(subscription, "webhook_endpoint")["url"]!.ToString();
        Assert.Contains("/runtime/webhooks/blobs?functionName=Host.Functions.${var.telemetry_function_name}", url, StringComparison.Ordinal);
        Assert.Contains("blobs_extension_key", url, StringComparison.Ordinal);
        Assert.Contains("azurerm_function_app_host_keys", terraform.Files.SelectMany(f => f.Value!["data"]?.AsObject().Select(d => d.Key) ?? []));
    }

    private static List<string> Strings(JsonNode array) => array.AsArray().Select(n => n!.ToString()).ToList();
}
