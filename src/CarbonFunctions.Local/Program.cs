using System.CommandLine;
using CarbonFunctions.Local.Cli;

var connection = new Option<string?>("--connection")
{
    Description = $"Storage connection string (default: ${CliSettings.ConnectionVariable}, then Carbon:Storage:ConnectionString, then UseDevelopmentStorage=true)",
    Recursive = true,
};

var root = new RootCommand("carbonctl — carbon-aware scheduling of ML training jobs on Azure and AWS accelerator pools");
root.Options.Add(connection);
root.Subcommands.Add(JobCommands.Create(connection));
root.Subcommands.Add(PlanCommand.Create());

return await root.Parse(args).InvokeAsync();
