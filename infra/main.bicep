// CarbonFunctions: Functions app on Flex Consumption with identity-based connections, its storage,
// monitoring, Key Vault for provider secrets, and the Event Grid wiring of the telemetry blob trigger.
// Deployed into an existing resource group: `azd up`, or `az deployment group create` (docs/DEPLOY.md).

targetScope = 'resourceGroup'

@minLength(1)
@maxLength(64)
@description('Environment name (azd sets it); part of every resource name.')
param environmentName string

param location string = resourceGroup().location

@description('Resource group (same subscription) holding the GPU VMs/scale sets; the app is Virtual Machine Contributor there only.')
param poolResourceGroupName string

@description('Named region mapping of the shipped regions.json: default (Electricity Maps and GB Carbon Intensity) or watttime. Replay is for local runs.')
@allowed([
  'default'
  'watttime'
])
param regionMapping string = 'default'

@description('NCRONTAB (six fields) of the forecast ingestion timer.')
param forecastSchedule string = '0 */30 * * * *'

@description('NCRONTAB (six fields) of the reconciler that stops orphaned pools.')
param reconcilerSchedule string = '0 */10 * * * *'

param wattTimeUsername string = ''

@description('Base URL of a Carbon Aware SDK WebAPI; empty when not used.')
param carbonAwareSdkBaseUrl string = ''

@description('ScaleSet: one VM scale set per pool; TaggedVms: pre-created VMs carrying the pool tag.')
@allowed([
  'ScaleSet'
  'TaggedVms'
])
param azurePoolMode string = 'ScaleSet'

param awsRegion string = 'us-east-1'

@description('EC2 launch template the AWS pools launch from; empty to start and stop pre-created tagged instances.')
param awsLaunchTemplateId string = ''

@minValue(1)
param maxNodesPerJob int = 16

@minValue(1)
param maxTotalNodes int = 32

param defaultPlannerPolicy string = 'best-window'

@description('Default power usage effectiveness of the data centres, as a decimal string.')
param pue string = '1.2'

@secure()
@description('Optional: written to Key Vault when given; otherwise set it later with az keyvault secret set.')
param wattTimePassword string = ''

@secure()
param electricityMapsApiKey string = ''

@secure()
param awsAccessKeyId string = ''

@secure()
param awsSecretAccessKey string = ''

@description('Object id allowed to set Key Vault secrets (azd passes the signed-in user); empty for none.')
param vaultOfficerObjectId string = ''

@allowed([
  'User'
  'Group'
  'ServicePrincipal'
])
param vaultOfficerType string = 'User'

@description('Create the Event Grid subscription for telemetry uploads; true only once the app code is deployed.')
param subscribeTelemetryEvents bool = false

@description('Name of the Event Grid blob-triggered function in the app.')
param telemetryFunctionName string = 'IngestTelemetry'

@description('Client id of the Entra app registration for the job API (App Service Authentication); empty: the API refuses every call.')
param apiAuthClientId string = ''

@description('Take storage and Key Vault off the public network: a VNet for the app\'s outbound traffic, private endpoints and private DNS (docs/DEPLOY.md, "Private networking").')
param enablePrivateNetworking bool = false

@description('Address space of the VNet (private networking only).')
param vnetAddressPrefix string = '10.40.0.0/16'

@description('Subnet delegated to the Flex Consumption VNet integration: at least a /27; a /24 leaves room to scale out.')
param appSubnetPrefix string = '10.40.0.0/24'

param privateEndpointSubnetPrefix string = '10.40.1.0/24'

@description('VNets of the GPU pools whose node agents reach storage privately: the private DNS zones are linked to them (peer them with this VNet yourself).')
param poolVirtualNetworkIds array = []

var resourceToken = toLower(uniqueString(subscription().id, resourceGroup().id, environmentName))
var tags = {
  'azd-env-name': environmentName
  application: 'carbonfunctions'
}
var functionAppName = 'func-carbon-${resourceToken}'
var storageAccountName = 'stcarbon${take(resourceToken, 16)}'
var applicationInsightsName = 'appi-carbon-${resourceToken}'
var deploymentContainerName = 'app-package'
var keyVaultName = 'kv-carbon-${take(resourceToken, 13)}'
var virtualNetworkName = 'vnet-carbon-${resourceToken}'

