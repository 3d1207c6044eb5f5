variable "environment_name" {
  description = "Environment name; part of every resource name (the same role as azd's AZURE_ENV_NAME)."
  type        = string
}

variable "resource_group_name" {
  description = "Existing resource group to deploy into."
  type        = string
}

variable "location" {
  description = "Azure region; defaults to the resource group's."
  type        = string
  default     = null
}

variable "pool_resource_group_name" {
  description = "Resource group holding the GPU VMs/scale sets; the app is Virtual Machine Contributor there only."
  type        = string
}

variable "region_mapping" {
  description = "Named region mapping of the shipped regions.json: default (Electricity Maps and GB Carbon Intensity) or watttime."
  type        = string
  default     = "default"

  validation {
    condition     = contains(["default", "watttime"], var.region_mapping)
    error_message = "region_mapping must be default or watttime (replay is for local runs)."
  }
}

variable "reconciler_schedule" {
  description = "NCRONTAB (six fields) of the reconciler that stops orphaned pools."
  type        = string
  default     = "0 */10 * * * *"
}

variable "forecast_schedule" {
  description = "NCRONTAB (six fields) of the forecast ingestion timer."
  type        = string
  default     = "0 */30 * * * *"
}

variable "watttime_username" {
  type    = string
  default = ""
}

variable "carbon_aware_sdk_base_url" {
  type    = string
  default = ""
}

variable "azure_pool_mode" {
  description = "ScaleSet: one VM scale set per pool; TaggedVms: pre-created VMs carrying the pool tag."
  type        = string
  default     = "ScaleSet"

  validation {
    condition     = contains(["ScaleSet", "TaggedVms"], var.azure_pool_mode)
    error_message = "azure_pool_mode must be ScaleSet or TaggedVms."
  }
}

variable "aws_region" {
  type    = string
  default = "us-east-1"
}

variable "aws_launch_template_id" {
  description = "EC2 launch template the AWS pools launch from; empty to start and stop pre-created tagged instances."
  type        = string
  default     = ""
}

variable "max_nodes_per_job" {
  type    = number
  default = 16
}

variable "max_total_nodes" {
  type    = number
  default = 32
}

variable "default_planner_policy" {
  type    = string
  default = "best-window"
}

variable "pue" {
  description = "Default power usage effectiveness, as a decimal string."
  type        = string
  default     = "1.2"
}

# Secrets: optional. When given (TF_VAR_... or a git-ignored *.tfvars), Terraform writes them to Key Vault;
# otherwise set them with `az keyvault secret set` (docs/DEPLOY.md). They are never app-setting literals.
variable "watttime_password" {
  type      = string
  default   = null
  sensitive = true
}

variable "electricitymaps_api_key" {
  type      = string
  default   = null
  sensitive = true
}

variable "aws_access_key_id" {
  type      = string
  default   = null
  sensitive = true
}

variable "aws_secret_access_key" {
  type      = string
  default   = null
  sensitive = true
}

variable "subscribe_telemetry_events" {
  description = "Create the Event Grid subscription for telemetry uploads; true only once the app code is deployed."
  type        = bool
  default     = false
}

variable "telemetry_function_name" {
  description = "Name of the Event Grid blob-triggered function in the app."
  type        = string
  default     = "IngestTelemetry"
}

variable "api_auth_client_id" {
  description = "Client id of the Entra app registration for the job API (App Service Authentication); empty: the API refuses every call."
  type        = string
  default     = ""
}

variable "enable_private_networking" {
  description = "Take storage and Key Vault off the public network: a VNet for the app's outbound traffic, private endpoints and private DNS (docs/DEPLOY.md)."
  type        = bool
  default     = false
}

variable "vnet_address_prefix" {
  description = "Address space of the VNet (private networking only)."
  type        = string
  default     = "10.40.0.0/16"
}

variable "app_subnet_prefix" {
  description = "Subnet delegated to the Flex Consumption VNet integration: at least a /27; a /24 leaves room to scale out."
  type        = string
  default     = "10.40.0.0/24"
}

variable "private_endpoint_subnet_prefix" {
  type    = string
  default = "10.40.1.0/24"
}

variable "pool_virtual_network_ids" {
  description = "VNets of the GPU pools whose node agents reach storage privately: the private DNS zones are linked to them (peer them with this VNet yourself)."
  type        = list(string)
  default     = []
}
