using System.Globalization;
using System.Net;
using System.Text;

namespace CarbonFunctions.Core.Reporting;

/// <summary>One job row of a report: where it was planned, where it ran, its deadline, and its emissions.</summary>
public sealed record ReportJob(
    string Id,
    string Policy,
    DateTimeOffset Submitted,
    DateTimeOffset Deadline,
    IReadOnlyList<(DateTimeOffset Start, DateTimeOffset End)> Planned,
    IReadOnlyList<(DateTimeOffset Start, DateTimeOffset End)> Ran,
    double? Kg,
    double? CounterfactualKg,
    double? RegretKg);

/// <summary>Everything a report draws; the writer does no I/O and no arithmetic beyond scaling.</summary>
public sealed record ReportModel
{
    public required string Title { get; init; }
    public IReadOnlyList<string> Notes { get; init; } = [];

    /// <summary>The intensity curve (start, gCO2e/kWh), for the timeline chart.</summary>
    public IReadOnlyList<(DateTimeOffset Start, double Grams)> Intensity { get; init; } = [];

    /// <summary>Per-policy totals (kg) for the bar chart.</summary>
    public IReadOnlyList<(string Policy, double Kg)> PolicyTotals { get; init; } = [];

    public IReadOnlyList<ReportJob> Jobs { get; init; } = [];

    /// <summary>The counterfactual's name, the same everywhere in the report.</summary>
    public string CounterfactualName { get; init; } = "run at submission";
}

/// <summary>
/// Writes a report as one self-contained HTML file: inline SVG and CSS, no script, nothing fetched. Three charts: the
/// intensity curve with each job's planned and actual windows and its deadline; emissions per policy; per job, the
/// emissions next to the counterfactual and the forecast regret. Each chart carries an id (<c>intensity-chart</c>,
/// <c>policy-chart</c>, <c>job-chart</c>) and its marks a class, so that tests and screenshots can find them.
/// </summary>
public static class HtmlReport
{
    private const int Width = 1100;
    private const int Left = 60;
    private const int Right = 20;

    /// <summary>Jobs drawn on the timeline (the rest are counted in a note); a year of 2,000 jobs would be unreadable.</summary>
    public const int MaxTimelineJobs = 30;

    public static string Write(ReportModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>").Append(E(model.Title)).Append("</title>\n<style>")
            .Append("body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;background:#fff}h1{font-size:20px}h2{font-size:16px;margin-top:28px}")
            .Append("svg{display:block;background:#fafafa;border:1px solid #ddd}.axis{stroke:#888;stroke-width:1}.grid{stroke:#e4e4e4}")
            .Append(".curve{fill:none;stroke:#2a7ab9;stroke-width:1.5}.planned{fill:#f2b134;opacity:.55}.ran{fill:#2e8b57}.deadline{stroke:#c0392b;stroke-width:2}")
            .Append(".bar{fill:#2a7ab9}.bar-cf{fill:#aaa}.bar-regret{fill:#c0392b}text{font-size:11px;fill:#333}table{border-collapse:collapse}td,th{padding:2px 8px;border-bottom:1px solid #eee;text-align:right}td:first-child,th:first-child{text-align:left}")
            .Append("</style></head><body>\n<h1>").Append(E(model.Title)).Append("</h1>\n");
        foreach (var note in model.Notes)
        {
            html.Append("<p>").Append(E(note)).Append("</p>\n");
        }

        IntensityChart(html, model);
        PolicyChart(html, model);
        JobChart(html, model);
        html.Append("</body></html>\n");
        return html.ToString();
    }

