using System.Globalization;
using System.Net;
using System.Text;
using MlopsNotebooks.Registry;
using MlopsNotebooks.Tracking;
using MlopsNotebooks.Versioning;

using MlopsNotebooks.Views;

namespace MlopsNotebooks.Display;

/// <summary>
/// HTML views for notebooks: well-formed fragments (they parse as XML), every value encoded, one table per idea. The
/// same objects render the same whether a magic command returned them or a cell evaluated them (see
/// <see cref="MlopsFormatters"/>).
/// </summary>
public static class RunHtml
{
    public static string Run(Run run)
    {
        var html = new StringBuilder("<div class=\"mlops-run\">");
        html.Append(CultureInfo.InvariantCulture, $"<h4>Run {E(run.DisplayName)} <code>{E(run.RunId)}</code></h4>");
        var fields = new List<(string, string)>
        {
            ("status", run.DisplayStatus), ("experiment", run.ExperimentId), ("started", RunText.Time(run.StartTime)),
            ("ended", RunText.Time(run.EndTime)), ("duration", RunText.Duration(run.Duration)),
        };
        if (run.ParentRunId is not null)
        {
            fields.Add(("parent", run.ParentRunId));
        }
        foreach (var key in new[] { RunContext.SourceName, RunContext.GitCommit, RunContext.GitDirty })
        {
            if (run.Tags.TryGetValue(key, out var value))
            {
                fields.Add((key["mlops.".Length..], value));
            }
        }
        Table(html, "Run", ["field", "value"], fields.Select(f => new[] { f.Item1, f.Item2 }));
        Table(html, "Parameters", ["key", "value"], run.Params.Select(p => new[] { p.Key, p.Value }));
        Table(html, "Metrics (latest)", ["key", "value", "step"], run.Metrics.Values.Select(m => new[] { m.Key, RunText.Number(m.Value), m.Step.ToString(CultureInfo.InvariantCulture) }));
        Table(html, "Tags", ["key", "value"], run.Tags.Where(t => !t.Key.StartsWith("mlops.", StringComparison.Ordinal)).Select(t => new[] { t.Key, t.Value }));
        Table(html, "Data used", ["path", "hash", "files"], run.Inputs.Select(i => new[] { i.Path, i.Hash, i.Files.ToString(CultureInfo.InvariantCulture) }));
        Table(html, "Artifacts", ["path", "size", "hash"], run.Artifacts.Select(a => new[] { a.Path, a.Size.ToString(CultureInfo.InvariantCulture), a.Hash }));
        return html.Append("</div>").ToString();
    }

    /// <summary>One row per run with the latest value of every metric the runs logged.</summary>
    public static string RunList(IReadOnlyList<Run> runs)
    {
        var metricKeys = runs.SelectMany(r => r.Metrics.Keys).Distinct().Order(StringComparer.Ordinal).ToList();
        var html = new StringBuilder("<div class=\"mlops-runs\">");
        Table(html, null, ["run id", "name", "status", "started", "duration", .. metricKeys.Select(k => "metrics." + k)],
            runs.Select(r => (string[])[r.RunId[..8], r.Name ?? "", r.DisplayStatus, RunText.Time(r.StartTime), RunText.Duration(r.Duration),
                .. metricKeys.Select(k => r.Metrics.TryGetValue(k, out var m) ? RunText.Number(m.Value) : "")]),
            empty: "No runs.");
        return html.Append("</div>").ToString();
    }

    /// <summary>Runs as columns: the params that differ, then every metric.</summary>
    public static string Comparison(RunComparison comparison)
    {
        var html = new StringBuilder("<div class=\"mlops-comparison\">");
        var rows = new List<string[]> { (string[])["status", .. comparison.Runs.Select(r => r.DisplayStatus)] };
        rows.AddRange(comparison.DifferingParams.Select(k => (string[])["params." + k, .. comparison.Runs.Select(r => comparison.Param(r, k) ?? "-")]));
        rows.AddRange(comparison.MetricKeys.Select(k => (string[])["metrics." + k,
            .. comparison.Runs.Select(r => r.Metrics.ContainsKey(k) ? RunText.Number(comparison.Metric(r, k)) : "-")]));
        Table(html, null, ["", .. comparison.Runs.Select(r => $"{r.DisplayName} ({r.RunId[..8]})")], rows);
        return html.Append("</div>").ToString();
    }

    public static string DataVersion(DataVersion version)
    {
        var html = new StringBuilder("<div class=\"mlops-data\">");
        Table(html, "Data version", ["path", "type", "hash", "size", "files"],
            [[version.Path, version.IsDirectory ? "folder" : "file", version.Hash.ToString(), version.Size.ToString(CultureInfo.InvariantCulture),
              version.Files.ToString(CultureInfo.InvariantCulture)]]);
        return html.Append("</div>").ToString();
    }

    public static string ModelVersion(ModelVersion version)
    {
        var html = new StringBuilder("<div class=\"mlops-model\">");
        Table(html, $"Model {version}", ["field", "value"],
        [
            ["name", version.Name], ["version", version.Version.ToString(CultureInfo.InvariantCulture)],
            ["aliases", string.Join(", ", version.Aliases)], ["run", version.RunId ?? ""], ["model hash", version.ModelHash],
            ["registered", RunText.Time(version.CreationTime)],
        ]);
        return html.Append("</div>").ToString();
    }

    internal static void Table(StringBuilder html, string? title, IReadOnlyList<string> headers, IEnumerable<string[]> rows, string? empty = null)
    {
        var list = rows.ToList();
        if (list.Count == 0)
        {
            if (empty is not null)
            {
                html.Append("<p>").Append(E(empty)).Append("</p>");
            }
            return;
        }
        if (title is not null)
        {
            html.Append("<h5>").Append(E(title)).Append("</h5>");
        }
        html.Append("<table><thead><tr>");
        foreach (var header in headers)
        {
            html.Append("<th>").Append(E(header)).Append("</th>");
        }
        html.Append("</tr></thead><tbody>");
        foreach (var row in list)
        {
            html.Append("<tr>");
            foreach (var cell in row)
            {
                html.Append("<td>").Append(E(cell)).Append("</td>");
            }
            html.Append("</tr>");
        }
        html.Append("</tbody></table>");
    }

    internal static string E(string text) => WebUtility.HtmlEncode(text);
}
