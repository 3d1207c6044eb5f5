namespace CarbonFunctions.Core.Emissions;

/// <summary>Keeps emissions reports: one per job, replaced when its telemetry is uploaded again.</summary>
public interface IEmissionsReportStore
{
    Task SaveAsync(EmissionsReport report, CancellationToken cancellationToken);

    Task<EmissionsReport?> GetAsync(string jobId, CancellationToken cancellationToken);
}
