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
  features {
    storage {
      # Containers, queues and tables are created through ARM (storage_account_id): the provider needs no data-plane
      # access, which private networking takes off the public network.
      data_plane_available = false
    }
  }

  # Shared keys are disabled on the storage account: any data-plane call the provider makes uses Entra ID.
  storage_use_azuread = true
}