    private static void IntensityChart(StringBuilder html, ReportModel model)
    {
        html.Append("<h2>Carbon intensity, with each job's planned (amber) and actual (green) run windows and its deadline (red)</h2>\n");
        if (model.Intensity.Count < 2)
        {
            html.Append("<p>No intensity curve in this report.</p>\n");
            return;
        }

        var jobs = model.Jobs.Take(MaxTimelineJobs).ToList();
        const int CurveHeight = 220;
        const int Lane = 12;
        var height = 30 + CurveHeight + 20 + (jobs.Count * Lane) + 30;
        var t0 = model.Intensity[0].Start;
        var t1 = model.Intensity[^1].Start + (model.Intensity[^1].Start - model.Intensity[^2].Start);
        var max = Math.Max(1, model.Intensity.Max(p => p.Grams)) * 1.05;
        double X(DateTimeOffset t) => Left + ((Width - Left - Right) * Math.Clamp((t - t0).TotalSeconds / (t1 - t0).TotalSeconds, 0, 1));
        double Y(double g) => 30 + (CurveHeight * (1 - (g / max)));
        html.Append(Svg("intensity-chart", height));
        for (var k = 0; k <= 4; k++)
        {
            var g = max * k / 4;
            html.Append(Line(Left, Y(g), Width - Right, Y(g), "grid")).Append(Text(Left - 6, Y(g) + 4, N(g, "0"), "end"));
        }

        html.Append(Text(8, 20, "gCO2e/kWh", "start"));
        var ticks = 6;
        for (var k = 0; k <= ticks; k++)
        {
            var t = t0 + ((t1 - t0) * k / ticks);
            html.Append(Text(X(t), 30 + CurveHeight + 14, t.UtcDateTime.ToString((t1 - t0).TotalDays > 20 ? "yyyy-MM-dd" : "MM-dd HH:mm", CultureInfo.InvariantCulture), "middle"));
        }

        html.Append("<polyline class=\"curve\" points=\"");
        foreach (var (start, grams) in model.Intensity)
        {
            html.Append(N(X(start), "0.#")).Append(',').Append(N(Y(grams), "0.#")).Append(' ');
        }

        html.Append("\"/>\n").Append(Line(Left, 30 + CurveHeight, Width - Right, 30 + CurveHeight, "axis"));
        for (var i = 0; i < jobs.Count; i++)
        {
            var y = 30 + CurveHeight + 24 + (i * Lane);
            var job = jobs[i];
            foreach (var (start, end) in job.Planned)
            {
                html.Append(Rect(X(start), y, Math.Max(1, X(end) - X(start)), Lane - 3, "planned", $"{job.Id} planned {Iso(start)}–{Iso(end)}"));
            }

            foreach (var (start, end) in job.Ran)
            {
                html.Append(Rect(X(start), y + 3, Math.Max(1, X(end) - X(start)), Lane - 9, "ran", $"{job.Id} ran {Iso(start)}–{Iso(end)}"));
            }

            html.Append("<line class=\"deadline\" x1=\"").Append(N(X(job.Deadline), "0.#")).Append("\" y1=\"").Append(y - 1).Append("\" x2=\"").Append(N(X(job.Deadline), "0.#")).Append("\" y2=\"").Append(y + Lane - 2)
                .Append("\"><title>").Append(E($"{job.Id} deadline {Iso(job.Deadline)}")).Append("</title></line>\n");
            if (jobs.Count <= 12)
            {
                html.Append(Text(Left - 6, y + 8, job.Id.Length > 10 ? job.Id[..10] : job.Id, "end"));
            }
        }

        html.Append("</svg>\n");
        if (model.Jobs.Count > jobs.Count)
        {
            html.Append("<p>").Append(jobs.Count).Append(" of ").Append(model.Jobs.Count).Append(" jobs drawn on the timeline.</p>\n");
        }
    }

