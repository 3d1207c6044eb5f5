// Data-plane roles for the app's identity on the storage account, each the least role at the narrowest scope that
// still lets the Functions host, Durable Functions and the app work (docs/DEPLOY.md, "Roles of the app's identity"):
// - Storage Blob Data Owner only on the host's own containers (azure-webjobs-hosts: locks, timer status, blob trigger
//   receipts; azure-webjobs-secrets: host keys), the role the Functions docs name for host storage;
// - Storage Blob Data Contributor on each other container it uses: the Flex deployment package, telemetry, reports,
//   poison bodies, and the Durable task hub's lease and large-message containers;
// - Queue and Table Data Contributor on the account: the host and Durable Functions create queues and tables at run
//   time under names known only then (control queues, history and instances tables, monthly diagnostic tables).
// No key listing, no management rights.

param storageAccountName string
param principalId string

@description('Resource id of the identity: known before deployment, so it names the assignments.')
param identityId string

@description('Containers where the app needs Storage Blob Data Owner (the Functions host\'s own).')
param ownerContainerNames array

@description('Containers where Storage Blob Data Contributor is enough.')
param contributorContainerNames array

var roleIds = {
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  storageBlobDataContributor: 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
}

resource storage 'Microsoft.Storage/storageAccounts@2025-06-01' existing = {
  name: storageAccountName
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2025-06-01' existing = {
  parent: storage
  name: 'default'
}

resource ownerContainers 'Microsoft.Storage/storageAccounts/blobServices/containers@2025-06-01' existing = [
  for name in ownerContainerNames: {
    parent: blobService
    name: name
  }
]

resource contributorContainers 'Microsoft.Storage/storageAccounts/blobServices/containers@2025-06-01' existing = [
  for name in contributorContainerNames: {
    parent: blobService
    name: name
  }
]

resource blobOwner 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for (name, i) in ownerContainerNames: {
    name: guid(ownerContainers[i].id, identityId, roleIds.storageBlobDataOwner)
    scope: ownerContainers[i]
    properties: {
      principalId: principalId
      principalType: 'ServicePrincipal'
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.storageBlobDataOwner)
    }
  }
]

resource blobContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for (name, i) in contributorContainerNames: {
    name: guid(contributorContainers[i].id, identityId, roleIds.storageBlobDataContributor)
    scope: contributorContainers[i]
    properties: {
      principalId: principalId
      principalType: 'ServicePrincipal'
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.storageBlobDataContributor)
    }
  }
]

resource queueContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, identityId, roleIds.storageQueueDataContributor)
  scope: storage
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.storageQueueDataContributor)
  }
}

resource tableContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, identityId, roleIds.storageTableDataContributor)
  scope: storage
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.storageTableDataContributor)
  }
}
