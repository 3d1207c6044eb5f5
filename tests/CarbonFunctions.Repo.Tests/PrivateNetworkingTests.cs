using System.Text.Json.Nodes;

namespace CarbonFunctions.Repo.Tests;

/// <summary>
/// Issue 17, item 5 in both templates: the private networking option (off by default) and the narrowed blob roles.
/// The compiled Bicep keeps the option's resources behind the module's condition, so the checks read the
/// expressions ARM will evaluate; the Terraform is checked as parsed.
/// </summary>
[Collection(InfraFixtures.Name)]
public class PrivateNetworkingTests(BicepTemplate bicep, TerraformConfig terraform)
{
    private static readonly string[] HostOwnedContainers = ["azure-webjobs-hosts", "azure-webjobs-secrets"];

    private static readonly string[] TaskHubContainers = ["carbonhub-leases", "carbonhub-applease", "carbonhub-appleaseinfo", "carbonhub-largemessages"];

    private static readonly string[] AppContainers = ["telemetry", "reports", "poison"];

    private static readonly string[] PrivateEndpointGroups = ["blob", "queue", "table", "vault"];

    [Fact]
    public void Bicep_option_is_off_by_default_and_gates_the_network_module()
    {
        Assert.False((bool)bicep.Root["parameters"]!["enablePrivateNetworking"]!["defaultValue"]!);
        Assert.Equal("[parameters('enablePrivateNetworking')]", (string?)bicep.Module("network")["condition"]);

        // The other modules get the option itself, not a copy that could drift.
        Assert.Equal("[parameters('enablePrivateNetworking')]", (string?)bicep.Module("storage")["properties"]!["parameters"]!["privateNetworking"]!["value"]);
        Assert.Equal("[parameters('enablePrivateNetworking')]", (string?)bicep.Module("keyvault")["properties"]!["parameters"]!["privateNetworking"]!["value"]);
    }

    [Fact]
    public void Bicep_vnet_has_a_subnet_delegated_to_flex_consumption_and_one_for_private_endpoints()
    {
        var network = BicepTemplate.FindTemplateOf(bicep.Module("network"));
        var vnet = Assert.Single(BicepTemplate.ResourcesOf(network), r => (string?)r["type"] == "Microsoft.Network/virtualNetworks");
        var subnets = vnet["properties"]!["subnets"]!.AsArray().Select(s => s!.AsObject()).ToList();
        Assert.Equal(2, subnets.Count);

        var app = Assert.Single(subnets, s => s["properties"]!["delegations"] is not null);
        Assert.Equal("Microsoft.App/environments", (string?)Assert.Single(app["properties"]!["delegations"]!.AsArray())!["properties"]!["serviceName"]);
        Assert.Equal("[variables('appSubnetName')]", (string?)app["name"]);
        Assert.Equal("snet-app", (string?)network["variables"]!["appSubnetName"]);

        var endpoints = Assert.Single(subnets, s => s["properties"]!["delegations"] is null);
        Assert.Equal("Disabled", (string?)endpoints["properties"]!["privateEndpointNetworkPolicies"]);
    }

