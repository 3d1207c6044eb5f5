using CarbonFunctions.Storage.Jobs;
using Spectre.Console;

namespace CarbonFunctions.Local.Cli;

/// <summary>The human view of one job: header, plan slots, history.</summary>
public static class JobView
{
    public static void Write(JobRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        var job = record.Job;
        var state = record.State;
        AnsiConsole.MarkupLineInterpolated($"[bold]{job.Id}[/] — {job.Name} ({job.Owner})");
        AnsiConsole.MarkupLineInterpolated($"Status [bold]{state.Status}[/]; {job.Pool.Kind} x{job.Pool.MinNodes}-{job.Pool.MaxNodes} {job.Pool.NodeSize} on {job.Pool.Provider}; deadline {Output.Time(job.Deadline)}");
        if (state.Plan is { } plan)
        {
            AnsiConsole.MarkupLineInterpolated($"Plan: {plan.Policy} in {plan.Region}, expected {Output.Kg(plan.ExpectedGramsCo2e)}{Unit(plan.ExpectedGramsCo2e)} CO2e vs {Output.Kg(plan.RunNowGramsCo2e)}{Unit(plan.RunNowGramsCo2e)} running now{(plan.Warning is null ? string.Empty : " — " + plan.Warning)}");
            var slots = new Table().AddColumns("Start", "End", "Nodes", "Region", "Expected kg");
            foreach (var slot in plan.Slots)
            {
                slots.AddRow(Output.Time(slot.Start), Output.Time(slot.End), slot.Nodes.ToString(System.Globalization.CultureInfo.InvariantCulture), slot.Region, Output.Kg(slot.ExpectedGramsCo2e));
            }

            AnsiConsole.Write(slots);
        }

        var history = new Table().AddColumns("At", "From", "To", "Why");
        foreach (var t in state.History)
        {
            history.AddRow(Output.Time(t.At), t.From.ToString(), t.To.ToString(), Markup.Escape(t.Reason));
        }

        AnsiConsole.Write(history);
    }

    private static string Unit(double? grams) => grams is null ? string.Empty : " kg";
}
