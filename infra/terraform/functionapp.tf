resource "azurerm_service_plan" "this" {
  name                = "plan-carbon-${local.resource_token}"
  resource_group_name = data.azurerm_resource_group.this.name
  location            = local.location
  os_type             = "Linux"
  sku_name            = "FC1"
  tags                = local.tags
}

resource "azurerm_function_app_flex_consumption" "this" {
  name                = "func-carbon-${local.resource_token}"
  resource_group_name = data.azurerm_resource_group.this.name
  location            = local.location
  service_plan_id     = azurerm_service_plan.this.id
  https_only          = true

  # VNet integration with private networking: Flex Consumption then sends all the app's outbound traffic through the
  # delegated subnet (it has no route-all switch), and so reaches storage and Key Vault on their private endpoints.
  virtual_network_subnet_id = var.enable_private_networking ? azurerm_subnet.app[0].id : null

  # No basic (user name and password) publishing: deployments authenticate with Entra ID.
  webdeploy_publish_basic_authentication_enabled = false

  storage_container_type            = "blobContainer"
  storage_container_endpoint        = "${azurerm_storage_account.this.primary_blob_endpoint}${local.deployment_container}"
  storage_authentication_type       = "UserAssignedIdentity"
  storage_user_assigned_identity_id = azurerm_user_assigned_identity.app.id

  runtime_name           = "dotnet-isolated"
  runtime_version        = "10.0"
  instance_memory_in_mb  = 2048
  maximum_instance_count = 40

  identity {
    type         = "UserAssigned"
    identity_ids = [azurerm_user_assigned_identity.app.id]
  }
  key_vault_reference_identity_id = azurerm_user_assigned_identity.app.id

  # The job API checks the caller's identity against the job's owner; App Service Authentication validates the Entra
  # token. The Event Grid webhook keeps its own key check, so its path is excluded.
  dynamic "auth_settings_v2" {
    for_each = var.api_auth_client_id == "" ? [] : [1]
    content {
      auth_enabled           = true
      require_authentication = true
      unauthenticated_action = "Return401"
      excluded_paths         = ["/runtime/webhooks/blobs"]
      active_directory_v2 {
        client_id            = var.api_auth_client_id
        tenant_auth_endpoint = "https://login.microsoftonline.com/${data.azurerm_client_config.current.tenant_id}/v2.0"
        allowed_audiences    = ["api://${var.api_auth_client_id}"]
      }
      login {}
    }
  }

  site_config {
    minimum_tls_version = "1.2"
    http2_enabled       = true
    # The provider writes APPLICATIONINSIGHTS_CONNECTION_STRING from this property (not from app_settings).
    application_insights_connection_string = azurerm_application_insights.this.connection_string
  }

  app_settings = {
    AzureWebJobsStorage__accountName          = azurerm_storage_account.this.name
    AzureWebJobsStorage__credential           = "managedidentity"
    AzureWebJobsStorage__clientId             = azurerm_user_assigned_identity.app.client_id
    APPLICATIONINSIGHTS_AUTHENTICATION_STRING = "ClientId=${azurerm_user_assigned_identity.app.client_id};Authorization=AAD"
    AZURE_CLIENT_ID                           = azurerm_user_assigned_identity.app.client_id

    Carbon__Storage__AccountName = azurerm_storage_account.this.name
    Carbon__Storage__Credential  = "managedidentity"
    Carbon__Storage__ClientId    = azurerm_user_assigned_identity.app.client_id

    Carbon__Jobs__MaxNodesPerJob     = tostring(var.max_nodes_per_job)
    Carbon__Jobs__MaxDeadlineHorizon = "14.00:00:00"

    Carbon__Planner__DefaultPolicy  = var.default_planner_policy
    Carbon__Planner__MaxForecastAge = "06:00:00"

    Carbon__Storage__JobsQueue          = local.jobs_queue
    Carbon__Storage__EventsQueue        = local.events_queue
    Carbon__Storage__TelemetryContainer = local.telemetry_container

    Carbon__Reconciler__Schedule = var.reconciler_schedule

    Carbon__Forecasts__Schedule                  = var.forecast_schedule
    Carbon__Forecasts__RegionMap__Mapping        = var.region_mapping
    Carbon__Forecasts__WattTime__Username        = var.watttime_username
    Carbon__Forecasts__WattTime__Password        = "@Microsoft.KeyVault(VaultName=${azurerm_key_vault.this.name};SecretName=watttime-password)"
    Carbon__Forecasts__ElectricityMaps__ApiToken = "@Microsoft.KeyVault(VaultName=${azurerm_key_vault.this.name};SecretName=electricitymaps-api-key)"
    Carbon__Forecasts__CarbonAwareSdk__BaseUrl   = var.carbon_aware_sdk_base_url

    Carbon__Pools__Simulate              = "false"
    Carbon__Pools__MaxTotalNodes         = tostring(var.max_total_nodes)
    Carbon__Pools__Azure__SubscriptionId = data.azurerm_client_config.current.subscription_id
    Carbon__Pools__Azure__ResourceGroup  = var.pool_resource_group_name
    Carbon__Pools__Azure__Mode           = var.azure_pool_mode
    Carbon__Pools__Aws__Region           = var.aws_region
    Carbon__Pools__Aws__LaunchTemplateId = var.aws_launch_template_id

    # AWS credentials are not options: the AWS SDK's default chain reads these environment variables.
    AWS_ACCESS_KEY_ID     = "@Microsoft.KeyVault(VaultName=${azurerm_key_vault.this.name};SecretName=aws-access-key-id)"
    AWS_SECRET_ACCESS_KEY = "@Microsoft.KeyVault(VaultName=${azurerm_key_vault.this.name};SecretName=aws-secret-access-key)"

    Carbon__Emissions__DefaultPue = var.pue
  }

  tags = merge(local.tags, { "azd-service-name" = "api" })

  # The host starts as soon as the app exists: its roles must be in place first.
  depends_on = [
    azurerm_role_assignment.storage_blob_data_owner,
    azurerm_role_assignment.storage_blob_data_contributor,
    azurerm_role_assignment.storage_queue_data_contributor,
    azurerm_role_assignment.storage_table_data_contributor,
    azurerm_role_assignment.key_vault_secrets_user,
    azurerm_role_assignment.monitoring_metrics_publisher,
    azurerm_storage_container.this,
    azurerm_private_endpoint.this,
  ]
}
