terraform {
  required_version = ">= 1.9.0"

  required_providers {
    azurerm = {
      source = "hashicorp/azurerm"
      # azurerm_function_app_flex_consumption and storage_account_id on containers/queues/tables
      # need a 4.x provider; dotnet-isolated 10.0 must be in the provider's runtime_version list.
      version = ">= 4.30.0, < 5.0.0"
    }
  }
}

provider "azurerm" {
  features {}

  # Shared keys are disabled on the storage account: any data-plane call the provider makes uses Entra ID.
  storage_use_azuread = true
}
