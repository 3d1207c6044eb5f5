using System.CommandLine;
using CarbonFunctions.Local.Cli;
using Spectre.Console;

// Piped output (CI logs, files) has no terminal width: keep tables readable instead of folding them at 80 columns.
if (Console.IsOutputRedirected)
{
    AnsiConsole.Profile.Width = 200;
}

var connection = new Option<string?>("--connection")
{
    Description = $"Storage connection string (default: ${CliSettings.ConnectionVariable}, then Carbon:Storage:ConnectionString, then UseDevelopmentStorage=true)",
    Recursive = true,
};

var root = new RootCommand("carbonctl — carbon-aware scheduling of ML training jobs on Azure and AWS accelerator pools");
root.Options.Add(connection);
root.Subcommands.Add(JobCommands.Create(connection));
root.Subcommands.Add(PlanCommand.Create());
root.Subcommands.Add(DemoCommand.Create());
root.Subcommands.Add(ForecastCommands.Create(connection));
root.Subcommands.Add(EmissionsCommands.Create(connection));
root.Subcommands.Add(LocalCommand.Create(connection));

try
{
    // Errors become one readable line and exit code 1; a stack trace helps nobody at a prompt.
    return await root.Parse(args).InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
}
catch (AggregateException ex) when (ex.InnerException is Azure.RequestFailedException)
{
    Output.Error($"cannot reach storage ({ex.InnerException.Message}); is Azurite running? Start one with 'carbonctl local run --start-azurite', or pass --connection / set {CliSettings.ConnectionVariable}.");
    return Output.Failure;
}
catch (Exception ex) when (ex is InvalidOperationException or Azure.RequestFailedException or IOException or System.Net.Http.HttpRequestException)
{
    Output.Error(ex.Message);
    return Output.Failure;
}
