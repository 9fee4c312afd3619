using System.Net;
using System.Text;
using MlopsNotebooks.Display;
using MlopsNotebooks.Tracking;
using MlopsNotebooks.Validation;
using MlopsNotebooks.Views;

namespace MlopsNotebooks.GitHub.Reporting;

/// <summary>
/// The full report as one HTML page, kept as a workflow artifact: the runs table, Plotly charts of each stepped metric
/// across the runs and a comparison of the runs, the gates and the data checks. Built where the runs are (the validate
/// step), since the report step that posts the comment has no tracking store. It reads nothing itself: the runs and
/// every point of their stepped metrics come in the report, as validation read them.
/// </summary>
public static class ReportHtml
{
    /// <summary>The page; plotly.js as <paramref name="plotlyJs"/> (default <see cref="PlotlyJs.Current"/>) says.</summary>
    public static string Build(ValidationReport report, PlotlyJs? plotlyJs = null)
    {
        var page = new ChartPage(plotlyJs ?? PlotlyJs.Current);
        var reported = report.Runs.Where(r => r.Source is not null).ToList();
        var runs = reported.Select(r => r.Source!).ToList();
        // The charts are Plotly.NET fragments; the head gives the page plotly.js, a reference or the copy.
        var html = new StringBuilder("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>MLOps report</title>\n")
            .Append(page.HeadScript()).Append("</head><body>\n");
        html.Append($"<h1>MLOps report: {(report.Passed ? "all checks passed" : "checks failed")}</h1>\n");
        if (report.Gates is { } gates)
        {
            html.Append("<h2>Gates</h2><table><thead><tr><th>gate</th><th>result</th><th>detail</th></tr></thead><tbody>");
            foreach (var g in gates)
            {
                html.Append($"<tr><td>{E(g.Gate)}</td><td>{(g.Passed ? "passed" : "failed")}</td><td>{E(g.Detail)}</td></tr>");
            }
            html.Append("</tbody></table>\n");
        }
        if (runs.Count > 0)
        {
            html.Append("<h2>Runs</h2>\n").Append(RunHtml.RunList(runs)).Append('\n');
            foreach (var key in runs.SelectMany(r => r.Metrics.Keys).Distinct().Order(StringComparer.Ordinal))
            {
                var series = reported.Where(r => r.Points.ContainsKey(key)).Select(r => (Run: r.Source!, Points: r.Points[key])).ToList();
                if (series.Count > 0)
                {
                    html.Append($"<h3>{E(key)} by step</h3>\n").Append(RunCharts.ToHtmlFragment(RunCharts.MetricHistory(key, series), page)).Append('\n');
                }
            }
            if (runs.Count > 1)
            {
                var comparison = RunComparison.Of(runs);
                html.Append("<h2>Comparison</h2>\n").Append(RunHtml.Comparison(comparison)).Append('\n')
                    .Append(RunCharts.ToHtmlFragment(RunCharts.Comparison(comparison), page)).Append('\n');
            }
        }
        if (report.Data is { Count: > 0 } data)
        {
            html.Append("<h2>Data</h2><ul>");
            foreach (var d in data)
            {
                html.Append($"<li>{E(d.Data)} against {E(d.Schema)}<ul>");
                foreach (var v in d.Violations)
                {
                    html.Append($"<li>{E(v.Message)}</li>");
                }
                html.Append("</ul></li>");
            }
            html.Append("</ul>\n");
        }
        return html.Append("</body></html>\n").ToString();
    }

    private static string E(string text) => WebUtility.HtmlEncode(text);
}
