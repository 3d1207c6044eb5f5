data "azurerm_client_config" "current" {}

data "azurerm_resource_group" "this" {
  name = var.resource_group_name
}

data "azurerm_resource_group" "pools" {
  name = var.pool_resource_group_name
}

locals {
  location       = coalesce(var.location, data.azurerm_resource_group.this.location)
  resource_token = substr(sha1("${data.azurerm_client_config.current.subscription_id}/${var.resource_group_name}/${var.environment_name}"), 0, 13)
  tags = {
    "azd-env-name" = var.environment_name
    application    = "carbonfunctions"
  }

  # Queue and container names: bound by the triggers through the same app settings carbonctl reads; the dead-letter
  # queues carry the Functions runtime's "-poison" suffix.
  jobs_queue           = "training-jobs"
  events_queue         = "job-events"
  telemetry_container  = "telemetry"
  deployment_container = "app-package"
  containers           = [local.telemetry_container, "reports", "poison", local.deployment_container]
  queues               = [local.jobs_queue, "${local.jobs_queue}-poison", local.events_queue, "${local.events_queue}-poison"]
  tables               = ["jobs", "forecasts", "emissions", "simulatedpools", "nodeledger"]

  # Containers the Functions host and Durable Functions (task hub CarbonHub in host.json, lower-cased) use; created up
  # front so that the app's blob roles can be scoped to each container instead of the account (roles.tf).
  host_owned_containers = ["azure-webjobs-hosts", "azure-webjobs-secrets"]
  task_hub_containers   = ["carbonhub-leases", "carbonhub-applease", "carbonhub-appleaseinfo", "carbonhub-largemessages"]

  # Built-in role definition ids (the same as infra/modules/*.bicep).
  role_ids = {
    storage_blob_data_owner        = "b7e6dc6d-f1e8-4753-8033-0f276bb0955b"
    storage_queue_data_contributor = "974c5e8b-45b9-4653-ba55-5f855dd0fb88"
    storage_table_data_contributor = "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3"
    virtual_machine_contributor    = "9980e02c-c2be-4d73-94e8-173b1dc7cf3c"
    key_vault_secrets_user         = "4633458b-17de-408a-b874-0445c86b69e6"
    key_vault_secrets_officer      = "b86a8fe4-44ce-4948-aee5-eccb2c155cd7"
    monitoring_metrics_publisher   = "3913510d-42f4-4e42-8a64-420c390055eb"

    # The node agent's identity (agent.tf).
    storage_queue_data_message_sender = "c6a89b2d-59bc-44d0-9896-0f6e12d7b80a"
    storage_blob_data_contributor     = "ba92f5b4-2d11-453d-a403-e96b0029c9fe"
    storage_table_data_reader         = "76199698-9eea-4c19-bc75-cec21354c6b6"
  }
}

resource "azurerm_user_assigned_identity" "app" {
  name                = "id-carbon-${local.resource_token}"
  resource_group_name = data.azurerm_resource_group.this.name
  location            = local.location
  tags                = local.tags
}

resource "azurerm_storage_account" "this" {
  name                            = "stcarbon${local.resource_token}"
  resource_group_name             = data.azurerm_resource_group.this.name
  location                        = local.location
  account_kind                    = "StorageV2"
  account_tier                    = "Standard"
  account_replication_type        = "LRS"
  shared_access_key_enabled       = false
  allow_nested_items_to_be_public = false
  min_tls_version                 = "TLS1_2"
  https_traffic_only_enabled      = true
  default_to_oauth_authentication = true
  # With private networking only the private endpoints reach the data plane (network.tf); ARM and the Event Grid
  # system topic are unaffected.
  public_network_access_enabled = !var.enable_private_networking
  tags                          = local.tags

  network_rules {
    default_action = var.enable_private_networking ? "Deny" : "Allow"
    bypass         = ["AzureServices"]
  }
}

resource "azurerm_storage_container" "this" {
  for_each              = toset(concat(local.containers, local.host_owned_containers, local.task_hub_containers))
  name                  = each.value
  storage_account_id    = azurerm_storage_account.this.id
  container_access_type = "private"
}

resource "azurerm_storage_queue" "this" {
  for_each           = toset(local.queues)
  name               = each.value
  storage_account_id = azurerm_storage_account.this.id
}

resource "azurerm_storage_table" "this" {
  for_each           = toset(local.tables)
  name               = each.value
  storage_account_id = azurerm_storage_account.this.id
}

resource "azurerm_log_analytics_workspace" "this" {
  name                = "log-carbon-${local.resource_token}"
  resource_group_name = data.azurerm_resource_group.this.name
  location            = local.location
  sku                 = "PerGB2018"
  retention_in_days   = 30
  tags                = local.tags
}

resource "azurerm_application_insights" "this" {
  name                          = "appi-carbon-${local.resource_token}"
  resource_group_name           = data.azurerm_resource_group.this.name
  location                      = local.location
  workspace_id                  = azurerm_log_analytics_workspace.this.id
  application_type              = "web"
  local_authentication_disabled = true
  tags                          = local.tags
}
