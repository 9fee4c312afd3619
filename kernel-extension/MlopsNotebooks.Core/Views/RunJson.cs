using System.Text.Json;
using System.Text.Json.Nodes;
using MlopsNotebooks.Tracking;

namespace MlopsNotebooks.Views;

/// <summary>
/// JSON views for machines (<c>--json</c>): snake_case fields as MLflow's REST API names them, keys sorted, times in
/// ISO 8601 UTC and as milliseconds, NaN and infinities as the strings "NaN", "Infinity", "-Infinity".
/// </summary>
public static class RunJson
{
    private static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static string Write(JsonNode? node) => node?.ToJsonString(Options) ?? "null";

    public static JsonObject Experiment(Experiment e) => new()
    {
        ["experiment_id"] = e.ExperimentId,
        ["name"] = e.Name,
        ["lifecycle_stage"] = e.Stage.ToString().ToLowerInvariant(),
        ["creation_time"] = e.CreationTime.ToUnixTimeMilliseconds(),
    };

    public static JsonArray Experiments(IEnumerable<Experiment> experiments) => Array(experiments, Experiment);

    public static JsonArray Runs(IEnumerable<Run> runs) => Array(runs, Run);

    public static JsonArray Points(IEnumerable<Metric> points) => Array(points, Point);

    public static JsonObject Run(Run run) => new()
    {
        ["run_id"] = run.RunId,
        ["experiment_id"] = run.ExperimentId,
        ["run_name"] = run.Name,
        ["parent_run_id"] = run.ParentRunId,
        ["status"] = run.Status.ToName(),
        ["stale"] = run.IsStale,
        ["start_time"] = run.StartTime.ToUnixTimeMilliseconds(),
        ["end_time"] = run.EndTime?.ToUnixTimeMilliseconds(),
        ["lifecycle_stage"] = run.Stage.ToString().ToLowerInvariant(),
        ["params"] = Map(run.Params),
        ["metrics"] = new JsonObject(run.Metrics.Select(m => KeyValuePair.Create<string, JsonNode?>(m.Key, Point(m.Value)))),
        ["tags"] = Map(run.Tags),
        ["inputs"] = new JsonArray(run.Inputs.Select(i => (JsonNode)new JsonObject
        {
            ["path"] = i.Path,
            ["hash"] = i.Hash,
            ["size"] = i.Size,
            ["files"] = i.Files,
        }).ToArray()),
        ["artifacts"] = new JsonArray(run.Artifacts.Select(a => (JsonNode)new JsonObject
        {
            ["path"] = a.Path,
            ["hash"] = a.Hash,
            ["size"] = a.Size,
        }).ToArray()),
    };

    public static JsonObject Purge(Storage.RunPurge purge) => new()
    {
        ["dry_run"] = purge.DryRun,
        ["purged"] = Array(purge.Purged, r => new JsonObject
        {
            ["run_id"] = r.RunId,
            ["experiment_id"] = r.ExperimentId,
            ["run_name"] = r.Name,
            ["deleted_time"] = r.DeletedTime.ToUnixTimeMilliseconds(),
        }),
        ["kept"] = Array(purge.Kept, r => new JsonObject
        {
            ["run_id"] = r.RunId,
            ["experiment_id"] = r.ExperimentId,
            ["run_name"] = r.Name,
            ["reason"] = r.Reason,
        }),
    };

    public static JsonObject Point(Metric m) => new()
    {
        ["value"] = m.Value,
        ["step"] = m.Step,
        ["timestamp"] = m.Timestamp,
    };

    public static JsonObject Comparison(RunComparison c) => new()
    {
        ["runs"] = new JsonArray(c.Runs.Select(r => (JsonNode)new JsonObject { ["run_id"] = r.RunId, ["run_name"] = r.Name, ["status"] = r.Status.ToName() }).ToArray()),
        ["params"] = new JsonObject(c.DifferingParams.Select(k => KeyValuePair.Create<string, JsonNode?>(k,
            new JsonArray(c.Runs.Select(r => (JsonNode?)JsonValue.Create(c.Param(r, k))).ToArray())))),
        ["metrics"] = new JsonObject(c.MetricKeys.Select(k => KeyValuePair.Create<string, JsonNode?>(k,
            new JsonArray(c.Runs.Select(r => r.Metrics.ContainsKey(k) ? (JsonNode?)JsonValue.Create(c.Metric(r, k)) : null).ToArray())))),
    };

    /// <summary>A list as a JSON array, each item through its view.</summary>
    internal static JsonArray Array<T>(IEnumerable<T> items, Func<T, JsonNode?> view) => new(items.Select(view).ToArray());

    private static JsonObject Map(IReadOnlyDictionary<string, string> map) =>
        new(map.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => KeyValuePair.Create<string, JsonNode?>(p.Key, p.Value)));
}