    [Fact]
    public void Bicep_private_endpoints_cover_blob_queue_table_and_the_vault_each_with_its_dns_zone()
    {
        var network = BicepTemplate.FindTemplateOf(bicep.Module("network"));
        var resources = BicepTemplate.ResourcesOf(network).ToList();
        Assert.Equal(["blob", "queue", "table"], Strings(network["variables"]!["storageGroups"]!));

        var endpoints = resources.Where(r => (string?)r["type"] == "Microsoft.Network/privateEndpoints").ToList();
        Assert.Equal(2, endpoints.Count);
        var storage = Assert.Single(endpoints, e => e["copy"] is not null);
        Assert.Equal("[length(variables('storageGroups'))]", (string?)storage["copy"]!["count"]);
        var storageConnection = storage["properties"]!["privateLinkServiceConnections"]![0]!["properties"]!;
        Assert.Equal("[resourceId('Microsoft.Storage/storageAccounts', parameters('storageAccountName'))]", (string?)storageConnection["privateLinkServiceId"]);
        Assert.Equal(["[variables('storageGroups')[copyIndex()]]"], Strings(storageConnection["groupIds"]!));
        var vault = Assert.Single(endpoints, e => e["copy"] is null);
        var vaultConnection = vault["properties"]!["privateLinkServiceConnections"]![0]!["properties"]!;
        Assert.Equal(["vault"], Strings(vaultConnection["groupIds"]!));
        Assert.Equal("[resourceId('Microsoft.KeyVault/vaults', parameters('keyVaultName'))]", (string?)vaultConnection["privateLinkServiceId"]);

        // Every endpoint lands in the private endpoint subnet and registers in a privatelink zone.
        Assert.All(endpoints, e => Assert.Contains("variables('privateEndpointSubnetName')", e["properties"]!["subnet"]!["id"]!.ToString(), StringComparison.Ordinal));
        var zones = resources.Where(r => (string?)r["type"] == "Microsoft.Network/privateDnsZones").Select(z => (string)z["name"]!).ToList();
        Assert.Equal(["[format('privatelink.{0}.{1}', variables('storageGroups')[copyIndex()], environment().suffixes.storage)]", "privatelink.vaultcore.azure.net"], zones);
        Assert.Equal(2, resources.Count(r => (string?)r["type"] == "Microsoft.Network/privateEndpoints/privateDnsZoneGroups"));

        // Zones linked to this VNet, and to the pool VNets the deployer names (for peered node agents).
        var links = resources.Where(r => (string?)r["type"] == "Microsoft.Network/privateDnsZones/virtualNetworkLinks").ToList();
        Assert.Equal(4, links.Count);
        Assert.All(links, l => Assert.False((bool)l["properties"]!["registrationEnabled"]!));
        var toPools = links.Where(l => l["copy"]?["count"]?.ToString().Contains("parameters('linkedVirtualNetworkIds')", StringComparison.Ordinal) == true).ToList();
        Assert.Equal(2, toPools.Count);
        Assert.All(links.Except(toPools), l => Assert.Equal("[resourceId('Microsoft.Network/virtualNetworks', parameters('virtualNetworkName'))]", (string?)l["properties"]!["virtualNetwork"]!["id"]));
        Assert.Equal("[parameters('poolVirtualNetworkIds')]", (string?)bicep.Module("network")["properties"]!["parameters"]!["linkedVirtualNetworkIds"]!["value"]);
    }

    [Fact]
    public void Bicep_storage_and_key_vault_leave_the_public_network_with_the_option_on()
    {
        var storage = bicep.OnlyOfType("Microsoft.Storage/storageAccounts")["properties"]!;
        Assert.Equal("[if(parameters('privateNetworking'), 'Disabled', 'Enabled')]", (string?)storage["publicNetworkAccess"]);
        Assert.Equal("[if(parameters('privateNetworking'), 'Deny', 'Allow')]", (string?)storage["networkAcls"]!["defaultAction"]);

        var vault = bicep.OnlyOfType("Microsoft.KeyVault/vaults")["properties"]!;
        Assert.Equal("[if(parameters('privateNetworking'), 'Disabled', 'Enabled')]", (string?)vault["publicNetworkAccess"]);
        Assert.Equal("[if(parameters('privateNetworking'), 'Deny', 'Allow')]", (string?)vault["networkAcls"]!["defaultAction"]);

        // Off by default in both modules too.
        Assert.False((bool)BicepTemplate.FindTemplateOf(bicep.Module("storage"))["parameters"]!["privateNetworking"]!["defaultValue"]!);
        Assert.False((bool)BicepTemplate.FindTemplateOf(bicep.Module("keyvault"))["parameters"]!["privateNetworking"]!["defaultValue"]!);
    }

    [Fact]
    public void Bicep_app_joins_the_delegated_subnet_with_the_option_on_and_keeps_basic_publishing_off()
    {
        var functionApp = bicep.Module("functionapp");
        // Bicep folds the conditional into the whole parameter object.
        var subnet = (string)functionApp["properties"]!["parameters"]!["virtualNetworkSubnetId"]!;
        Assert.Equal(
            "[if(parameters('enablePrivateNetworking'), createObject('value', resourceId('Microsoft.Network/virtualNetworks/subnets', variables('virtualNetworkName'), 'snet-app')), createObject('value', ''))]",
            subnet);
        Assert.Contains("[resourceId('Microsoft.Resources/deployments', 'network')]", functionApp["dependsOn"]!.AsArray().Select(d => d!.ToString()));

        var site = bicep.OnlyOfType("Microsoft.Web/sites");
        Assert.Equal("[if(empty(parameters('virtualNetworkSubnetId')), null(), parameters('virtualNetworkSubnetId'))]", (string?)site["properties"]!["virtualNetworkSubnetId"]);

        var policies = bicep.OfType("Microsoft.Web/sites/basicPublishingCredentialsPolicies").ToList();
        Assert.Equal(2, policies.Count);
        Assert.Single(policies, p => p["name"]!.ToString().EndsWith("'ftp')]", StringComparison.Ordinal));
        Assert.Single(policies, p => p["name"]!.ToString().EndsWith("'scm')]", StringComparison.Ordinal));
        Assert.All(policies, p => Assert.False((bool)p["properties"]!["allow"]!));
    }

