using System.Globalization;
using Azure;
using Azure.Data.Tables;
using CarbonFunctions.Core.Forecasts;

namespace CarbonFunctions.Storage.Forecasts;

/// <summary>
/// Forecasts and actuals in one Azure Table. Forecasts: one entity per vintage per UTC day,
/// PartitionKey <c>f|region|yyyyMMdd</c>, RowKey <c>inverted ticks of GeneratedAt|source</c> (newest
/// first), points packed in a binary property. Actuals: one entity per region per day,
/// PartitionKey <c>a|region|yyyyMMdd</c>, RowKey <c>actual</c>, merged on every save (newer values win)
/// so forecast error can be measured against them. Saving a vintage twice is idempotent.
/// </summary>
public sealed class TableForecastStore : IForecastStore
{
    private const string ActualRowKey = "actual";
    private const int MaxNotesLength = 16_000;
    private static readonly TimeSpan Day = TimeSpan.FromDays(1);
    private static readonly string[] CandidateColumns = ["RowKey", "GeneratedAt"];

    private readonly TableClient _table;
    private readonly ForecastStoreOptions _options;
    private readonly Lazy<Task> _created;

    public TableForecastStore(TableServiceClient service, ForecastStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(service);
        ArgumentNullException.ThrowIfNull(options);
        var problems = options.Validate();
        if (problems.Count > 0)
        {
            throw new ArgumentException(string.Join(" ", problems), nameof(options));
        }

        _options = options;
        _table = service.GetTableClient(options.TableName);
        _created = new Lazy<Task>(() => _table.CreateIfNotExistsAsync());
    }

    public async Task SaveAsync(CarbonIntensitySeries series, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(series);
        if (series.Points.Count == 0)
        {
            return;
        }

        await _created.Value;
        var byDay = series.Points.GroupBy(p => DayOf(p.Start)).ToList();
        if (series.Kind == SeriesKind.Forecast)
        {
            var rowKey = VintageRowKey(series.GeneratedAt, series.Source);
            var notes = Truncate(string.Join("\n", series.CleaningNotes));
            await Task.WhenAll(byDay.Select(day =>
            {
                var points = day.ToList();
                var entity = new TableEntity(Partition("f", series.Region, day.Key), rowKey)
                {
                    ["GeneratedAt"] = series.GeneratedAt.ToUniversalTime(),
                    ["Source"] = series.Source,
                    ["Signal"] = series.Signal.ToString(),
                    ["Scope"] = series.Scope.ToString(),
                    ["FirstStart"] = points[0].Start.ToUniversalTime(),
                    ["LastEnd"] = points.Max(p => p.End).ToUniversalTime(),
                    ["Points"] = PackedPoints.Pack(day.Key, points),
                    ["Notes"] = notes,
                };
                return _table.UpsertEntityAsync(entity, TableUpdateMode.Replace, cancellationToken);
            }));
        }
        else
        {
            await Task.WhenAll(byDay.Select(day => MergeActualsAsync(series, day.Key, [.. day], cancellationToken)));
        }
    }

    public async Task<CarbonIntensitySeries?> GetLatestForecastAsync(string region, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken)
    {
        var days = Days(from, to);
        await _created.Value;

        // The newest vintage per day partition that overlaps [from, to); the newest of those wins.
        var candidates = await Task.WhenAll(days.Select(async day =>
        {
            var filter = TableClient.CreateQueryFilter($"PartitionKey eq {Partition("f", region, day)} and LastEnd gt {from.UtcDateTime} and FirstStart lt {to.UtcDateTime}");
            await foreach (var e in _table.QueryAsync<TableEntity>(filter, maxPerPage: 1, select: CandidateColumns, cancellationToken: cancellationToken))
            {
                return e.RowKey;
            }

            return null;
        }));
        var newest = candidates.Where(c => c is not null).Order(StringComparer.Ordinal).FirstOrDefault();
        if (newest is null)
        {
            return null;
        }

        var entities = (await Task.WhenAll(days.Select(day => GetAsync(Partition("f", region, day), newest, cancellationToken))))
            .Where(e => e is not null).Select(e => e!).ToList();
        var first = entities[0];
        var points = entities
            .SelectMany(e => PackedPoints.Unpack(DayFromPartition(e.PartitionKey), e.GetBinary("Points")))
            .Where(p => p.End > from && p.Start < to)
            .OrderBy(p => p.Start)
            .ToList();
        return new CarbonIntensitySeries
        {
            Region = region,
            Kind = SeriesKind.Forecast,
            Signal = Enum.Parse<SignalKind>(first.GetString("Signal")),
            Scope = Enum.Parse<EmissionsScope>(first.GetString("Scope")),
            Source = first.GetString("Source"),
            GeneratedAt = first.GetDateTimeOffset("GeneratedAt")!.Value,
            Points = points,
            CleaningNotes = string.IsNullOrEmpty(first.GetString("Notes")) ? [] : first.GetString("Notes").Split('\n'),
        };
    }

