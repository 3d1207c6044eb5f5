using CarbonFunctions.Core.Emissions;
using CarbonFunctions.Core.Forecasts;
using CarbonFunctions.Core.Telemetry;
using CarbonFunctions.Storage.Jobs;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;

namespace CarbonFunctions.App.Functions;

/// <summary>
/// Telemetry uploads (<c>telemetry/{jobId}/{name}</c>, delivered by Event Grid): energy from the power samples ×
/// the intensity of the job's region over the run → the job's emissions report.
/// </summary>
/// <remarks>
/// Written against the emissions core (TelemetryEmissions, EmissionsCalculator, IEmissionsReportStore) because the
/// shared blob use case in Handlers/Emissions did not exist yet; once it does, this body becomes one call to it.
/// </remarks>
public sealed class TelemetryFunctions(
    JobStore store,
    IForecastStore forecasts,
    IEmissionsReportStore reports,
    EmissionsOptions options,
    TimeProvider clock,
    ILogger<TelemetryFunctions> logger)
{
    [Function("IngestTelemetry")]
    public async Task IngestTelemetryAsync(
        [BlobTrigger("telemetry/{jobId}/{name}", Source = BlobTriggerSource.EventGrid, Connection = "AzureWebJobsStorage")] Stream telemetry,
        string jobId,
        string name,
        CancellationToken cancellationToken)
    {
        var record = await store.GetAsync(jobId, cancellationToken);
        if (record is null)
        {
            // Not retried: a telemetry file for an unknown job will not become known by waiting.
            logger.LogWarning("Telemetry {Name} names job {JobId}, which does not exist; ignored", name, jobId);
            return;
        }

        var energy = TelemetryEmissions.Integrate(telemetry, new TelemetryReadOptions(), options);
        var region = record.State.Region ?? record.Job.Regions[0];
        CarbonIntensitySeries? actuals = null;
        CarbonIntensitySeries? forecast = null;
        if (energy.Profile is { Start: { } start, End: { } end })
        {
            actuals = await forecasts.GetActualsAsync(region, start, end, cancellationToken);
            forecast = await forecasts.GetLatestForecastAsync(region, start, end, cancellationToken);
        }

        var context = new EmissionsContext
        {
            JobId = jobId,
            Source = $"telemetry/{jobId}/{name}",
            Region = region,
            Provider = record.Job.Pool.Provider,
            SubmittedAt = record.Job.SubmittedAt,
            FunctionalUnit = record.Job.FunctionalUnit,
        };
        var report = EmissionsCalculator.Compute(energy.Read, energy.Profile, context, actuals, forecast, options, clock.GetUtcNow());
        await reports.SaveAsync(report, cancellationToken);
        logger.LogInformation("Job {JobId}: emissions report from {Name}: {Status}, {Kg:0.###} kg CO2e", jobId, name, report.Status, report.EmissionsKg);
    }
}