    [Fact]
    public void Bicep_blob_data_owner_is_only_on_the_host_containers_and_contributor_on_each_other_container()
    {
        var access = bicep.Module("storage-access");
        var variables = bicep.Root["variables"]!;
        Assert.Equal("[variables('hostOwnedContainerNames')]", (string?)access["properties"]!["parameters"]!["ownerContainerNames"]!["value"]);
        Assert.Equal(HostOwnedContainers, Strings(variables["hostOwnedContainerNames"]!));
        Assert.Equal(TaskHubContainers, Strings(variables["taskHubContainerNames"]!));
        Assert.Equal(AppContainers, Resolved(variables["appContainerNames"]!));
        Assert.Equal(
            "[union(createArray(variables('deploymentContainerName')), variables('appContainerNames'), variables('taskHubContainerNames'))]",
            (string?)access["properties"]!["parameters"]!["contributorContainerNames"]!["value"]);

        // Owner and Contributor are assigned per container (a copy loop scoped to blobServices/default/containers/{name}).
        var template = BicepTemplate.FindTemplateOf(access);
        var assignments = BicepTemplate.ResourcesOf(template).Where(r => (string?)r["type"] == "Microsoft.Authorization/roleAssignments").ToList();
        Assert.Equal(4, assignments.Count);
        foreach (var (role, names) in new[] { ("storageBlobDataOwner", "ownerContainerNames"), ("storageBlobDataContributor", "contributorContainerNames") })
        {
            var assignment = Assert.Single(assignments, a => a["properties"]!["roleDefinitionId"]!.ToString().EndsWith($"variables('roleIds').{role})]", StringComparison.Ordinal));
            Assert.Equal($"[length(parameters('{names}'))]", (string?)assignment["copy"]!["count"]);
            Assert.Equal($"[resourceId('Microsoft.Storage/storageAccounts/blobServices/containers', parameters('storageAccountName'), 'default', parameters('{names}')[copyIndex()])]", (string?)assignment["scope"]);
        }

        // Queues and tables stay on the account: their names appear only at run time (Durable control queues, history).
        foreach (var role in new[] { "storageQueueDataContributor", "storageTableDataContributor" })
        {
            var assignment = Assert.Single(assignments, a => a["properties"]!["roleDefinitionId"]!.ToString().EndsWith($"variables('roleIds').{role})]", StringComparison.Ordinal));
            Assert.Null(assignment["copy"]);
            Assert.Equal("[resourceId('Microsoft.Storage/storageAccounts', parameters('storageAccountName'))]", (string?)assignment["scope"]);
        }

        // The containers the roles are scoped to exist: the storage module creates the host's and the task hub's too.
        Assert.Equal(
            "[union(variables('hostOwnedContainerNames'), variables('taskHubContainerNames'))]",
            (string?)bicep.Module("storage")["properties"]!["parameters"]!["hostContainerNames"]!["value"]);
    }

    [Fact]
    public void Terraform_option_is_off_by_default_and_takes_storage_and_the_vault_off_the_public_network()
    {
        var variable = terraform.Files["variables.tf"]!["variable"]!["enable_private_networking"]![0]!;
        Assert.False((bool)variable["default"]!);
        Assert.Equal("${bool}", (string?)variable["type"]);

        var storage = terraform.Resource("azurerm_storage_account", "this");
        Assert.Equal("${!var.enable_private_networking}", (string?)storage["public_network_access_enabled"]);
        Assert.Equal("${var.enable_private_networking ? \"Deny\" : \"Allow\"}", (string?)TerraformConfig.Block(storage, "network_rules")["default_action"]);

        var vault = terraform.Resource("azurerm_key_vault", "this");
        Assert.Equal("${!var.enable_private_networking}", (string?)vault["public_network_access_enabled"]);
        Assert.Equal("${var.enable_private_networking ? \"Deny\" : \"Allow\"}", (string?)TerraformConfig.Block(vault, "network_acls")["default_action"]);

        // The provider must not reach for the storage data plane, which the option takes off the public network.
        var features = TerraformConfig.Block(terraform.Files["versions.tf"]!["provider"]!["azurerm"]![0]!.AsObject(), "features");
        Assert.False((bool)TerraformConfig.Block(features, "storage")["data_plane_available"]!);
    }

