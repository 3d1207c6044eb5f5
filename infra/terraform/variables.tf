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

variable "forecast_provider" {
  type    = string
  default = "carbonintensityuk"

  validation {
    condition     = contains(["watttime", "electricitymaps", "carbonintensityuk", "carbonawaresdk"], var.forecast_provider)
    error_message = "forecast_provider must be watttime, electricitymaps, carbonintensityuk or carbonawaresdk."
  }
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

variable "aws_region" {
  type    = string
  default = "us-east-1"
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
  description = "Power usage effectiveness, as a decimal string."
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
