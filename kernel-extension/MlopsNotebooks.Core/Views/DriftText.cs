using System.Globalization;
using System.Text;
using MlopsNotebooks.Monitoring;

namespace MlopsNotebooks.Views;

/// <summary>
/// The drift report for a terminal: the verdict, one table row per column (then the predictions), the metric and the
/// service, and the notes. The sentences here are the ones the Markdown and HTML views show too.
/// </summary>
public static class DriftText
{
    public static string Report(DriftReport report)
    {
        var text = new StringBuilder();
        text.Append(Verdict(report)).Append('\n');
        if (Window(report) is { } window)
        {
            text.Append(window).Append('\n');
        }
        text.Append('\n');
        var table = new TextTable("COLUMN", "KIND", "TEST", "STATISTIC", "P-VALUE", "THRESHOLD", "DRIFTED", "NOTE");
        foreach (var column in Rows(report))
        {
            table.Add(column.Column, column.Kind.ToString().ToLowerInvariant(), column.Test ?? "-", Number(column.Statistic), Number(column.PValue),
                Number(column.Threshold), column.Test is null ? "-" : column.Drifted ? "yes" : "no", column.Note ?? "");
        }
        text.Append(table.Count == 0 ? "No columns were compared.\n" : table.ToString());
        if (report.Metric is { } metric)
        {
            text.Append('\n').Append(Metric(metric)).Append('\n');
        }
        if (report.Service is { } service)
        {
            text.Append('\n').Append(Service(service)).Append('\n');
        }
        foreach (var note in report.Notes)
        {
            text.Append("note: ").Append(Tracking.Names.Printable(note)).Append('\n');
        }
        return text.ToString();
    }

    /// <summary>The columns, then the predictions under the name "prediction" when the report compared them.</summary>
    public static IEnumerable<ColumnDrift> Rows(DriftReport report) =>
        report.Prediction is { } prediction ? [.. report.Columns, prediction] : report.Columns;

    /// <summary>One sentence: healthy or not, and why.</summary>
    public static string Verdict(DriftReport report)
    {
        var model = report.Model is null ? "The data" : $"{report.Model}{(report.Version is { } v ? $" v{v.ToString(CultureInfo.InvariantCulture)}" : "")}";
        var reasons = new List<string>();
        var columns = $"{report.DriftedColumns.ToString(CultureInfo.InvariantCulture)} of {report.ComparedColumns.ToString(CultureInfo.InvariantCulture)} columns drifted";
        reasons.Add(report.DatasetDrifted
            ? $"data drift: {columns} (at least {Percent(report.DriftShare)} drift the data set)"
            : $"no data drift: {columns}");
        if (report.Prediction is { } prediction)
        {
            reasons.Add(prediction.Test is null ? "predictions not compared" : prediction.Drifted ? "the predictions drifted" : "predictions steady");
        }
        if (report.Metric is { Degraded: true } metric)
        {
            reasons.Add($"{metric.Metric} degraded");
        }
        if (report.Service is { } service)
        {
            reasons.Add(service.Healthy ? service.ErrorRate is null && service.LatencyP99Seconds is null ? "service health unknown" : "service healthy" : "service unhealthy");
        }
        return $"{Tracking.Names.Printable(model)}: {(report.Healthy ? "healthy" : "NOT healthy")} ({string.Join("; ", reasons)}).";
    }

    public static string? Window(DriftReport report) =>
        report.WindowStart is null && report.WindowEnd is null
            ? null
            : $"Window {RunText.Time(report.WindowStart)} to {RunText.Time(report.WindowEnd)} UTC: {report.CurrentRows.ToString(CultureInfo.InvariantCulture)} rows against {report.ReferenceRows.ToString(CultureInfo.InvariantCulture)} reference rows ({report.Mode.ToString().ToLowerInvariant()} mode).";

    public static string Metric(MetricCheck metric) => Tracking.Names.Printable(metric.Recent is null
        ? $"Metric {metric.Metric}: registered {Number(metric.Registered)}, not judged: {Sentence(metric.Note ?? "no recent value")}"
        : $"Metric {metric.Metric}: registered {Number(metric.Registered)}, recent {Number(metric.Recent)} over {metric.LabelledRows.ToString(CultureInfo.InvariantCulture)} labelled rows (tolerance {Number(metric.Tolerance)}): {(metric.Degraded ? "degraded" : "within tolerance")}{(metric.Note is null ? "." : $"; {Sentence(metric.Note)}")}");

    // Notes are sentences of their own, some with a full stop: one stop at the end either way.
    private static string Sentence(string note) => note.TrimEnd('.') + ".";

    public static string Service(ServiceHealth service) =>
        Tracking.Names.Printable($"Service (from {service.Source}): error rate {(service.ErrorRate is { } rate ? Percent(rate) : "unknown")} (at most {Percent(service.MaxErrorRate)}), "
            + $"p99 {(service.LatencyP99Seconds is { } p99 ? Number(p99) + " s" : "unknown")} (at most {Number(service.MaxLatencyP99Seconds)} s), "
            + $"{(service.Requests is { } requests ? Number(requests) : "unknown")} requests: {(service.Healthy ? "healthy" : "unhealthy")}{(service.Note is null ? "." : $"; {Sentence(service.Note)}")}");

    /// <summary>The figure a column's verdict compares with its threshold: the p-value for ks, chisquare and z, the statistic otherwise.</summary>
    public static double? Figure(ColumnDrift column) =>
        column.Test is null ? null : DriftTests.IsPValueTest(column.Test) ? column.PValue : column.Statistic;

    /// <summary>The most a chart shows of <see cref="Score"/>: a p-value of 0 would otherwise be an infinite bar.</summary>
    public const double MaxScore = 10;

    /// <summary>
    /// The figure against its threshold on one scale for charts, where 1 is the threshold and more is drift: the
    /// statistic over the threshold for distances, the threshold over the p-value for p-values; capped at
    /// <see cref="MaxScore"/>; null when no test ran.
    /// </summary>
    public static double? Score(ColumnDrift column)
    {
        if (Figure(column) is not { } figure || double.IsNaN(figure) || column.Threshold <= 0)
        {
            return null;
        }
        var score = DriftTests.IsPValueTest(column.Test!) ? (figure <= 0 ? MaxScore : column.Threshold / figure) : figure / column.Threshold;
        return Math.Min(MaxScore, score);
    }

    public static string Number(double? value) => value is { } v ? RunText.Number(v) : "-";

    public static string Percent(double share) => (share * 100).ToString("0.##", CultureInfo.InvariantCulture) + "%";
}
