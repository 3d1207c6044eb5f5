using System.CommandLine;
using System.Text.Json;
using CarbonFunctions.Core.Reporting;
using CarbonFunctions.Core.Simulation;
using CarbonFunctions.Storage;

namespace CarbonFunctions.Local.Cli;

/// <summary><c>carbonctl report</c>: renders a saved <c>simulate --json</c> result as one self-contained HTML file.</summary>
public static class ReportCommand
{
    public static Command Create()
    {
        var from = new Option<FileInfo>("--from") { Description = "A result written by 'carbonctl simulate --json'", Required = true };
        var output = new Option<FileInfo>("--out") { Description = "The HTML file to write", Required = true };
        var command = new Command("report", "Write a self-contained HTML report (inline SVG charts) from a simulation result") { from, output };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var source = parse.GetValue(from)!;
            if (!source.Exists)
            {
                Output.Error($"{source.FullName} does not exist");
                return Output.InvalidInput;
            }

            SimulationResult? result;
            try
            {
                await using var stream = source.OpenRead();
                result = await JsonSerializer.DeserializeAsync<SimulationResult>(stream, StorageJson.Options, cancellationToken);
            }
            catch (JsonException ex)
            {
                Output.Error($"{source.Name} is not a simulation result: {ex.Message}");
                return Output.InvalidInput;
            }

            if (result is null)
            {
                Output.Error($"{source.Name} is empty");
                return Output.InvalidInput;
            }

            var target = parse.GetValue(output)!;
            await File.WriteAllTextAsync(target.FullName, HtmlReport.Write(SimulationReport.ToModel(result)), cancellationToken);
            Console.Out.WriteLine(target.FullName);
            return Output.Ok;
        });
        return command;
    }
}
