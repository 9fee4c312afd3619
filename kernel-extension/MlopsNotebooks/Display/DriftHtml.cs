using System.Text;
using MlopsNotebooks.Monitoring;
using MlopsNotebooks.Tracking;
using MlopsNotebooks.Views;
using Plotly.NET;

namespace MlopsNotebooks.Display;

/// <summary>
/// The drift report as HTML (the notebook's view of a <see cref="DriftReport"/>, and drift.html): the verdict, a summary
/// chart of each column's score against its threshold, the table, then per column its reference and current
/// distributions side by side. Text is encoded as <see cref="RunHtml"/> does, chart labels as <see cref="RunCharts.Label"/>.
/// </summary>
public static class DriftHtml
{
    /// <summary>The report as a fragment in the notebook of the current session.</summary>
    public static string Report(DriftReport report) => Report(report, ChartPage.Of(MlopsSession.Current));

    public static string Report(DriftReport report, ChartPage page)
    {
        var E = RunHtml.E;
        var html = new StringBuilder("<div class=\"mlops-drift\">");
        html.Append("<h4>").Append(E(DriftText.Verdict(report))).Append("</h4>");
        if (DriftText.Window(report) is { } window)
        {
            html.Append("<p>").Append(E(window)).Append("</p>");
        }
        var rows = DriftText.Rows(report).ToList();
        if (Summary(rows) is { } summary)
        {
            html.Append(RunCharts.ToHtmlFragment(summary, page));
        }
        RunHtml.Table(html, "Columns", ["column", "kind", "test", "statistic", "p-value", "threshold", "drifted", "note"],
            rows.Select(c => new[]
            {
                c.Column, c.Kind.ToString().ToLowerInvariant(), c.Test ?? "-", DriftText.Number(c.Statistic), DriftText.Number(c.PValue),
                DriftText.Number(c.Threshold), c.Test is null ? "-" : c.Drifted ? "yes" : "no", c.Note ?? "",
            }), empty: "No columns were compared.");
        var facts = new List<string>();
        if (report.Metric is { } metric)
        {
            facts.Add(DriftText.Metric(metric));
        }
        if (report.Service is { } service)
        {
            facts.Add(DriftText.Service(service));
        }
        facts.AddRange(report.Notes);
        if (facts.Count > 0)
        {
            html.Append("<ul>");
            foreach (var fact in facts)
            {
                html.Append("<li>").Append(E(fact)).Append("</li>");
            }
            html.Append("</ul>");
        }
        foreach (var column in rows.Where(c => c.Distribution is not null))
        {
            html.Append(RunCharts.ToHtmlFragment(Distribution(column), page));
        }
        return html.Append("</div>").ToString();
    }

    /// <summary>A standalone page (drift.html), loading plotly.js as <paramref name="plotlyJs"/> says (default <see cref="PlotlyJs.Current"/>).</summary>
    public static string Page(DriftReport report, PlotlyJs? plotlyJs = null)
    {
        var page = new ChartPage(plotlyJs ?? PlotlyJs.Current);
        var title = report.Model is null ? "Drift report" : $"Drift report: {report.Model}";
        return "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>" + RunHtml.E(title) + "</title>\n"
            + page.HeadScript() + "</head><body>\n" + Report(report, page) + "\n</body></html>\n";
    }

    /// <summary>One bar per compared column (its score, red when it drifted) and the threshold at 1; null when nothing was compared.</summary>
    public static GenericChart? Summary(IReadOnlyList<ColumnDrift> columns)
    {
        var scored = columns.Where(c => DriftText.Score(c) is not null).ToList();
        if (scored.Count == 0)
        {
            return null;
        }
        var names = scored.Select(c => RunCharts.Label(c.Column)).ToArray();
        var bars = RunCharts.Trace("bar", new Dictionary<string, object>
        {
            ["x"] = names,
            ["y"] = scored.Select(c => DriftText.Score(c)!.Value).ToArray(),
            ["name"] = "score",
            ["marker"] = new Dictionary<string, object> { ["color"] = scored.Select(c => c.Drifted ? "#d62728" : "#1f77b4").ToArray() },
        });
        var threshold = RunCharts.Trace("scatter", new Dictionary<string, object>
        {
            ["x"] = names,
            ["y"] = names.Select(_ => 1.0).ToArray(),
            ["mode"] = "lines",
            ["name"] = "threshold",
        });
        return RunCharts.WithLayout(GenericChart.combine([bars, threshold]), "drift score by column (1 is the threshold; more is drift)", "column", "score");
    }

    /// <summary>The column's reference and current shares per bin or category, as grouped bars.</summary>
    public static GenericChart Distribution(ColumnDrift column)
    {
        var pair = column.Distribution!;
        var labels = pair.Labels.Select(RunCharts.Label).ToArray();
        GenericChart Shares(string name, IReadOnlyList<double> shares) => RunCharts.Trace("bar", new Dictionary<string, object>
        {
            ["x"] = labels,
            ["y"] = shares.ToArray(),
            ["name"] = name,
        });
        var verdict = column.Test is null ? "not compared" : column.Drifted ? "drifted" : "no drift";
        return RunCharts.WithLayout(GenericChart.combine([Shares("reference", pair.Reference), Shares("current", pair.Current)]),
            $"{column.Column}: {verdict}", column.Kind == ColumnKind.Numerical ? "bin" : "category", "share", barmode: "group");
    }
}
