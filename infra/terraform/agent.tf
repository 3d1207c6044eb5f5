# The identity the node agent runs as on pool VMs (assigned to each scale set or tagged VM, with
# infra/agent/cloud-init.yaml as custom data; docs/DEPLOY.md). Data-plane roles only, each on the narrowest scope:
# send to job-events, write into the telemetry container, read the tables (its job, the control requests).

resource "azurerm_user_assigned_identity" "agent" {
  name                = "id-carbon-agent-${local.resource_token}"
  resource_group_name = data.azurerm_resource_group.this.name
  location            = local.location
  tags                = local.tags
}

resource "azurerm_role_assignment" "agent_send_events" {
  scope              = azurerm_storage_queue.this[local.events_queue].resource_manager_id
  role_definition_id = "/subscriptions/${data.azurerm_client_config.current.subscription_id}/providers/Microsoft.Authorization/roleDefinitions/${local.role_ids.storage_queue_data_message_sender}"
  principal_id       = azurerm_user_assigned_identity.agent.principal_id
  principal_type     = "ServicePrincipal"
}

resource "azurerm_role_assignment" "agent_write_telemetry" {
  scope              = azurerm_storage_container.this[local.telemetry_container].id
  role_definition_id = "/subscriptions/${data.azurerm_client_config.current.subscription_id}/providers/Microsoft.Authorization/roleDefinitions/${local.role_ids.storage_blob_data_contributor}"
  principal_id       = azurerm_user_assigned_identity.agent.principal_id
  principal_type     = "ServicePrincipal"
}

resource "azurerm_role_assignment" "agent_read_tables" {
  scope              = azurerm_storage_account.this.id
  role_definition_id = "/subscriptions/${data.azurerm_client_config.current.subscription_id}/providers/Microsoft.Authorization/roleDefinitions/${local.role_ids.storage_table_data_reader}"
  principal_id       = azurerm_user_assigned_identity.agent.principal_id
  principal_type     = "ServicePrincipal"
}

output "agent_identity_id" {
  description = "Assign to every pool scale set / tagged VM (docs/DEPLOY.md)."
  value       = azurerm_user_assigned_identity.agent.id
}

output "agent_identity_client_id" {
  value = azurerm_user_assigned_identity.agent.client_id
}
