using System.Text.Json.Nodes;
using MlopsNotebooks.Monitoring;

namespace MlopsNotebooks.Views;

/// <summary>
/// The drift report as JSON for machines (<c>mlops monitor --json</c>, <c>drift.json</c>): snake_case as
/// <see cref="RunJson"/> writes it, one object per column in the report's order, and a <c>format</c> version that
/// changes when a field changes meaning.
/// </summary>
public static class DriftJson
{
    public const int Format = 1;

    public static JsonObject Report(DriftReport report) => new()
    {
        ["format"] = Format,
        ["model"] = report.Model,
        ["version"] = report.Version,
        ["mode"] = report.Mode.ToString().ToLowerInvariant(),
        ["created"] = report.Created.UtcDateTime.ToString("O"),
        ["window_start"] = report.WindowStart?.UtcDateTime.ToString("O"),
        ["window_end"] = report.WindowEnd?.UtcDateTime.ToString("O"),
        ["reference_rows"] = report.ReferenceRows,
        ["current_rows"] = report.CurrentRows,
        ["healthy"] = report.Healthy,
        ["dataset_drifted"] = report.DatasetDrifted,
        ["drift_share"] = report.DriftShare,
        ["drifted_columns"] = report.DriftedColumns,
        ["compared_columns"] = report.ComparedColumns,
        ["columns"] = RunJson.Array(report.Columns, Column),
        ["prediction"] = report.Prediction is { } prediction ? Column(prediction) : null,
        ["metric"] = report.Metric is { } metric ? Metric(metric) : null,
        ["service"] = report.Service is { } service ? Service(service) : null,
        ["notes"] = RunJson.Array(report.Notes, n => n),
    };

    public static JsonObject Column(ColumnDrift column) => new()
    {
        ["column"] = column.Column,
        ["kind"] = column.Kind.ToString().ToLowerInvariant(),
        ["test"] = column.Test,
        ["statistic"] = column.Statistic,
        ["p_value"] = column.PValue,
        ["threshold"] = column.Threshold,
        ["drifted"] = column.Drifted,
        ["convention"] = column.Convention,
        ["error_bound"] = column.ErrorBound,
        ["counts"] = new JsonObject
        {
            ["reference"] = column.ReferenceCount,
            ["current"] = column.CurrentCount,
            ["current_missing"] = column.CurrentMissing,
        },
        ["note"] = column.Note,
    };

    public static JsonObject Metric(MetricCheck metric) => new()
    {
        ["metric"] = metric.Metric,
        ["registered"] = metric.Registered,
        ["recent"] = metric.Recent,
        ["labelled_rows"] = metric.LabelledRows,
        ["tolerance"] = metric.Tolerance,
        ["degraded"] = metric.Degraded,
        ["note"] = metric.Note,
    };

    public static JsonObject Service(ServiceHealth service) => new()
    {
        ["source"] = service.Source,
        ["requests"] = service.Requests,
        ["error_rate"] = service.ErrorRate,
        ["latency_p99_seconds"] = service.LatencyP99Seconds,
        ["max_error_rate"] = service.MaxErrorRate,
        ["max_latency_p99_seconds"] = service.MaxLatencyP99Seconds,
        ["healthy"] = service.Healthy,
        ["note"] = service.Note,
    };
}
