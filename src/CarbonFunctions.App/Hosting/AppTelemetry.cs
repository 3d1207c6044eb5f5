using Azure.Core;
using Azure.Identity;
using Azure.Monitor.OpenTelemetry.Exporter;
using CarbonFunctions.Core.Configuration;
using CarbonFunctions.Handlers.Hosting;
using Microsoft.Azure.Functions.Worker.OpenTelemetry;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace CarbonFunctions.App.Hosting;

/// <summary>
/// Worker logs, traces and the pipeline's metrics through OpenTelemetry to Application Insights. The resource has local (key) auth disabled, so
/// the exporter authenticates with the app's managed identity: the client id comes from
/// <c>APPLICATIONINSIGHTS_AUTHENTICATION_STRING</c> (<c>ClientId=...;Authorization=AAD</c>), the same setting the host reads.
/// </summary>
public static class AppTelemetry
{
    /// <summary>Sources traced: the pipeline's use cases, the Durable Task SDK (orchestrations, activities), the Azure SDK's HTTP calls.</summary>
    public static IReadOnlyList<string> Sources { get; } = [CarbonTelemetry.SourceName, "Microsoft.DurableTask", "Azure.*"];

    public static IServiceCollection AddCarbonTelemetry(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var telemetry = services.AddOpenTelemetry()
            .UseFunctionsWorkerDefaults()
            .WithTracing(tracing => tracing.AddSource([.. Sources]))

            // The pipeline's counters (carbon.storage.faults, ...) go to Application Insights with the traces.
            .WithMetrics(metrics => metrics.AddMeter(CarbonTelemetry.SourceName));

        var connectionString = configuration[AppSettingNames.ApplicationInsightsConnectionString];
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            // Locally (func start, tests) there is no Application Insights: traces and logs stay in the process.
            return services;
        }

        var credential = CredentialFor(configuration[AppSettingNames.ApplicationInsightsAuthenticationString]);
        telemetry.UseAzureMonitorExporter(options =>
        {
            options.ConnectionString = connectionString;
            options.Credential = credential;
        });
        return services;
    }

    /// <summary>
    /// The Entra credential the authentication string asks for: a user-assigned managed identity when it names a client
    /// id, the system-assigned one when it only says AAD; null when it is absent (the exporter then sends with the key,
    /// which a resource with local auth disabled refuses).
    /// </summary>
    public static TokenCredential? CredentialFor(string? authenticationString)
    {
        if (string.IsNullOrWhiteSpace(authenticationString))
        {
            return null;
        }

        var parts = authenticationString.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(p => p.Split('=', 2))
            .Where(p => p.Length == 2)
            .ToDictionary(p => p[0], p => p[1], StringComparer.OrdinalIgnoreCase);
        if (!parts.TryGetValue("Authorization", out var authorization) || !authorization.Equals("AAD", StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException($"{AppSettingNames.ApplicationInsightsAuthenticationString} must say Authorization=AAD (it says '{authenticationString}').");
        }

        return parts.TryGetValue("ClientId", out var clientId) && !string.IsNullOrWhiteSpace(clientId)
            ? new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(clientId))
            : new ManagedIdentityCredential(ManagedIdentityId.SystemAssigned);
    }
}
