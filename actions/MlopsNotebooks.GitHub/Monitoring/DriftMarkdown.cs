using System.Globalization;
using System.Text;
using MlopsNotebooks.GitHub.Toolkit;
using MlopsNotebooks.Monitoring;
using MlopsNotebooks.Views;

namespace MlopsNotebooks.GitHub.Monitoring;

/// <summary>
/// The drift report as GitHub Markdown (the drift issue, a job summary, drift.md): the verdict, a table, a Mermaid bar
/// chart of each column's score against its threshold, and the notes. Column names and categories are someone else's
/// input: every value passes through <see cref="Markdown"/>, and the chart's labels keep only characters that cannot end
/// a Mermaid string, the code block or an HTML comment.
/// </summary>
public static class DriftMarkdown
{
    /// <summary>Rows the table shows at most (the JSON has them all); GitHub refuses bodies over 65,536 characters.</summary>
    public const int MaxRows = 200;

    /// <summary>Bars the chart shows at most: the highest scores.</summary>
    public const int MaxBars = 40;

    public static string Build(DriftReport report)
    {
        var md = new StringBuilder();
        md.Append("### ").Append(report.Healthy ? "✅ " : "⚠️ ").Append(Markdown.Text(DriftText.Verdict(report))).Append("\n\n");
        if (DriftText.Window(report) is { } window)
        {
            md.Append(Markdown.Text(window)).Append("\n\n");
        }
        var rows = DriftText.Rows(report).ToList();
        if (rows.Count == 0)
        {
            md.Append("No columns were compared.\n\n");
        }
        else
        {
            md.Append("| column | kind | test | statistic | p-value | threshold | drifted | note |\n");
            md.Append("|---|---|---|---:|---:|---:|---|---|\n");
            foreach (var column in rows.Take(MaxRows))
            {
                string[] cells = [column.Column, column.Kind.ToString().ToLowerInvariant(), column.Test ?? "-", DriftText.Number(column.Statistic),
                    DriftText.Number(column.PValue), DriftText.Number(column.Threshold), column.Test is null ? "-" : column.Drifted ? "**yes**" : "no", column.Note ?? ""];
                md.Append("| ").AppendJoin(" | ", cells.Select((c, i) => i == 6 ? c : Markdown.Cell(c))).Append(" |\n");
            }
            if (rows.Count > MaxRows)
            {
                md.Append('\n').Append(Markdown.Text($"... and {(rows.Count - MaxRows).ToString(CultureInfo.InvariantCulture)} more columns: see drift.json.")).Append('\n');
            }
            md.Append('\n').Append(Chart(rows));
        }
        if (report.Metric is { } metric)
        {
            md.Append(Markdown.Text(DriftText.Metric(metric))).Append("\n\n");
        }
        if (report.Service is { } service)
        {
            md.Append(Markdown.Text(DriftText.Service(service))).Append("\n\n");
        }
        foreach (var note in report.Notes)
        {
            md.Append("- ").Append(Markdown.Text(note)).Append('\n');
        }
        return md.ToString().TrimEnd('\n') + "\n";
    }

    /// <summary>A Mermaid xychart-beta: one bar per compared column (its score), a line at 1 (the threshold).</summary>
    public static string Chart(IReadOnlyList<ColumnDrift> columns)
    {
        var bars = columns.Select(c => (c.Column, Score: DriftText.Score(c))).Where(b => b.Score is not null)
            .OrderByDescending(b => b.Score).Take(MaxBars).ToList();
        if (bars.Count == 0)
        {
            return "";
        }
        var top = Math.Max(2, Math.Ceiling(bars.Max(b => b.Score!.Value)));
        var chart = new StringBuilder("```mermaid\nxychart-beta\n");
        chart.Append("    title \"Drift score by column (1 is the threshold; more is drift)\"\n");
        chart.Append("    x-axis [").AppendJoin(", ", bars.Select(b => $"\"{Label(b.Column)}\"")).Append("]\n");
        chart.Append(CultureInfo.InvariantCulture, $"    y-axis \"score\" 0 --> {N(top)}\n");
        chart.Append("    bar [").AppendJoin(", ", bars.Select(b => N(b.Score!.Value))).Append("]\n");
        chart.Append("    line [").AppendJoin(", ", bars.Select(_ => "1")).Append("]\n");
        return chart.Append("```\n\n").ToString();
    }

    /// <summary>
    /// A name as a Mermaid string: letters, digits, space and <c>_ . / : + =</c> kept, any other character a <c>_</c>
    /// (so no quote ends the string, no backtick the block, no <c>&gt;</c> an arrow or a comment), at most 30 characters.
    /// </summary>
    public static string Label(string name)
    {
        var label = new string(name.Select(c => char.IsLetterOrDigit(c) || c is ' ' or '_' or '.' or '/' or ':' or '+' or '=' ? c : '_').ToArray());
        return label.Length <= 30 ? label : label[..29] + "…";
    }

    private static string N(double value) => value.ToString("0.####", CultureInfo.InvariantCulture);
}
