using CarbonFunctions.App.Orchestration;
using CarbonFunctions.Handlers.Forecasts;
using CarbonFunctions.Handlers.Lifecycle;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;

namespace CarbonFunctions.App.Functions;

/// <summary>The two timers, on the schedules both hosts read: forecast refresh (then re-plans), and the reconciler.</summary>
public sealed class TimerFunctions(ForecastRefresh forecasts, Reconciler reconciler, DurableJobHosts hosts, ILogger<TimerFunctions> logger)
{
    [Function("IngestForecasts")]
    public async Task IngestForecastsAsync(
        [TimerTrigger(Bindings.ForecastsSchedule)] TimerInfo timer,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(timer);
        if (timer.IsPastDue)
        {
            logger.LogInformation("Forecast ingestion is running late");
        }

        await forecasts.RunAsync(hosts.For(client), cancellationToken);
    }

    [Function("ReconcilePools")]
    public async Task ReconcileAsync([TimerTrigger(Bindings.ReconcilerSchedule)] TimerInfo timer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(timer);
        await reconciler.RunAsync(cancellationToken);
    }
}