// Containers the Functions host and Durable Functions (task hub CarbonHub in host.json, lower-cased) use; created up
// front so that the app's blob roles can be scoped to each container instead of the account.
var hostOwnedContainerNames = [
  'azure-webjobs-hosts'
  'azure-webjobs-secrets'
]
var taskHubContainerNames = [
  'carbonhub-leases'
  'carbonhub-applease'
  'carbonhub-appleaseinfo'
  'carbonhub-largemessages'
]
var appContainerNames = [
  telemetryContainerName
  'reports'
  'poison'
]

// Queue and container names: created by the storage module, bound by the triggers through the same app settings that
// carbonctl reads; the dead-letter queues carry the Functions runtime's '-poison' suffix.
var jobsQueueName = 'training-jobs'
var eventsQueueName = 'job-events'
var telemetryContainerName = 'telemetry'

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2024-11-30' = {
  name: 'id-carbon-${resourceToken}'
  location: location
  tags: tags
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    location: location
    tags: tags
    logAnalyticsName: 'log-carbon-${resourceToken}'
    applicationInsightsName: applicationInsightsName
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  params: {
    location: location
    tags: tags
    storageAccountName: storageAccountName
    deploymentContainerName: deploymentContainerName
    queueNames: [
      jobsQueueName
      '${jobsQueueName}-poison'
      eventsQueueName
      '${eventsQueueName}-poison'
    ]
    containerNames: appContainerNames
    hostContainerNames: union(hostOwnedContainerNames, taskHubContainerNames)
    privateNetworking: enablePrivateNetworking
  }
}

module agentIdentity 'modules/agent-identity.bicep' = {
  name: 'agent-identity'
  params: {
    location: location
    tags: tags
    identityName: 'id-carbon-agent-${resourceToken}'
    storageAccountName: storageAccountName
    eventsQueueName: eventsQueueName
    telemetryContainerName: telemetryContainerName
  }
  dependsOn: [
    storage
  ]
}

module storageAccess 'modules/storage-access.bicep' = {
  name: 'storage-access'
  params: {
    storageAccountName: storageAccountName
    principalId: identity.properties.principalId
    identityId: identity.id
    ownerContainerNames: hostOwnedContainerNames
    contributorContainerNames: union([deploymentContainerName], appContainerNames, taskHubContainerNames)
  }
  dependsOn: [
    storage
  ]
}

module monitoringAccess 'modules/monitoring-access.bicep' = {
  name: 'monitoring-access'
  params: {
    applicationInsightsName: applicationInsightsName
    principalId: identity.properties.principalId
    identityId: identity.id
  }
  dependsOn: [
    monitoring
  ]
}

module poolAccess 'modules/pool-access.bicep' = {
  name: 'pool-access'
  scope: resourceGroup(poolResourceGroupName)
  params: {
    principalId: identity.properties.principalId
    identityId: identity.id
  }
}

module keyVault 'modules/keyvault.bicep' = {
  name: 'keyvault'
  params: {
    location: location
    tags: tags
    keyVaultName: keyVaultName
    privateNetworking: enablePrivateNetworking
    appPrincipalId: identity.properties.principalId
    appIdentityId: identity.id
    vaultOfficerObjectId: vaultOfficerObjectId
    vaultOfficerType: vaultOfficerType
    wattTimePassword: wattTimePassword
    electricityMapsApiKey: electricityMapsApiKey
    awsAccessKeyId: awsAccessKeyId
    awsSecretAccessKey: awsSecretAccessKey
  }
}

module network 'modules/network.bicep' = if (enablePrivateNetworking) {
  name: 'network'
  params: {
    location: location
    tags: tags
    virtualNetworkName: virtualNetworkName
    addressPrefix: vnetAddressPrefix
    appSubnetPrefix: appSubnetPrefix
    privateEndpointSubnetPrefix: privateEndpointSubnetPrefix
    storageAccountName: storageAccountName
    keyVaultName: keyVaultName
    linkedVirtualNetworkIds: poolVirtualNetworkIds
  }
  dependsOn: [
    storage
    keyVault
  ]
}

