// Data-plane roles for the app's identity on the storage account: blobs (Durable leases, receipts,
// telemetry, reports, deployment package), queues (jobs, Durable control queues), tables
// (jobs, forecasts, Durable history). Nothing more: no key listing, no management rights.

param storageAccountName string
param principalId string

@description('Resource id of the identity: known before deployment, so it names the assignments.')
param identityId string

var roleIds = {
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
}

resource storage 'Microsoft.Storage/storageAccounts@2025-06-01' existing = {
  name: storageAccountName
}

resource assignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for roleId in items(roleIds): {
    name: guid(storage.id, identityId, roleId.value)
    scope: storage
    properties: {
      principalId: principalId
      principalType: 'ServicePrincipal'
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleId.value)
    }
  }
]