    public async Task<CarbonIntensitySeries?> GetActualsAsync(string region, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken)
    {
        var days = Days(from, to);
        await _created.Value;
        var entities = (await Task.WhenAll(days.Select(day => GetAsync(Partition("a", region, day), ActualRowKey, cancellationToken))))
            .Where(e => e is not null).Select(e => e!).ToList();
        var points = entities
            .SelectMany(e => PackedPoints.Unpack(DayFromPartition(e.PartitionKey), e.GetBinary("Points")))
            .Where(p => p.End > from && p.Start < to)
            .OrderBy(p => p.Start)
            .ToList();
        var latest = entities.OrderByDescending(e => e.GetDateTimeOffset("UpdatedAt")).FirstOrDefault();
        return new CarbonIntensitySeries
        {
            Region = region,
            Kind = SeriesKind.Actual,
            Signal = latest is null ? SignalKind.Average : Enum.Parse<SignalKind>(latest.GetString("Signal")),
            Scope = latest is null ? EmissionsScope.Direct : Enum.Parse<EmissionsScope>(latest.GetString("Scope")),
            Source = latest?.GetString("Source") ?? "none",
            GeneratedAt = latest?.GetDateTimeOffset("UpdatedAt") ?? DateTimeOffset.MinValue,
            Points = points,
        };
    }

    /// <summary>RowKey that sorts newest first: 19-digit inverted ticks, then the source.</summary>
    public static string VintageRowKey(DateTimeOffset generatedAt, string source) =>
        (DateTimeOffset.MaxValue.UtcTicks - generatedAt.UtcTicks).ToString("D19", CultureInfo.InvariantCulture) + "|" + source;

    private async Task MergeActualsAsync(CarbonIntensitySeries series, DateTimeOffset day, List<CarbonIntensityPoint> points, CancellationToken cancellationToken)
    {
        var pk = Partition("a", series.Region, day);

        // Optimistic concurrency: two ingestions of overlapping actuals must not lose each other's points.
        for (var attempt = 0; ; attempt++)
        {
            var existing = await GetAsync(pk, ActualRowKey, cancellationToken);
            var merged = new SortedDictionary<DateTimeOffset, CarbonIntensityPoint>();
            if (existing is not null)
            {
                foreach (var p in PackedPoints.Unpack(day, existing.GetBinary("Points")))
                {
                    merged[p.Start] = p;
                }
            }

            foreach (var p in points)
            {
                merged[p.Start] = p;
            }

            // A corrected point may start earlier than an old one and now overlap it; keep the newer.
            var ordered = merged.Values.ToList();
            var clean = new List<CarbonIntensityPoint>(ordered.Count);
            foreach (var p in ordered)
            {
                if (clean.Count > 0 && clean[^1].End > p.Start)
                {
                    var newerIsCurrent = points.Contains(p);
                    if (!newerIsCurrent)
                    {
                        continue;
                    }

                    clean.RemoveAt(clean.Count - 1);
                }

                clean.Add(p);
            }

            var entity = new TableEntity(pk, ActualRowKey)
            {
                ["Source"] = series.Source,
                ["Signal"] = series.Signal.ToString(),
                ["Scope"] = series.Scope.ToString(),
                ["UpdatedAt"] = series.GeneratedAt.ToUniversalTime(),
                ["Points"] = PackedPoints.Pack(day, clean),
            };
            try
            {
                if (existing is null)
                {
                    await _table.AddEntityAsync(entity, cancellationToken);
                }
                else
                {
                    await _table.UpdateEntityAsync(entity, existing.ETag, TableUpdateMode.Replace, cancellationToken);
                }

                return;
            }
            catch (RequestFailedException ex) when (ex.Status is 409 or 412 && attempt < 5)
            {
                // Someone else wrote this day first: read again and merge over theirs.
            }
        }
    }

    private async Task<TableEntity?> GetAsync(string partitionKey, string rowKey, CancellationToken cancellationToken)
    {
        var response = await _table.GetEntityIfExistsAsync<TableEntity>(partitionKey, rowKey, cancellationToken: cancellationToken);
        return response.HasValue ? response.Value : null;
    }

    private List<DateTimeOffset> Days(DateTimeOffset from, DateTimeOffset to)
    {
        if (to <= from)
        {
            throw new ArgumentException($"empty range [{from:O}, {to:O})", nameof(to));
        }

        if (to - from > _options.MaxQueryRange)
        {
            throw new ArgumentException($"range [{from:O}, {to:O}) is longer than {ForecastStoreOptions.SectionName}:MaxQueryRange ({_options.MaxQueryRange})", nameof(to));
        }

        // The day before `from` too: a point that starts there may reach into the range.
        var days = new List<DateTimeOffset>();
        for (var day = DayOf(from) - Day; day < to; day += Day)
        {
            days.Add(day);
        }

        return days;
    }

    private static DateTimeOffset DayOf(DateTimeOffset t) => new(t.UtcDateTime.Date, TimeSpan.Zero);

    private static string Partition(string kind, string region, DateTimeOffset day) =>
        $"{kind}|{region.ToLowerInvariant()}|{day.UtcDateTime:yyyyMMdd}";

    private static DateTimeOffset DayFromPartition(string partitionKey) =>
        DateTimeOffset.ParseExact(partitionKey[^8..], "yyyyMMdd", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);

    private static string Truncate(string s) => s.Length <= MaxNotesLength ? s : s[..MaxNotesLength];
}
