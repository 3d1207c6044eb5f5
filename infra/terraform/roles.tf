# The app's identity gets exactly these roles (the same as the Bicep modules), each the least role at the narrowest
# scope (docs/DEPLOY.md, "Roles of the app's identity").

# Storage Blob Data Owner only on the Functions host's own containers (locks, timer status, blob trigger receipts;
# host keys): the role the Functions docs name for host storage.
resource "azurerm_role_assignment" "storage_blob_data_owner" {
  for_each           = toset(local.host_owned_containers)
  scope              = azurerm_storage_container.this[each.value].id
  role_definition_id = "/subscriptions/${data.azurerm_client_config.current.subscription_id}/providers/Microsoft.Authorization/roleDefinitions/${local.role_ids.storage_blob_data_owner}"
  principal_id       = azurerm_user_assigned_identity.app.principal_id
  principal_type     = "ServicePrincipal"
}

# Storage Blob Data Contributor on each other container the app uses: the Flex deployment package, telemetry, reports,
# poison bodies, and the Durable task hub's lease and large-message containers.
resource "azurerm_role_assignment" "storage_blob_data_contributor" {
  for_each           = toset(concat([local.deployment_container, local.telemetry_container, "reports", "poison"], local.task_hub_containers))
  scope              = azurerm_storage_container.this[each.value].id
  role_definition_id = "/subscriptions/${data.azurerm_client_config.current.subscription_id}/providers/Microsoft.Authorization/roleDefinitions/${local.role_ids.storage_blob_data_contributor}"
  principal_id       = azurerm_user_assigned_identity.app.principal_id
  principal_type     = "ServicePrincipal"
}

# Queues and tables on the account: the host and Durable Functions create them at run time under names known only then
# (control queues, history and instances tables, monthly diagnostic tables).
resource "azurerm_role_assignment" "storage_queue_data_contributor" {
  scope              = azurerm_storage_account.this.id
  role_definition_id = "/subscriptions/${data.azurerm_client_config.current.subscription_id}/providers/Microsoft.Authorization/roleDefinitions/${local.role_ids.storage_queue_data_contributor}"
  principal_id       = azurerm_user_assigned_identity.app.principal_id
  principal_type     = "ServicePrincipal"
}

resource "azurerm_role_assignment" "storage_table_data_contributor" {
  scope              = azurerm_storage_account.this.id
  role_definition_id = "/subscriptions/${data.azurerm_client_config.current.subscription_id}/providers/Microsoft.Authorization/roleDefinitions/${local.role_ids.storage_table_data_contributor}"
  principal_id       = azurerm_user_assigned_identity.app.principal_id
  principal_type     = "ServicePrincipal"
}

# Only on the pool resource group: the app starts, deallocates and resizes GPU VMs there and nowhere else.
resource "azurerm_role_assignment" "pool_virtual_machine_contributor" {
  scope              = data.azurerm_resource_group.pools.id
  role_definition_id = "/subscriptions/${data.azurerm_client_config.current.subscription_id}/providers/Microsoft.Authorization/roleDefinitions/${local.role_ids.virtual_machine_contributor}"
  principal_id       = azurerm_user_assigned_identity.app.principal_id
  principal_type     = "ServicePrincipal"
}

resource "azurerm_role_assignment" "key_vault_secrets_user" {
  scope              = azurerm_key_vault.this.id
  role_definition_id = "/subscriptions/${data.azurerm_client_config.current.subscription_id}/providers/Microsoft.Authorization/roleDefinitions/${local.role_ids.key_vault_secrets_user}"
  principal_id       = azurerm_user_assigned_identity.app.principal_id
  principal_type     = "ServicePrincipal"
}

# Local auth is disabled on Application Insights: telemetry is accepted from this identity only.
resource "azurerm_role_assignment" "monitoring_metrics_publisher" {
  scope              = azurerm_application_insights.this.id
  role_definition_id = "/subscriptions/${data.azurerm_client_config.current.subscription_id}/providers/Microsoft.Authorization/roleDefinitions/${local.role_ids.monitoring_metrics_publisher}"
  principal_id       = azurerm_user_assigned_identity.app.principal_id
  principal_type     = "ServicePrincipal"
}

# Whoever runs Terraform writes the secrets through the Key Vault data plane, so it needs this role.
resource "azurerm_role_assignment" "deployer_key_vault_secrets_officer" {
  scope              = azurerm_key_vault.this.id
  role_definition_id = "/subscriptions/${data.azurerm_client_config.current.subscription_id}/providers/Microsoft.Authorization/roleDefinitions/${local.role_ids.key_vault_secrets_officer}"
  principal_id       = data.azurerm_client_config.current.object_id
}