    [Fact]
    public void Terraform_vnet_subnets_endpoints_and_zones_exist_only_with_the_option()
    {
        Assert.Equal("${local.private_networking ? 1 : 0}", (string?)terraform.Resource("azurerm_virtual_network", "this")["count"]);
        Assert.Equal("${var.enable_private_networking}", (string?)terraform.Locals.Single(l => l.ContainsKey("private_networking"))["private_networking"]);

        var app = terraform.Resource("azurerm_subnet", "app");
        Assert.Equal("${local.private_networking ? 1 : 0}", (string?)app["count"]);
        Assert.Equal("Microsoft.App/environments", (string?)TerraformConfig.Block(TerraformConfig.Block(app, "delegation"), "service_delegation")["name"]);
        var endpointSubnet = terraform.Resource("azurerm_subnet", "private_endpoints");
        Assert.Equal("Disabled", (string?)endpointSubnet["private_endpoint_network_policies"]);

        var locals = terraform.Locals.Single(l => l.ContainsKey("private_endpoint_targets"));
        Assert.Equal("${local.private_networking ? local.private_endpoint_targets : {}}", (string?)locals["private_endpoints"]);
        var targets = locals["private_endpoint_targets"]!.AsObject();
        Assert.Equal(PrivateEndpointGroups, targets.Select(t => t.Key).ToArray());
        Assert.All(targets, t => Assert.Equal(t.Key, (string?)t.Value!["group"]));
        Assert.Equal(
            ["privatelink.blob.core.windows.net", "privatelink.queue.core.windows.net", "privatelink.table.core.windows.net", "privatelink.vaultcore.azure.net"],
            targets.Select(t => (string)t.Value!["zone"]!).ToArray());
        Assert.Equal("${azurerm_key_vault.this.id}", (string?)targets["vault"]!["resource_id"]);
        Assert.All(["blob", "queue", "table"], g => Assert.Equal("${azurerm_storage_account.this.id}", (string?)targets[g]!["resource_id"]));

        var endpoint = terraform.Resource("azurerm_private_endpoint", "this");
        Assert.Equal("${local.private_endpoints}", (string?)endpoint["for_each"]);
        Assert.Equal("${azurerm_subnet.private_endpoints[0].id}", (string?)endpoint["subnet_id"]);
        Assert.Equal(["${each.value.group}"], Strings(TerraformConfig.Block(endpoint, "private_service_connection")["subresource_names"]!));
        Assert.Equal(["${azurerm_private_dns_zone.this[each.key].id}"], Strings(TerraformConfig.Block(endpoint, "private_dns_zone_group")["private_dns_zone_ids"]!));
        Assert.Equal("${local.private_endpoints}", (string?)terraform.Resource("azurerm_private_dns_zone", "this")["for_each"]);
        Assert.Equal("${azurerm_virtual_network.this[0].id}", (string?)terraform.Resource("azurerm_private_dns_zone_virtual_network_link", "this")["virtual_network_id"]);
        Assert.Equal("${each.value.vnet_id}", (string?)terraform.Resource("azurerm_private_dns_zone_virtual_network_link", "pools")["virtual_network_id"]);
    }

    [Fact]
    public void Terraform_app_joins_the_delegated_subnet_with_the_option_and_keeps_basic_publishing_off()
    {
        var app = terraform.Resource("azurerm_function_app_flex_consumption", "this");
        Assert.Equal("${var.enable_private_networking ? azurerm_subnet.app[0].id : null}", (string?)app["virtual_network_subnet_id"]);
        Assert.False((bool)app["webdeploy_publish_basic_authentication_enabled"]!);
        Assert.Contains("${azurerm_private_endpoint.this}", Strings(app["depends_on"]!));
    }

