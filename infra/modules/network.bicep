// Private networking (deployed only with enablePrivateNetworking): a VNet with one subnet delegated to the Flex
// Consumption app's VNet integration and one for private endpoints; private endpoints for the storage account
// (blob, queue, table: the host, Durable Functions and the app use all three; Flex Consumption uses no Azure Files)
// and for Key Vault, each registered in its privatelink DNS zone. The zones are linked to this VNet and to any pool
// VNets named, so that node agents peered in resolve the same private addresses (docs/DEPLOY.md).

param location string
param tags object
param virtualNetworkName string
param addressPrefix string
param appSubnetPrefix string
param privateEndpointSubnetPrefix string
param storageAccountName string
param keyVaultName string

@description('Resource ids of VNets (the GPU pools\') that must resolve the private endpoints; they need a peering with this VNet too.')
param linkedVirtualNetworkIds array = []

var appSubnetName = 'snet-app'
var privateEndpointSubnetName = 'snet-private-endpoints'

// Storage sub-resources by DNS zone; the zone names follow the cloud's storage suffix (core.windows.net in public Azure).
var storageGroups = [
  'blob'
  'queue'
  'table'
]

resource storage 'Microsoft.Storage/storageAccounts@2025-06-01' existing = {
  name: storageAccountName
}

resource vault 'Microsoft.KeyVault/vaults@2025-05-01' existing = {
  name: keyVaultName
}

resource vnet 'Microsoft.Network/virtualNetworks@2024-05-01' = {
  name: virtualNetworkName
  location: location
  tags: tags
  properties: {
    addressSpace: {
      addressPrefixes: [
        addressPrefix
      ]
    }
    subnets: [
      {
        name: appSubnetName
        properties: {
          addressPrefix: appSubnetPrefix
          // Flex Consumption runs on the Container Apps platform: its integration subnet is delegated to it.
          delegations: [
            {
              name: 'flex-consumption'
              properties: {
                serviceName: 'Microsoft.App/environments'
              }
            }
          ]
        }
      }
      {
        name: privateEndpointSubnetName
        properties: {
          addressPrefix: privateEndpointSubnetPrefix
          privateEndpointNetworkPolicies: 'Disabled'
        }
      }
    ]
  }
}

resource appSubnet 'Microsoft.Network/virtualNetworks/subnets@2024-05-01' existing = {
  parent: vnet
  name: appSubnetName
}

resource privateEndpointSubnet 'Microsoft.Network/virtualNetworks/subnets@2024-05-01' existing = {
  parent: vnet
  name: privateEndpointSubnetName
}

resource storageZones 'Microsoft.Network/privateDnsZones@2024-06-01' = [
  for group in storageGroups: {
    name: 'privatelink.${group}.${environment().suffixes.storage}'
    location: 'global'
    tags: tags
  }
]

// Key Vault's private link zone in public Azure (the vault's own suffix is vault.azure.net).
resource vaultZone 'Microsoft.Network/privateDnsZones@2024-06-01' = {
  name: 'privatelink.vaultcore.azure.net'
  location: 'global'
  tags: tags
}

resource storageZoneLinks 'Microsoft.Network/privateDnsZones/virtualNetworkLinks@2024-06-01' = [
  for (group, i) in storageGroups: {
    parent: storageZones[i]
    name: 'link-${virtualNetworkName}'
    location: 'global'
    tags: tags
    properties: {
      registrationEnabled: false
      virtualNetwork: {
        id: vnet.id
      }
    }
  }
]

resource vaultZoneLink 'Microsoft.Network/privateDnsZones/virtualNetworkLinks@2024-06-01' = {
  parent: vaultZone
  name: 'link-${virtualNetworkName}'
  location: 'global'
  tags: tags
  properties: {
    registrationEnabled: false
    virtualNetwork: {
      id: vnet.id
    }
  }
}

// Links for the pool VNets: one per zone and VNet, named after the VNet's id so that each is stable.
resource poolStorageZoneLinks 'Microsoft.Network/privateDnsZones/virtualNetworkLinks@2024-06-01' = [
  for pair in flatten(map(range(0, length(storageGroups)), zone => map(linkedVirtualNetworkIds, id => { zone: zone, id: id }))): {
    parent: storageZones[pair.zone]
    name: 'link-pool-${uniqueString(pair.id)}'
    location: 'global'
    tags: tags
    properties: {
      registrationEnabled: false
      virtualNetwork: {
        id: pair.id
      }
    }
  }
]

resource poolVaultZoneLinks 'Microsoft.Network/privateDnsZones/virtualNetworkLinks@2024-06-01' = [
  for id in linkedVirtualNetworkIds: {
    parent: vaultZone
    name: 'link-pool-${uniqueString(id)}'
    location: 'global'
    tags: tags
    properties: {
      registrationEnabled: false
      virtualNetwork: {
        id: id
      }
    }
  }
]

resource storageEndpoints 'Microsoft.Network/privateEndpoints@2024-05-01' = [
  for group in storageGroups: {
    name: 'pe-${storageAccountName}-${group}'
    location: location
    tags: tags
    properties: {
      subnet: {
        id: privateEndpointSubnet.id
      }
      privateLinkServiceConnections: [
        {
          name: '${storageAccountName}-${group}'
          properties: {
            privateLinkServiceId: storage.id
            groupIds: [
              group
            ]
          }
        }
      ]
    }
  }
]

resource storageEndpointDns 'Microsoft.Network/privateEndpoints/privateDnsZoneGroups@2024-05-01' = [
  for (group, i) in storageGroups: {
    parent: storageEndpoints[i]
    name: 'default'
    properties: {
      privateDnsZoneConfigs: [
        {
          name: group
          properties: {
            privateDnsZoneId: storageZones[i].id
          }
        }
      ]
    }
  }
]

resource vaultEndpoint 'Microsoft.Network/privateEndpoints@2024-05-01' = {
  name: 'pe-${keyVaultName}'
  location: location
  tags: tags
  properties: {
    subnet: {
      id: privateEndpointSubnet.id
    }
    privateLinkServiceConnections: [
      {
        name: keyVaultName
        properties: {
          privateLinkServiceId: vault.id
          groupIds: [
            'vault'
          ]
        }
      }
    ]
  }
}

resource vaultEndpointDns 'Microsoft.Network/privateEndpoints/privateDnsZoneGroups@2024-05-01' = {
  parent: vaultEndpoint
  name: 'default'
  properties: {
    privateDnsZoneConfigs: [
      {
        name: 'vault'
        properties: {
          privateDnsZoneId: vaultZone.id
        }
      }
    ]
  }
}

output virtualNetworkId string = vnet.id
output appSubnetId string = appSubnet.id
