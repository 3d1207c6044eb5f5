using CarbonFunctions.Core.Reporting;

namespace CarbonFunctions.Core.Simulation;

/// <summary>Turns a replay's result into the HTML report's model.</summary>
public static class SimulationReport
{
    /// <summary>The per-job charts show the first policy that is neither the baseline nor the oracle (else the first one).</summary>
    public static ReportModel ToModel(SimulationResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var shown = result.Policies.Select(p => p.Policy).FirstOrDefault(p => p is not ("run-now" or "oracle")) ?? (result.Policies.Count > 0 ? result.Policies[0].Policy : null);
        var jobs = result.Jobs.Where(j => j.Policy == shown).Select(j => new ReportJob(
            j.JobId, j.AppliedPolicy, j.SubmittedAt, j.Deadline,
            [.. j.FirstPlan.Select(w => (w.Start, w.End))], [.. j.Runs.Select(w => (w.Start, w.End))],
            j.Kg, j.RunNowKg, j.RegretKg)).ToList();
        var notes = new List<string>
        {
            $"Replay of {result.JobCount} job(s) on {result.Trace} ({result.Region}, {result.TraceStart:yyyy-MM-dd} to {result.TraceEnd:yyyy-MM-dd}, mean {result.TraceMeanGramsPerKwh:0.#} gCO2e/kWh); forecasts: {result.Forecast}.",
            "Emissions are operational (before PUE), on the actual trace. The counterfactual, 'run at submission', is the same job run at once on its min nodes in the same region.",
        };
        notes.AddRange(result.Policies.Select(p =>
            $"{p.Policy}: {p.TotalKg:0.###} kg, saving {p.SavingPercent:0.#} % vs run-now, {(p.OracleSharePercent is { } s ? s.ToString("0.#", System.Globalization.CultureInfo.InvariantCulture) + " %" : "-")} of the oracle's saving, {p.DeadlineMisses} deadline miss(es), forecast regret {p.RegretKg:0.###} kg."));
        if (shown is not null)
        {
            notes.Add($"Per-job charts: policy {shown}.");
        }

        return new ReportModel
        {
            Title = "CarbonFunctions replay: " + result.Trace,
            Notes = notes,
            Intensity = [.. result.Intensity.Select(p => (p.Start, p.GramsPerKwh))],
            PolicyTotals = [.. result.Policies.Select(p => (p.Policy, p.TotalKg))],
            Jobs = jobs,
        };
    }
}
