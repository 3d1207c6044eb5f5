using System.CommandLine;
using CarbonFunctions.Local.Cli;
using Spectre.Console;

Output.JsonErrors = args.Contains("--json", StringComparer.Ordinal);

// Piped output (CI logs, files) has no terminal width: keep tables readable instead of folding them at 80 columns.
// Under --json nothing is drawn, and Spectre's console (terminal detection) is not even created: start-up counts for
// the commands scripts call in loops (emissions compute --json on a file takes well under a second).
if (Console.IsOutputRedirected && !Output.JsonErrors)
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

// Only the command asked for is built (each tree builds its options and parsers); help, and a name that is not a
// command, get all of them.
var commands = new (string Name, Func<Command> Create)[]
{
    ("jobs", () => JobCommands.Create(connection)),
    ("pools", () => PoolCommands.Create(connection)),
    ("plan", PlanCommand.Create),
    ("demo", DemoCommand.Create),
    ("simulate", SimulateCommand.Create),
    ("report", ReportCommand.Create),
    ("forecast", () => ForecastCommands.Create(connection)),
    ("emissions", () => EmissionsCommands.Create(connection)),
    ("local", () => LocalCommand.Create(connection)),
};
var asked = commands.Where(c => args.Length > 0 && c.Name == args[0]).ToList();
foreach (var (_, create) in asked.Count == 1 ? asked : [.. commands])
{
    root.Subcommands.Add(create());
}

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
