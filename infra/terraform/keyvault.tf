resource "azurerm_key_vault" "this" {
  name                       = "kv-carbon-${local.resource_token}"
  resource_group_name        = data.azurerm_resource_group.this.name
  location                   = local.location
  tenant_id                  = data.azurerm_client_config.current.tenant_id
  sku_name                   = "standard"
  rbac_authorization_enabled = true
  soft_delete_retention_days = 7
  purge_protection_enabled   = true
  # With private networking the data plane (the app's references, azurerm_key_vault_secret below, az keyvault secret
  # set) is reached through the private endpoint only (network.tf).
  public_network_access_enabled = !var.enable_private_networking
  tags                          = local.tags

  network_acls {
    default_action = var.enable_private_networking ? "Deny" : "Allow"
    bypass         = "AzureServices"
  }
}

locals {
  # Key Vault secret names, the same as the Bicep references and AppSettingNames.
  provided_secrets = {
    for name, value in {
      "watttime-password"       = var.watttime_password
      "electricitymaps-api-key" = var.electricitymaps_api_key
      "aws-access-key-id"       = var.aws_access_key_id
      "aws-secret-access-key"   = var.aws_secret_access_key
    } : name => value if value != null
  }
}

resource "azurerm_key_vault_secret" "provided" {
  for_each     = nonsensitive(toset(keys(local.provided_secrets)))
  name         = each.value
  value        = local.provided_secrets[each.value]
  key_vault_id = azurerm_key_vault.this.id

  depends_on = [azurerm_role_assignment.deployer_key_vault_secrets_officer]
}
