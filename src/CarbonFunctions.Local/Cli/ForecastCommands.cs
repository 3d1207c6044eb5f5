using System.CommandLine;
using System.Globalization;
using CarbonFunctions.Core.Forecasts;
using CarbonFunctions.Handlers.Forecasts;
using CarbonFunctions.Handlers.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Spectre.Console;

namespace CarbonFunctions.Local.Cli;

/// <summary><c>carbonctl forecast ingest|show</c>: the ingestion use case on demand, and the stored forecast.</summary>
public static class ForecastCommands
{
    public static Command Create(Option<string?> connection)
    {
        var forecast = new Command("forecast", "Carbon-intensity forecasts");
        forecast.Subcommands.Add(Ingest(connection));
        forecast.Subcommands.Add(Show(connection));
        return forecast;
    }

    private static Command Ingest(Option<string?> connection)
    {
        var provider = new Option<string?>("--provider") { Description = "Provider for the region (watttime, electricitymaps, gb-carbon-intensity, carbon-aware-sdk, replay); the region map's otherwise" };
        var zone = new Option<string?>("--zone") { Description = "The provider's zone (with --provider), e.g. CAISO_NORTH, DE, national, or a replay file" };
        var region = new Option<string>("--region") { Description = "Cloud region, e.g. westus, us-east-1", Required = true };
        var json = new Option<bool>("--json") { Description = "Print the result as JSON" };
        var command = new Command("ingest", "Fetch a region's forecast and recent actuals now and store them") { provider, zone, region, json };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var regionName = parse.GetValue(region)!;
            var overrides = new Dictionary<string, string?>();
            if (parse.GetValue(provider) is { } p)
            {
                if (parse.GetValue(zone) is not { } z)
                {
                    Output.Error("--provider needs --zone");
                    return Output.InvalidInput;
                }

                overrides[$"Carbon:Forecasts:RegionMap:Overrides:{regionName}:Provider"] = p;
                overrides[$"Carbon:Forecasts:RegionMap:Overrides:{regionName}:Zone"] = z;
            }

            await using var services = Services(parse, connection, overrides);
            var result = await services.GetRequiredService<ForecastIngestion>().IngestAsync(regionName, cancellationToken);
            if (parse.GetValue(json))
            {
                Output.Json(result);
            }
            else
            {
                var colour = result.Status == IngestionStatus.Ok ? "green" : result.Status == IngestionStatus.Stale ? "yellow" : "red";
                AnsiConsole.MarkupLineInterpolated($"{regionName} via {result.Provider} ({result.Zone}): [{colour}]{result.Status}[/] — {result.ForecastPoints} forecast point(s), {result.ActualPoints} actual(s), vintage {Output.Time(result.LatestVintage)}");
                if (result.Reason is not null)
                {
                    AnsiConsole.MarkupLineInterpolated($"  {result.Reason}");
                }

                foreach (var note in result.Notes)
                {
                    AnsiConsole.MarkupLineInterpolated($"  note: {note}");
                }
            }

            return result.Status == IngestionStatus.Failed ? Output.Failure : Output.Ok;
        });
        return command;
    }

    private static Command Show(Option<string?> connection)
    {
        var region = new Option<string>("--region") { Description = "Cloud region", Required = true };
        var from = new Option<string?>("--from") { Description = "Start (ISO 8601; default now)" };
        var hours = new Option<int>("--hours") { Description = "How many hours to show", DefaultValueFactory = _ => 48 };
        var json = new Option<bool>("--json") { Description = "Print JSON" };
        var command = new Command("show", "Show the newest stored forecast for a region") { region, from, hours, json };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var start = DateTimeOffset.UtcNow;
            if (parse.GetValue(hours) is < 1 or > 24 * 14)
            {
                Output.Error($"--hours must be between 1 and {24 * 14}, was {parse.GetValue(hours)}");
                return Output.InvalidInput;
            }

            if (parse.GetValue(from) is { } text && !DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out start))
            {
                Output.Error($"--from '{text}' is not an ISO 8601 timestamp");
                return Output.InvalidInput;
            }

            await using var services = Services(parse, connection, []);
            var regionName = parse.GetValue(region)!;
            var series = await services.GetRequiredService<IForecastStore>().GetLatestForecastAsync(regionName, start, start.AddHours(parse.GetValue(hours)), cancellationToken);
            if (series is null)
            {
                Output.Error($"no stored forecast for {regionName} overlapping {Output.Time(start)} + {parse.GetValue(hours)} h; run 'carbonctl forecast ingest --region {regionName}'");
                return Output.NotFound;
            }

            if (parse.GetValue(json))
            {
                Output.Json(series);
                return Output.Ok;
            }

            AnsiConsole.MarkupLineInterpolated($"{series.Region}: {series.Signal} {series.Scope} intensity from {series.Source}, published {Output.Time(series.GeneratedAt)}");
            if (!Console.IsOutputRedirected && series.Points.Count > 0)
            {
                // A terminal gets the curve at a glance; piped output stays plain text (the table below).
                var grams = series.Points.Select(p => p.GramsPerKwh).ToList();
                var label = string.Create(CultureInfo.InvariantCulture, $"{grams.Min():0} ");
                var tail = string.Create(CultureInfo.InvariantCulture, $" {grams.Max():0} g/kWh");
                var width = Math.Max(8, AnsiConsole.Profile.Width - label.Length - tail.Length);
                AnsiConsole.WriteLine(label + Core.Reporting.Sparkline.Render(grams, width) + tail);
                AnsiConsole.MarkupLineInterpolated($"[dim]{Output.Time(series.Points[0].Start)} → {Output.Time(series.Points[^1].End)}[/]");
            }

            var table = new Table().AddColumns("Start", "Minutes", "gCO2e/kWh");
            foreach (var point in series.Points)
            {
                table.AddRow(Output.Time(point.Start), point.Duration.TotalMinutes.ToString("0", CultureInfo.InvariantCulture), point.GramsPerKwh.ToString("0.#", CultureInfo.InvariantCulture));
            }

            AnsiConsole.Write(table);
            return Output.Ok;
        });
        return command;
    }

    private static ServiceProvider Services(ParseResult parse, Option<string?> connection, Dictionary<string, string?> overrides)
    {
        var settings = CliSettings.Load();
        var configuration = new ConfigurationBuilder()
            .AddConfiguration(settings)
            .AddInMemoryCollection(new Dictionary<string, string?>(overrides) { ["Carbon:Storage:ConnectionString"] = CliSettings.ResolveConnection(parse.GetValue(connection), settings) })
            .Build();
        return new ServiceCollection().AddCarbonPipeline(configuration).BuildServiceProvider();
    }
}
