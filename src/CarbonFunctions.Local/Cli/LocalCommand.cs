using System.CommandLine;
using CarbonFunctions.Local.Hosting;
using CarbonFunctions.Storage.Azurite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Spectre.Console;

namespace CarbonFunctions.Local.Cli;

/// <summary><c>carbonctl local run</c>: the embedded host on the real clock, until Ctrl+C.</summary>
public static class LocalCommand
{
    public static Command Create(Option<string?> connection)
    {
        var startAzurite = new Option<bool>("--start-azurite") { Description = "Start Azurite (in memory) from the project's node_modules and print its connection string" };
        var run = new Command("run", "Run the local host: job intake, lifecycle, forecast timer, reconciler, telemetry reports (Ctrl+C stops)") { startAzurite };
        run.SetAction(async (parse, cancellationToken) =>
        {
            var settings = CliSettings.Load();
            AzuriteProcess? azurite = null;
            try
            {
                if (parse.GetValue(startAzurite))
                {
                    azurite = await AzuriteProcess.StartAsync(cancellationToken: cancellationToken);
                    AnsiConsole.MarkupLineInterpolated($"Azurite is running. In another terminal: [bold]export {CliSettings.ConnectionVariable}=\"{azurite.ConnectionString}\"[/]");
                }

                var connectionString = azurite?.ConnectionString ?? CliSettings.ResolveConnection(parse.GetValue(connection), settings);

                // Every simulated node runs a real node agent and the job's workload command (the sample trainer in
                // samples/jobs); carbonctl.json or Carbon__* variables override any of it.
                var agents = LocalAgents.Find(Path.Combine(Path.GetTempPath(), "carbonfunctions-local"));
                if (agents is null)
                {
                    Output.Error(LocalAgents.NotFound);
                    return Output.Failure;
                }

                var configuration = new ConfigurationBuilder()
                    .AddInMemoryCollection(LocalSettings.Defaults(connectionString))
                    .AddInMemoryCollection(agents.Settings(connectionString, AgentTiming.RealTime))
                    .AddConfiguration(settings)
                    .AddInMemoryCollection(new Dictionary<string, string?> { ["Carbon:Storage:ConnectionString"] = connectionString })
                    .Build();
                using var loggers = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true).AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace).SetMinimumLevel(LogLevel.Information));
                await using var local = await LocalComposition.CreateAsync(configuration, TimeProvider.System, loggers, cancellationToken);
                AnsiConsole.MarkupLine("Local host running; submit jobs with 'carbonctl jobs enqueue FILE'. Ctrl+C stops.");
                try
                {
                    await local.Host.RunAsync(() => Task.FromResult(false), cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    // Ctrl+C: a clean stop.
                }

                return Output.Ok;
            }
            finally
            {
                if (azurite is not null)
                {
                    await azurite.DisposeAsync();
                }
            }
        });
        var local = new Command("local", "The embedded local host");
        local.Subcommands.Add(run);
        return local;
    }
}
