using System.CommandLine;
using CarbonFunctions.Local.Cli;
using Spectre.Console;

// Piped output (CI logs, files) has no terminal width: keep tables readable instead of folding them at 80 columns.
if (Console.IsOutputRedirected)
{
    AnsiConsole.Profile.Width = 200;
}

Output.JsonErrors = args.Contains("--json", StringComparer.Ordinal);

var connection = new Option<string?>("--connection")
{
    Description = $"Storage connection string (default: ${CliSettings.ConnectionVariable}, then Carbon:Storage:ConnectionString, then UseDevelopmentStorage=true)",
    Recursive = true,
};

var root = new RootCommand("carbonctl — carbon-aware scheduling of ML training jobs on Azure and AWS accelerator pools");
root.Options.Add(connection);
root.Subcommands.Add(JobCommands.Create(connection));
root.Subcommands.Add(PoolCommands.Create(connection));
root.Subcommands.Add(PlanCommand.Create());
root.Subcommands.Add(DemoCommand.Create());
root.Subcommands.Add(SimulateCommand.Create());
root.Subcommands.Add(ReportCommand.Create());
root.Subcommands.Add(ForecastCommands.Create(connection));
root.Subcommands.Add(EmissionsCommands.Create(connection));
root.Subcommands.Add(LocalCommand.Create(connection));

var parsed = root.Parse(args);
if (parsed.Errors.Count > 0)
{
    // A usage error is invalid input (exit 2), as the README promises, with the usage hint on stderr.
    Output.Error(string.Join("; ", parsed.Errors.Select(e => e.Message)) + " (see carbonctl --help)");
    return Output.InvalidInput;
}

try
{
    return await parsed.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
}
catch (Exception ex)
{
    var (message, code) = CliErrors.Describe(ex);
    Output.Error(message);
    return code;
}
