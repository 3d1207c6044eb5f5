// The one storage account: Functions host state (Durable task hub, blob receipts, timer locks),
// the app's queues/tables/blobs, and the Flex Consumption deployment package container.
// Shared keys are off, so every caller authenticates with Entra ID.

param location string
param tags object
param storageAccountName string
param deploymentContainerName string

@description('Queues the app reads and writes; created up front so that the first message does not race queue creation.')
param queueNames array = [
  'training-jobs'
  'training-jobs-poison'
  'job-events'
  'job-events-poison'
]

param containerNames array = [
  'telemetry'
  'reports'
  'poison'
]

@description('Containers the Functions host and Durable Functions would create at run time, created here so that the app\'s roles can be scoped to them (storage-access.bicep).')
param hostContainerNames array = []

@description('Take the account off the public network (private endpoints only; network/private-networking option).')
param privateNetworking bool = false

param tableNames array = [
  'jobs'
  'forecasts'
  'emissions'
  'simulatedpools'
  'nodeledger'
]

resource storage 'Microsoft.Storage/storageAccounts@2025-06-01' = {
  name: storageAccountName
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: 'Standard_LRS'
  }
  properties: {
    allowSharedKeyAccess: false
    allowBlobPublicAccess: false
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    defaultToOAuthAuthentication: true
    // With private networking, only the private endpoints reach the data plane; ARM (containers, queues, tables,
    // role assignments) and the Event Grid system topic are unaffected.
    publicNetworkAccess: privateNetworking ? 'Disabled' : 'Enabled'
    networkAcls: {
      defaultAction: privateNetworking ? 'Deny' : 'Allow'
      bypass: 'AzureServices'
    }
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2025-06-01' = {
  parent: storage
  name: 'default'
}

resource containers 'Microsoft.Storage/storageAccounts/blobServices/containers@2025-06-01' = [
  for name in union(containerNames, [deploymentContainerName], hostContainerNames): {
    parent: blobService
    name: name
    properties: {
      publicAccess: 'None'
    }
  }
]

resource queueService 'Microsoft.Storage/storageAccounts/queueServices@2025-06-01' = {
  parent: storage
  name: 'default'
}

resource queues 'Microsoft.Storage/storageAccounts/queueServices/queues@2025-06-01' = [
  for name in queueNames: {
    parent: queueService
    name: name
  }
]

resource tableService 'Microsoft.Storage/storageAccounts/tableServices@2025-06-01' = {
  parent: storage
  name: 'default'
}

resource tables 'Microsoft.Storage/storageAccounts/tableServices/tables@2025-06-01' = [
  for name in tableNames: {
    parent: tableService
    name: name
  }
]

output id string = storage.id
output name string = storage.name
output blobEndpoint string = storage.properties.primaryEndpoints.blob
