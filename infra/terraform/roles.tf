# The app's identity gets exactly these roles (the same as the Bicep modules).

resource "azurerm_role_assignment" "storage_blob_data_owner" {
  scope              = azurerm_storage_account.this.id
  role_definition_id = "/subscriptions/${data.azurerm_client_config.current.subscription_id}/providers/Microsoft.Authorization/roleDefinitions/${local.role_ids.storage_blob_data_owner}"
  principal_id       = azurerm_user_assigned_identity.app.principal_id
  principal_type     = "ServicePrincipal"
}

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
