using CarbonFunctions.Handlers.Jobs;
using CarbonFunctions.Handlers.Planning;
using Microsoft.Extensions.Logging;

namespace CarbonFunctions.Handlers.Forecasts;

/// <summary>The forecast timer's use case in both hosts: ingest every region, then ask waiting jobs to re-plan if anything new arrived.</summary>
public sealed class ForecastRefresh(ForecastIngestion ingestion, WaitingJobs waiting, ILogger<ForecastRefresh> logger)
{
    public DateTimeOffset NextRunAfter(DateTimeOffset instant) => ingestion.NextRunAfter(instant);

    public async Task<IReadOnlyList<RegionIngestionResult>> RunAsync(IJobLifecycleHost host, CancellationToken cancellationToken = default)
    {
        var results = await ingestion.RunAsync(cancellationToken);
        foreach (var failed in results.Where(r => r.Status == IngestionStatus.Failed))
        {
            logger.LogWarning("Forecasts for {Region} ({Provider}) not ingested: {Reason}", failed.Region, failed.Provider, failed.Reason);
        }

        var stored = results.Count(r => r.Status != IngestionStatus.Failed);
        logger.LogInformation("Forecast ingestion: {Stored} of {Total} region(s) stored", stored, results.Count);
        if (stored > 0)
        {
            await waiting.RequestReplanAsync(host, cancellationToken);
        }

        return results;
    }
}
