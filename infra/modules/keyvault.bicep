// Key Vault in RBAC mode for provider API keys and AWS credentials. App settings reference the
// secrets (@Microsoft.KeyVault(...)); the app's identity may only read them. A secret is written
// here only when its value is passed, so redeploying never blanks a value set with the CLI.

param location string
param tags object
param keyVaultName string
param appPrincipalId string
param appIdentityId string

@description('Object id of a person or pipeline allowed to set the secrets (Key Vault Secrets Officer); empty for none.')
param vaultOfficerObjectId string = ''

@allowed([
  'User'
  'Group'
  'ServicePrincipal'
])
param vaultOfficerType string = 'User'

@description('Take the vault off the public network (private endpoint only; network/private-networking option).')
param privateNetworking bool = false

@secure()
param wattTimePassword string = ''

@secure()
param electricityMapsApiKey string = ''

@secure()
param awsAccessKeyId string = ''

@secure()
param awsSecretAccessKey string = ''

var keyVaultSecretsUser = '4633458b-17de-408a-b874-0445c86b69e6'
var keyVaultSecretsOfficer = 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7'

resource vault 'Microsoft.KeyVault/vaults@2025-05-01' = {
  name: keyVaultName
  location: location
  tags: tags
  properties: {
    tenantId: subscription().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 7
    enablePurgeProtection: true
    // The secrets this template writes go through ARM (control plane), outside the vault firewall; the data plane
    // (az keyvault secret set, the app resolving its references) then needs the private endpoint.
    publicNetworkAccess: privateNetworking ? 'Disabled' : 'Enabled'
    networkAcls: {
      defaultAction: privateNetworking ? 'Deny' : 'Allow'
      bypass: 'AzureServices'
    }
  }
}

resource appReadsSecrets 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, appIdentityId, keyVaultSecretsUser)
  scope: vault
  properties: {
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', keyVaultSecretsUser)
  }
}

resource officerSetsSecrets 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(vaultOfficerObjectId)) {
  name: guid(vault.id, vaultOfficerObjectId, keyVaultSecretsOfficer)
  scope: vault
  properties: {
    principalId: vaultOfficerObjectId
    principalType: vaultOfficerType
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', keyVaultSecretsOfficer)
  }
}

resource wattTimePasswordSecret 'Microsoft.KeyVault/vaults/secrets@2025-05-01' = if (!empty(wattTimePassword)) {
  parent: vault
  name: 'watttime-password'
  properties: {
    value: wattTimePassword
  }
}

resource electricityMapsApiKeySecret 'Microsoft.KeyVault/vaults/secrets@2025-05-01' = if (!empty(electricityMapsApiKey)) {
  parent: vault
  name: 'electricitymaps-api-key'
  properties: {
    value: electricityMapsApiKey
  }
}

resource awsAccessKeyIdSecret 'Microsoft.KeyVault/vaults/secrets@2025-05-01' = if (!empty(awsAccessKeyId)) {
  parent: vault
  name: 'aws-access-key-id'
  properties: {
    value: awsAccessKeyId
  }
}

resource awsSecretAccessKeySecret 'Microsoft.KeyVault/vaults/secrets@2025-05-01' = if (!empty(awsSecretAccessKey)) {
  parent: vault
  name: 'aws-secret-access-key'
  properties: {
    value: awsSecretAccessKey
  }
}

output name string = vault.name
output uri string = vault.properties.vaultUri
