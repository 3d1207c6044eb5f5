output "function_app_name" {
  value = azurerm_function_app_flex_consumption.this.name
}

output "function_app_hostname" {
  value = azurerm_function_app_flex_consumption.this.default_hostname
}

output "storage_account_name" {
  value = azurerm_storage_account.this.name
}

output "key_vault_name" {
  value = azurerm_key_vault.this.name
}

output "managed_identity_client_id" {
  value = azurerm_user_assigned_identity.app.client_id
}

output "virtual_network_name" {
  value = var.enable_private_networking ? azurerm_virtual_network.this[0].name : ""
}
