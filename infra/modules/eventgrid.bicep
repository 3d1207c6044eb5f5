// Event Grid system topic on the storage account, and the subscription that pushes BlobCreated
// events under telemetry/ to the app's blobs extension webhook (the Event Grid blob trigger).
//
// Ordering: the webhook URL carries the blobs_extension system key, which the Functions host
// creates only once code with an Event Grid blob trigger runs, and Event Grid validates the
// endpoint when the subscription is created. So the subscription is created only when
// subscribeTelemetryEvents is true, on a second run after the code is deployed (docs/DEPLOY.md).

param location string
param tags object
param systemTopicName string
param storageAccountName string
param functionAppName string

@description('Create the subscription (needs the app code deployed and running).')
param subscribeTelemetryEvents bool

@description('Name of the blob-triggered function ([Function("...")] in the app).')
param telemetryFunctionName string

param telemetryContainerName string = 'telemetry'

resource storage 'Microsoft.Storage/storageAccounts@2025-06-01' existing = {
  name: storageAccountName
}

resource site 'Microsoft.Web/sites@2025-03-01' existing = {
  name: functionAppName
}

resource systemTopic 'Microsoft.EventGrid/systemTopics@2025-02-15' = {
  name: systemTopicName
  location: location
  tags: tags
  properties: {
    source: storage.id
    topicType: 'Microsoft.Storage.StorageAccounts'
  }
}

resource telemetryCreated 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2025-02-15' = if (subscribeTelemetryEvents) {
  parent: systemTopic
  name: 'telemetry-blob-created'
  properties: {
    destination: {
      endpointType: 'WebHook'
      properties: {
        endpointUrl: 'https://${site.properties.defaultHostName}/runtime/webhooks/blobs?functionName=Host.Functions.${telemetryFunctionName}&code=${listKeys('${site.id}/host/default', '2025-03-01').systemKeys.blobs_extension}'
        maxEventsPerBatch: 1
        preferredBatchSizeInKilobytes: 64
      }
    }
    filter: {
      includedEventTypes: [
        'Microsoft.Storage.BlobCreated'
      ]
      subjectBeginsWith: '/blobServices/default/containers/${telemetryContainerName}/'
    }
    eventDeliverySchema: 'EventGridSchema'
    retryPolicy: {
      maxDeliveryAttempts: 30
      eventTimeToLiveInMinutes: 1440
    }
  }
}

output systemTopicName string = systemTopic.name
