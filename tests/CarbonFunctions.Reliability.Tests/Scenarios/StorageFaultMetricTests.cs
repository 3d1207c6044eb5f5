using System.Diagnostics.Metrics;
using Azure;
using CarbonFunctions.Handlers.Hosting;

namespace CarbonFunctions.Reliability.Tests.Scenarios;

/// <summary>The storage fault counter itself: what counts as a storage fault, and the tags it carries.</summary>
[Collection(ReliabilityCollection.Name)]
public sealed class StorageFaultMetricTests
{
    [Fact]
    public void Counts_storage_errors_with_operation_and_status_and_ignores_other_exceptions()
    {
        var seen = new List<(long Value, string? Operation, int? Status)>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == CarbonTelemetry.SourceName && instrument.Name == CarbonTelemetry.StorageFaultsName)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            string? operation = null;
            int? status = null;
            foreach (var tag in tags)
            {
                if (tag.Key == CarbonTelemetry.OperationTag)
                {
                    operation = (string?)tag.Value;
                }
                else if (tag.Key == CarbonTelemetry.StatusTag)
                {
                    status = (int?)tag.Value;
                }
            }

            // Other tests in this process may count too: keep only this test's operations.
            if (operation?.StartsWith("metric-test:", StringComparison.Ordinal) == true)
            {
                lock (seen)
                {
                    seen.Add((value, operation, status));
                }
            }
        });
        listener.Start();

        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        CarbonTelemetry.RecordStorageFault("metric-test:503", new RequestFailedException(503, "Server busy"));
        CarbonTelemetry.RecordStorageFault("metric-test:timeout", new TaskCanceledException("the request timed out"));
        CarbonTelemetry.RecordStorageFault("metric-test:wrapped", new InvalidOperationException("wrapped", new HttpRequestException("connection refused")));
        CarbonTelemetry.RecordStorageFault("metric-test:bug", new InvalidOperationException("a bug, not storage"));
        CarbonTelemetry.RecordStorageFault("metric-test:ours", new OperationCanceledException(cancelled.Token), cancelled.Token);

        (long, string?, int?)[] expected = [(1L, "metric-test:503", 503), (1L, "metric-test:timeout", 0), (1L, "metric-test:wrapped", 0)];
        Assert.Equal(expected, seen.ToArray());
    }
}
