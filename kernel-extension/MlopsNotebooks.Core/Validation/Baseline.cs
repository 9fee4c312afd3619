using System.Text.Json.Nodes;
using MlopsNotebooks.Tracking;

namespace MlopsNotebooks.Validation;

/// <summary>
/// What a pull request is compared with: the base branch's metrics, the params of its best run and the data versions
/// its runs used. It comes from a metrics file (what <c>mlops validate --metrics-out</c> writes, committed on the base
/// branch, read at its ref) or, with <c>store:&lt;branch&gt;</c>, from a shared tracking store: the runs of that
/// branch's newest commit there.
/// </summary>
public sealed record Baseline(string Source, IReadOnlyDictionary<string, double> Metrics, IReadOnlyDictionary<string, string> Params, IReadOnlyDictionary<string, string> Data)
{
    public const string StorePrefix = "store:";

    /// <summary>The runs it was taken from, when it came from a tracking store (to find them there again).</summary>
    public IReadOnlyList<string> RunIds { get; init; } = [];

    /// <summary>The tracking store those runs are in (its location, never a password), when it came from one.</summary>
    public string? Store { get; init; }

    /// <summary>The snapshot of a validation: the best metrics, the params of the run with the best first gated metric, the data used.</summary>
    public static Baseline Of(string source, ModelGates? gates, IReadOnlyList<Run> runs)
    {
        var metrics = (gates ?? new ModelGates { Path = "" }).Candidate(runs.Select(r => (IReadOnlyDictionary<string, double>)r.Metrics.ToDictionary(m => m.Key, m => m.Value.Value)));
        var key = gates?.Thresholds.Select(t => t.Metric).Concat(gates.Regression.Keys).FirstOrDefault(metrics.ContainsKey);
        var best = key is null ? runs.FirstOrDefault() : runs.FirstOrDefault(r => r.Metrics.TryGetValue(key, out var m) && m.Value == metrics[key]);
        var data = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var input in runs.SelectMany(r => r.Inputs))
        {
            data[input.Path] = input.Hash;
        }
        return new Baseline(source, metrics, best?.Params ?? new Dictionary<string, string>(), data);
    }

    /// <summary>
    /// The metrics file: metrics, params and data, and for a baseline taken from a store (<c>mlops baseline</c>) where it
    /// came from, so that a report can name the runs.
    /// </summary>
    public JsonObject ToJson()
    {
        var json = new JsonObject();
        if (Store is not null)
        {
            json["source"] = Source;
            json["store"] = Store;
            json["runs"] = new JsonArray([.. RunIds.Select(id => (JsonNode)id)]);
        }
        json["metrics"] = new JsonObject(Metrics.OrderBy(m => m.Key, StringComparer.Ordinal).Select(m => KeyValuePair.Create<string, JsonNode?>(m.Key, m.Value)));
        json["params"] = new JsonObject(Params.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => KeyValuePair.Create<string, JsonNode?>(p.Key, p.Value)));
        json["data"] = new JsonObject(Data.OrderBy(d => d.Key, StringComparer.Ordinal).Select(d => KeyValuePair.Create<string, JsonNode?>(d.Key, d.Value)));
        return json;
    }

    /// <summary>A metrics file: <c>{"metrics": {...}, "params": {...}, "data": {...}}</c>, or a plain object of metric to number.</summary>
    public static Baseline Parse(string source, string text)
    {
        JsonObject file;
        try
        {
            file = JsonNode.Parse(text) as JsonObject ?? throw new MlopsException($"{source} is not a JSON object.", "Write {\"metrics\": {\"auc\": 0.85}} (mlops validate --metrics-out writes it).");
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new MlopsException($"{source} is not valid JSON: {e.Message}", "Write {\"metrics\": {\"auc\": 0.85}} (mlops validate --metrics-out writes it).");
        }
        var metrics = file["metrics"] as JsonObject ?? file;
        // A baseline taken from a store says which: shown as the file's source, with its runs and store.
        var store = Text(file["store"]);
        var from = store is not null && Text(file["source"]) is { } stored && stored.StartsWith(StorePrefix, StringComparison.Ordinal) ? stored : null;
        return new Baseline(from is null ? source : $"{from} (in {source})",
            metrics.Where(p => p.Value is JsonValue v && v.TryGetValue<double>(out _)).ToDictionary(p => p.Key, p => p.Value!.GetValue<double>(), StringComparer.Ordinal),
            Strings(file["params"]), Strings(file["data"]))
        {
            Store = store,
            RunIds = store is null ? [] : (file["runs"] as JsonArray ?? []).Select(Text).OfType<string>().ToList(),
        };
    }

    private static string? Text(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var text) ? text : null;

    private static Dictionary<string, string> Strings(JsonNode? node) =>
        (node as JsonObject ?? []).Where(p => p.Value is JsonValue).ToDictionary(p => p.Key, p => p.Value!.ToString(), StringComparer.Ordinal);

    /// <summary>
    /// The base branch's latest results in the tracking store: the finished runs of its newest commit there, leaving out
    /// <paramref name="exclude"/> (the runs of the validation asking, which may be on that branch itself).
    /// </summary>
    public static Baseline? FromStore(TrackingClient client, string branch, ModelGates? gates, IReadOnlySet<string> exclude)
    {
        var runs = client.SearchRuns(filter: $"tags.`{RunContext.GitBranch}` = '{branch.Replace("'", "''", StringComparison.Ordinal)}' and attributes.status = 'FINISHED'",
            orderBy: "attributes.start_time DESC", maxResults: 1000).Where(r => !exclude.Contains(r.RunId)).ToList();
        if (runs.Count == 0)
        {
            return null;
        }
        var commit = runs[0].Tags.GetValueOrDefault(RunContext.GitCommit);
        var ofCommit = runs.Where(r => r.Tags.GetValueOrDefault(RunContext.GitCommit) == commit).ToList();
        return Of($"{StorePrefix}{branch}@{commit?[..Math.Min(12, commit.Length)] ?? "?"}", gates, ofCommit) with
        {
            RunIds = ofCommit.Select(r => r.RunId).ToList(),
            Store = client.Store.Location,
        };
    }
}
