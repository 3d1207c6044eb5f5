resource "azurerm_eventgrid_system_topic" "storage" {
  name                = "evgt-carbon-${local.resource_token}"
  resource_group_name = data.azurerm_resource_group.this.name
  location            = local.location
  source_resource_id  = azurerm_storage_account.this.id
  topic_type          = "Microsoft.Storage.StorageAccounts"
  tags                = local.tags
}

# The blobs_extension system key exists only once the deployed code's Event Grid blob trigger has
# run in the host, and Event Grid validates the webhook when the subscription is created: apply with
# subscribe_telemetry_events = true only after the code is deployed (docs/DEPLOY.md).
data "azurerm_function_app_host_keys" "this" {
  count               = var.subscribe_telemetry_events ? 1 : 0
  name                = azurerm_function_app_flex_consumption.this.name
  resource_group_name = data.azurerm_resource_group.this.name
}

resource "azurerm_eventgrid_system_topic_event_subscription" "telemetry_created" {
  count               = var.subscribe_telemetry_events ? 1 : 0
  name                = "telemetry-blob-created"
  system_topic        = azurerm_eventgrid_system_topic.storage.name
  resource_group_name = data.azurerm_resource_group.this.name

  webhook_endpoint {
    url                               = "https://${azurerm_function_app_flex_consumption.this.default_hostname}/runtime/webhooks/blobs?functionName=Host.Functions.${var.telemetry_function_name}&code=${data.azurerm_function_app_host_keys.this[0].blobs_extension_key}"
    max_events_per_batch              = 1
    preferred_batch_size_in_kilobytes = 64
  }

  included_event_types = ["Microsoft.Storage.BlobCreated"]

  subject_filter {
    subject_begins_with = "/blobServices/default/containers/${local.telemetry_container}/"
  }

  event_delivery_schema = "EventGridSchema"

  retry_policy {
    max_delivery_attempts = 30
    event_time_to_live    = 1440
  }
}
