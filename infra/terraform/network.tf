# Private networking (enable_private_networking; the same as infra/modules/network.bicep): a VNet with one subnet
# delegated to the Flex Consumption app's VNet integration and one for private endpoints; private endpoints for the
# storage account (blob, queue, table: the host, Durable Functions and the app use all three; Flex Consumption uses no
# Azure Files) and for Key Vault, each registered in its privatelink DNS zone. The zones are linked to this VNet and to
# the pool VNets named, so that node agents peered in resolve the same private addresses (docs/DEPLOY.md).

locals {
  private_networking = var.enable_private_networking

  # Endpoint name to the target resource, its sub-resource (group id) and its private DNS zone (public Azure's names).
  private_endpoint_targets = {
    blob  = { resource_id = azurerm_storage_account.this.id, group = "blob", zone = "privatelink.blob.core.windows.net" }
    queue = { resource_id = azurerm_storage_account.this.id, group = "queue", zone = "privatelink.queue.core.windows.net" }
    table = { resource_id = azurerm_storage_account.this.id, group = "table", zone = "privatelink.table.core.windows.net" }
    vault = { resource_id = azurerm_key_vault.this.id, group = "vault", zone = "privatelink.vaultcore.azure.net" }
  }
  private_endpoints = local.private_networking ? local.private_endpoint_targets : {}

  # Every (zone, pool VNet) pair that needs a link.
  pool_zone_links = {
    for pair in setproduct(keys(local.private_endpoints), var.pool_virtual_network_ids) :
    "${pair[0]}-${substr(sha1(pair[1]), 0, 12)}" => { endpoint = pair[0], vnet_id = pair[1] }
  }
}

resource "azurerm_virtual_network" "this" {
  count               = local.private_networking ? 1 : 0
  name                = "vnet-carbon-${local.resource_token}"
  resource_group_name = data.azurerm_resource_group.this.name
  location            = local.location
  address_space       = [var.vnet_address_prefix]
  tags                = local.tags
}

# Flex Consumption runs on the Container Apps platform: its integration subnet is delegated to it.
resource "azurerm_subnet" "app" {
  count                = local.private_networking ? 1 : 0
  name                 = "snet-app"
  resource_group_name  = data.azurerm_resource_group.this.name
  virtual_network_name = azurerm_virtual_network.this[0].name
  address_prefixes     = [var.app_subnet_prefix]

  delegation {
    name = "flex-consumption"
    service_delegation {
      name    = "Microsoft.App/environments"
      actions = ["Microsoft.Network/virtualNetworks/subnets/join/action"]
    }
  }
}

resource "azurerm_subnet" "private_endpoints" {
  count                             = local.private_networking ? 1 : 0
  name                              = "snet-private-endpoints"
  resource_group_name               = data.azurerm_resource_group.this.name
  virtual_network_name              = azurerm_virtual_network.this[0].name
  address_prefixes                  = [var.private_endpoint_subnet_prefix]
  private_endpoint_network_policies = "Disabled"
}

resource "azurerm_private_dns_zone" "this" {
  for_each            = local.private_endpoints
  name                = each.value.zone
  resource_group_name = data.azurerm_resource_group.this.name
  tags                = local.tags
}

resource "azurerm_private_dns_zone_virtual_network_link" "this" {
  for_each              = local.private_endpoints
  name                  = "link-vnet-carbon-${local.resource_token}"
  resource_group_name   = data.azurerm_resource_group.this.name
  private_dns_zone_name = azurerm_private_dns_zone.this[each.key].name
  virtual_network_id    = azurerm_virtual_network.this[0].id
  registration_enabled  = false
  tags                  = local.tags
}

resource "azurerm_private_dns_zone_virtual_network_link" "pools" {
  for_each              = local.pool_zone_links
  name                  = "link-pool-${substr(sha1(each.value.vnet_id), 0, 12)}"
  resource_group_name   = data.azurerm_resource_group.this.name
  private_dns_zone_name = azurerm_private_dns_zone.this[each.value.endpoint].name
  virtual_network_id    = each.value.vnet_id
  registration_enabled  = false
  tags                  = local.tags
}

resource "azurerm_private_endpoint" "this" {
  for_each            = local.private_endpoints
  name                = each.key == "vault" ? "pe-${azurerm_key_vault.this.name}" : "pe-${azurerm_storage_account.this.name}-${each.key}"
  resource_group_name = data.azurerm_resource_group.this.name
  location            = local.location
  subnet_id           = azurerm_subnet.private_endpoints[0].id
  tags                = local.tags

  private_service_connection {
    name                           = "${each.key}-connection"
    private_connection_resource_id = each.value.resource_id
    subresource_names              = [each.value.group]
    is_manual_connection           = false
  }

  private_dns_zone_group {
    name                 = "default"
    private_dns_zone_ids = [azurerm_private_dns_zone.this[each.key].id]
  }
}