    private static void PolicyChart(StringBuilder html, ReportModel model)
    {
        if (model.PolicyTotals.Count == 0)
        {
            return;
        }

        html.Append("<h2>Emissions per policy (kgCO2e)</h2>\n");
        const int Bar = 26;
        var height = 20 + (model.PolicyTotals.Count * (Bar + 8)) + 10;
        var max = Math.Max(1e-9, model.PolicyTotals.Max(p => p.Kg));
        const int LabelWidth = 130;
        html.Append(Svg("policy-chart", height));
        for (var i = 0; i < model.PolicyTotals.Count; i++)
        {
            var (policy, kg) = model.PolicyTotals[i];
            var y = 15 + (i * (Bar + 8));
            var w = (Width - LabelWidth - 120) * kg / max;
            html.Append(Text(LabelWidth - 8, y + 17, policy, "end"))
                .Append(Rect(LabelWidth, y, Math.Max(1, w), Bar, "bar", $"{policy}: {N(kg, "0.###")} kg"))
                .Append(Text(LabelWidth + w + 6, y + 17, N(kg, "0.###") + " kg", "start"));
        }

        html.Append("</svg>\n");
    }

    private static void JobChart(StringBuilder html, ReportModel model)
    {
        var jobs = model.Jobs.Where(j => j.Kg is not null).Take(MaxTimelineJobs).ToList();
        if (jobs.Count == 0)
        {
            return;
        }

        html.Append("<h2>Per job: emissions (blue), ").Append(E(model.CounterfactualName)).Append(" (grey) and forecast regret (red), kgCO2e</h2>\n");
        const int Group = 30;
        var height = 20 + (jobs.Count * Group) + 10;
        var max = Math.Max(1e-9, jobs.Max(j => Math.Max(j.Kg ?? 0, Math.Max(j.CounterfactualKg ?? 0, Math.Abs(j.RegretKg ?? 0)))));
        const int LabelWidth = 160;
        double W(double kg) => Math.Max(1, (Width - LabelWidth - 260) * Math.Abs(kg) / max);
        html.Append(Svg("job-chart", height));
        for (var i = 0; i < jobs.Count; i++)
        {
            var j = jobs[i];
            var y = 12 + (i * Group);
            html.Append(Text(LabelWidth - 8, y + 14, j.Id, "end"))
                .Append(Rect(LabelWidth, y, W(j.Kg!.Value), 8, "bar", $"{j.Id} ({j.Policy}): {N(j.Kg.Value, "0.###")} kg"));
            if (j.CounterfactualKg is { } cf)
            {
                html.Append(Rect(LabelWidth, y + 9, W(cf), 8, "bar-cf", $"{j.Id} {model.CounterfactualName}: {N(cf, "0.###")} kg"));
            }

            if (j.RegretKg is { } regret)
            {
                html.Append(Rect(LabelWidth, y + 18, W(regret), 6, "bar-regret", $"{j.Id} forecast regret: {N(regret, "0.###")} kg"));
            }

            html.Append(Text(LabelWidth + W(Math.Max(j.Kg.Value, j.CounterfactualKg ?? 0)) + 6, y + 14,
                $"{N(j.Kg.Value, "0.##")} vs {(j.CounterfactualKg is { } c ? N(c, "0.##") : "-")} kg; regret {(j.RegretKg is { } r ? N(r, "0.###") : "-")}", "start"));
        }

        html.Append("</svg>\n");
    }

    private static string Svg(string id, int height) =>
        $"<svg id=\"{id}\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{height}\" viewBox=\"0 0 {Width} {height}\" role=\"img\">\n";

    private static string Line(double x1, double y1, double x2, double y2, string css) =>
        $"<line class=\"{css}\" x1=\"{N(x1, "0.#")}\" y1=\"{N(y1, "0.#")}\" x2=\"{N(x2, "0.#")}\" y2=\"{N(y2, "0.#")}\"/>\n";

    private static string Rect(double x, double y, double w, double h, string css, string title) =>
        $"<rect class=\"{css}\" x=\"{N(x, "0.#")}\" y=\"{N(y, "0.#")}\" width=\"{N(w, "0.#")}\" height=\"{N(h, "0.#")}\"><title>{E(title)}</title></rect>\n";

    private static string Text(double x, double y, string text, string anchor) =>
        $"<text x=\"{N(x, "0.#")}\" y=\"{N(y, "0.#")}\" text-anchor=\"{anchor}\">{E(text)}</text>\n";

    private static string N(double value, string format) => value.ToString(format, CultureInfo.InvariantCulture);

    private static string Iso(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd HH:mm'Z'", CultureInfo.InvariantCulture);

    private static string E(string text) => WebUtility.HtmlEncode(text);
}