module functionApp 'modules/functionapp.bicep' = {
  name: 'functionapp'
  params: {
    location: location
    tags: tags
    planName: 'plan-carbon-${resourceToken}'
    functionAppName: functionAppName
    identityId: identity.id
    identityClientId: identity.properties.clientId
    storageAccountName: storage.outputs.name
    storageBlobEndpoint: storage.outputs.blobEndpoint
    deploymentContainerName: deploymentContainerName
    applicationInsightsConnectionString: monitoring.outputs.connectionString
    keyVaultUri: keyVault.outputs.uri
    apiAuthClientId: apiAuthClientId
    // Known before the network module runs; the dependency below orders them.
    virtualNetworkSubnetId: enablePrivateNetworking ? resourceId('Microsoft.Network/virtualNetworks/subnets', virtualNetworkName, 'snet-app') : ''
    carbonSettings: {
      Carbon__Jobs__MaxNodesPerJob: string(maxNodesPerJob)
      Carbon__Jobs__MaxDeadlineHorizon: '14.00:00:00'
      Carbon__Planner__DefaultPolicy: defaultPlannerPolicy
      Carbon__Planner__MaxForecastAge: '06:00:00'
      Carbon__Storage__JobsQueue: jobsQueueName
      Carbon__Storage__EventsQueue: eventsQueueName
      Carbon__Storage__TelemetryContainer: telemetryContainerName
      Carbon__Forecasts__Schedule: forecastSchedule
      Carbon__Reconciler__Schedule: reconcilerSchedule
      Carbon__Forecasts__RegionMap__Mapping: regionMapping
      Carbon__Forecasts__WattTime__Username: wattTimeUsername
      Carbon__Forecasts__CarbonAwareSdk__BaseUrl: carbonAwareSdkBaseUrl
      Carbon__Pools__Simulate: 'false'
      Carbon__Pools__MaxTotalNodes: string(maxTotalNodes)
      Carbon__Pools__Azure__SubscriptionId: subscription().subscriptionId
      Carbon__Pools__Azure__ResourceGroup: poolResourceGroupName
      Carbon__Pools__Azure__Mode: azurePoolMode
      Carbon__Pools__Aws__Region: awsRegion
      Carbon__Pools__Aws__LaunchTemplateId: awsLaunchTemplateId
      Carbon__Emissions__DefaultPue: pue
    }
  }
  // The host starts as soon as the site exists: its storage and Key Vault roles must be in place first.
  dependsOn: [
    storageAccess
    monitoringAccess
    network
  ]
}

module eventGrid 'modules/eventgrid.bicep' = {
  name: 'eventgrid'
  params: {
    location: location
    tags: tags
    systemTopicName: 'evgt-carbon-${resourceToken}'
    storageAccountName: storageAccountName
    functionAppName: functionAppName
    subscribeTelemetryEvents: subscribeTelemetryEvents
    telemetryFunctionName: telemetryFunctionName
    telemetryContainerName: telemetryContainerName
  }
  dependsOn: [
    storage
    functionApp
  ]
}

output AZURE_LOCATION string = location
output AZURE_FUNCTION_APP_NAME string = functionApp.outputs.name
output AZURE_FUNCTION_APP_HOSTNAME string = functionApp.outputs.defaultHostName
output AZURE_STORAGE_ACCOUNT_NAME string = storage.outputs.name
output AZURE_KEY_VAULT_NAME string = keyVault.outputs.name
output AZURE_MANAGED_IDENTITY_CLIENT_ID string = identity.properties.clientId
output AZURE_VIRTUAL_NETWORK_NAME string = enablePrivateNetworking ? virtualNetworkName : ''
output AZURE_EVENTGRID_SYSTEM_TOPIC_NAME string = eventGrid.outputs.systemTopicName

@description('Assign to every pool scale set / tagged VM, with infra/agent/cloud-init.yaml as its custom data (docs/DEPLOY.md).')
output AGENT_IDENTITY_ID string = agentIdentity.outputs.id
output AGENT_IDENTITY_CLIENT_ID string = agentIdentity.outputs.clientId
