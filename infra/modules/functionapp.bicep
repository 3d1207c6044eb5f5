// Flex Consumption (FC1) plan and the Functions app. Every connection is identity-based: the
// user-assigned identity reads the deployment package, talks to storage, sends telemetry with
// Entra auth and resolves Key Vault references. Secret settings are Key Vault references only.

param location string
param tags object
param planName string
param functionAppName string
param identityId string
param identityClientId string
param storageAccountName string
param storageBlobEndpoint string
param deploymentContainerName string
param applicationInsightsConnectionString string
param keyVaultUri string

@allowed([
  2048
  4096
])
param instanceMemoryMB int = 2048

@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 40

@description('Non-secret Carbon__* settings (name to value).')
param carbonSettings object

@description('Client id of the Entra app registration callers of the job API get tokens for; empty leaves App Service Authentication off, and the API then refuses every call (a function key alone grants nothing).')
param apiAuthClientId string = ''

@description('Subnet (delegated to Microsoft.App/environments) for VNet integration; empty: no VNet. Flex Consumption then sends all the app\'s outbound traffic through it (it has no route-all switch).')
param virtualNetworkSubnetId string = ''

resource plan 'Microsoft.Web/serverfarms@2025-03-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    tier: 'FlexConsumption'
    name: 'FC1'
  }
  properties: {
    reserved: true
  }
}

resource site 'Microsoft.Web/sites@2025-03-01' = {
  name: functionAppName
  location: location
  tags: union(tags, { 'azd-service-name': 'api' })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    keyVaultReferenceIdentity: identityId
    virtualNetworkSubnetId: empty(virtualNetworkSubnetId) ? null : virtualNetworkSubnetId
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
      http20Enabled: true
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storageBlobEndpoint}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        instanceMemoryMB: instanceMemoryMB
        maximumInstanceCount: maximumInstanceCount
      }
      runtime: {
        name: 'dotnet-isolated'
        version: '10.0'
      }
    }
  }
}

// Unversioned references follow secret rotation (the platform re-reads within a day, or on restart).
// The AWS keys carry the names the AWS SDK's default credential chain reads from the environment.
var secretSettings = {
  Carbon__Forecasts__WattTime__Password: '@Microsoft.KeyVault(SecretUri=${keyVaultUri}secrets/watttime-password)'
  Carbon__Forecasts__ElectricityMaps__ApiToken: '@Microsoft.KeyVault(SecretUri=${keyVaultUri}secrets/electricitymaps-api-key)'
  AWS_ACCESS_KEY_ID: '@Microsoft.KeyVault(SecretUri=${keyVaultUri}secrets/aws-access-key-id)'
  AWS_SECRET_ACCESS_KEY: '@Microsoft.KeyVault(SecretUri=${keyVaultUri}secrets/aws-secret-access-key)'
}

var platformSettings = {
  AzureWebJobsStorage__accountName: storageAccountName
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identityClientId
  APPLICATIONINSIGHTS_CONNECTION_STRING: applicationInsightsConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
  AZURE_CLIENT_ID: identityClientId
  Carbon__Storage__AccountName: storageAccountName
  Carbon__Storage__Credential: 'managedidentity'
  Carbon__Storage__ClientId: identityClientId
}

// The job API checks the caller's identity against the job's owner; App Service Authentication validates the Entra
// token and hands the claims to the worker. The Event Grid webhook keeps its own key check, so its path is excluded.
resource auth 'Microsoft.Web/sites/config@2025-03-01' = if (!empty(apiAuthClientId)) {
  parent: site
  name: 'authsettingsV2'
  properties: {
    platform: {
      enabled: true
    }
    globalValidation: {
      requireAuthentication: true
      unauthenticatedClientAction: 'Return401'
      excludedPaths: [
        '/runtime/webhooks/blobs'
      ]
    }
    identityProviders: {
      azureActiveDirectory: {
        enabled: true
        registration: {
          clientId: apiAuthClientId
          openIdIssuer: '${environment().authentication.loginEndpoint}${tenant().tenantId}/v2.0'
        }
        validation: {
          allowedAudiences: [
            'api://${apiAuthClientId}'
          ]
        }
      }
    }
  }
}

// No basic (user name and password) publishing: deployments authenticate with Entra ID.
resource ftpCredentials 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2025-03-01' = {
  parent: site
  name: 'ftp'
  properties: {
    allow: false
  }
}

resource scmCredentials 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2025-03-01' = {
  parent: site
  name: 'scm'
  properties: {
    allow: false
  }
}

resource appSettings 'Microsoft.Web/sites/config@2025-03-01' = {
  parent: site
  name: 'appsettings'
  properties: union(platformSettings, carbonSettings, secretSettings)
}

output name string = site.name
output defaultHostName string = site.properties.defaultHostName