    [Fact]
    public void Terraform_blob_data_owner_is_only_on_the_host_containers_and_contributor_on_each_other_container()
    {
        var locals = terraform.Locals.Single(l => l.ContainsKey("host_owned_containers"));
        Assert.Equal(HostOwnedContainers, Strings(locals["host_owned_containers"]!));
        Assert.Equal(TaskHubContainers, Strings(locals["task_hub_containers"]!));
        Assert.Equal(
            "${toset(concat(local.containers, local.host_owned_containers, local.task_hub_containers))}",
            (string?)terraform.Resource("azurerm_storage_container", "this")["for_each"]);

        var assignments = terraform.ResourcesOfType("azurerm_role_assignment");
        var owner = assignments["storage_blob_data_owner"];
        Assert.Equal("${toset(local.host_owned_containers)}", (string?)owner["for_each"]);
        Assert.Equal("${azurerm_storage_container.this[each.value].id}", (string?)owner["scope"]);
        var contributor = assignments["storage_blob_data_contributor"];
        Assert.Equal("${toset(concat([local.deployment_container, local.telemetry_container, \"reports\", \"poison\"], local.task_hub_containers))}", (string?)contributor["for_each"]);
        Assert.Equal("${azurerm_storage_container.this[each.value].id}", (string?)contributor["scope"]);
        Assert.EndsWith("${local.role_ids.storage_blob_data_contributor}", contributor["role_definition_id"]!.ToString(), StringComparison.Ordinal);

        // No blob role of the app's identity on the account; queues and tables are.
        var appOnAccount = assignments.Where(a => (string?)a.Value["principal_id"] == "${azurerm_user_assigned_identity.app.principal_id}"
            && (string?)a.Value["scope"] == "${azurerm_storage_account.this.id}").Select(a => a.Key).Order(StringComparer.Ordinal);
        Assert.Equal(["storage_queue_data_contributor", "storage_table_data_contributor"], appOnAccount);
    }

    [Fact]
    public void Both_templates_grant_the_same_blob_roles_on_the_same_containers_and_the_same_private_endpoints()
    {
        var variables = bicep.Root["variables"]!;
        var locals = terraform.Locals.Single(l => l.ContainsKey("host_owned_containers"));
        Assert.Equal(Strings(variables["hostOwnedContainerNames"]!), Strings(locals["host_owned_containers"]!));
        Assert.Equal(Strings(variables["taskHubContainerNames"]!), Strings(locals["task_hub_containers"]!));

        // Bicep: deployment container + app containers + task hub; Terraform spells the app's out.
        string[] bicepContributor = [(string)variables["deploymentContainerName"]!, .. Resolved(variables["appContainerNames"]!), .. Strings(variables["taskHubContainerNames"]!)];
        string[] terraformContributor = ["app-package", "telemetry", "reports", "poison", .. TaskHubContainers];
        Assert.Equal(bicepContributor.Order(StringComparer.Ordinal), terraformContributor.Order(StringComparer.Ordinal));

        var network = BicepTemplate.FindTemplateOf(bicep.Module("network"));
        string[] bicepGroups = [.. Strings(network["variables"]!["storageGroups"]!), "vault"];
        var terraformGroups = terraform.Locals.Single(l => l.ContainsKey("private_endpoint_targets"))["private_endpoint_targets"]!.AsObject().Select(t => t.Key);
        Assert.Equal(bicepGroups, terraformGroups);

        // The same defaults for the address plan.
        var parameters = bicep.Root["parameters"]!;
        var tfVariables = terraform.Files["variables.tf"]!["variable"]!;
        foreach (var (b, t) in new[] { ("vnetAddressPrefix", "vnet_address_prefix"), ("appSubnetPrefix", "app_subnet_prefix"), ("privateEndpointSubnetPrefix", "private_endpoint_subnet_prefix") })
        {
            Assert.Equal((string?)parameters[b]!["defaultValue"], (string?)tfVariables[t]![0]!["default"]);
        }
    }

    private static List<string> Strings(JsonNode array) => array.AsArray().Select(n => n!.ToString()).ToList();

    /// <summary>Array elements with a plain <c>[variables('name')]</c> reference replaced by that variable's value.</summary>
    private List<string> Resolved(JsonNode array) =>
        Strings(array).Select(s => s.StartsWith("[variables('", StringComparison.Ordinal) && s.EndsWith("')]", StringComparison.Ordinal)
            ? (string)bicep.Root["variables"]![s["[variables('".Length..^"')]".Length]]!
            : s).ToList();
}
