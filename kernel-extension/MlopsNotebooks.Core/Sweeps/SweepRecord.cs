using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using MlopsNotebooks.Search;
using MlopsNotebooks.Storage;
using MlopsNotebooks.Tracking;

namespace MlopsNotebooks.Sweeps;

/// <summary>
/// How a sweep is kept in the tracking store, the one place that knows it: the parent run (settings as params, the
/// deadline as a tag) and its trials (nested runs <c>trial-N</c> with their values as params and tags).
/// </summary>
internal static class SweepRecord
{
    public const string SweepTag = "mlops.sweep";
    public const string DeadlineTag = "mlops.sweep.deadline";
    public const string TrialTag = "mlops.sweep.trial";
    public const string StateTag = "mlops.sweep.state";
    public const string ValuesTag = "mlops.sweep.values";
    public const string RetryOfTag = "mlops.sweep.retry_of";
    public const string ErrorTag = "mlops.sweep.error";
    public const string PrunedStepTag = "mlops.sweep.pruned_step";
    public const string ValueTag = "mlops.sweep.value";
    public const string RefitOfTag = "mlops.sweep.refit_of";

    public const string MetricParam = "metric";
    public const string DirectionParam = "direction";
    public const string TunerParam = "tuner";
    public const string TrialsParam = "trials";
    public const string SpaceParam = "space";
    public const string SpaceArtifact = "sweep/space.json";

    public const string NoDeadline = "none";

    /// <summary>Long enough to say what went wrong; a tag holds at most 8000 characters.</summary>
    public const int MaxErrorLength = 1000;

    /// <summary>
    /// The parent run's id, the same for every worker that names the sweep: of two that start at once, the second's
    /// insert fails and it joins the first's run.
    /// </summary>
    public static string ParentRunId(string experimentId, string name) =>
        Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes($"mlops.sweep\n{experimentId}\n{name}"))).ToLowerInvariant()[..32];

    public static string TrialName(int number) => "trial-" + number.ToString(CultureInfo.InvariantCulture);

    public static string StateName(TrialState state) => state.ToString().ToLowerInvariant();

    public static string DirectionName(Direction direction) => direction.ToString().ToLowerInvariant();

    /// <summary>The settings workers of one sweep must share, as the parent's params.</summary>
    public static IReadOnlyDictionary<string, string> Settings(SearchSpace space, SweepOptions options) => new SortedDictionary<string, string>(StringComparer.Ordinal)
    {
        [MetricParam] = options.Metric,
        [DirectionParam] = DirectionName(options.Direction),
        [TunerParam] = options.Tuner.Name,
        [TrialsParam] = options.Trials?.ToString(CultureInfo.InvariantCulture) ?? "unlimited",
        [SpaceParam] = "sha256:" + Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(SpaceJson(space)))).ToLowerInvariant(),
    };

    /// <summary>The space as JSON, the same bytes for the same space (in its order), for the parent's artifact and hash.</summary>
    public static string SpaceJson(SearchSpace space)
    {
        var parameters = new JsonArray();
        foreach (var parameter in space.Parameters)
        {
            var node = new JsonObject { ["name"] = parameter.Name };
            switch (parameter)
            {
                case IntParameter p:
                    node["type"] = "int";
                    node["low"] = p.Low;
                    node["high"] = p.High;
                    node["log"] = p.Log;
                    break;
                case FloatParameter p:
                    node["type"] = "float";
                    node["low"] = p.Low.ToString("R", CultureInfo.InvariantCulture);
                    node["high"] = p.High.ToString("R", CultureInfo.InvariantCulture);
                    node["log"] = p.Log;
                    break;
                case ChoiceParameter p:
                    node["type"] = "choice";
                    node["choices"] = new JsonArray(p.Choices.Select(c => (JsonNode?)c).ToArray());
                    break;
            }
            if (parameter.When is { } when)
            {
                node["when"] = new JsonObject
                {
                    ["parameter"] = when.Parameter,
                    ["values"] = new JsonArray(when.Values.Select(v => (JsonNode?)v).ToArray()),
                };
            }
            parameters.Add(node);
        }
        return new JsonObject { ["parameters"] = parameters }.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    /// <summary>A trial's values with their types kept (integers, numbers with their exact digits, choices), for its tag.</summary>
    public static string ValuesJson(IReadOnlyDictionary<string, object> values) => new JsonObject(values
        .OrderBy(v => v.Key, StringComparer.Ordinal)
        .Select(v => KeyValuePair.Create<string, JsonNode?>(v.Key, v.Value switch
        {
            long l => JsonValue.Create(l),
            double d => JsonValue.Create("float:" + d.ToString("R", CultureInfo.InvariantCulture)),
            _ => JsonValue.Create("choice:" + TrackingClient.FormatValue(v.Value)),
        }))).ToJsonString();

    public static IReadOnlyDictionary<string, object> ParseValues(string? json)
    {
        var values = new Dictionary<string, object>(StringComparer.Ordinal);
        if (string.IsNullOrEmpty(json) || JsonNode.Parse(json) is not JsonObject node)
        {
            return values;
        }
        foreach (var (key, value) in node)
        {
            if (value is not JsonValue v)
            {
                continue;
            }
            if (v.TryGetValue<long>(out var l))
            {
                values[key] = l;
            }
            else if (v.TryGetValue<string>(out var text))
            {
                values[key] = text.StartsWith("float:", StringComparison.Ordinal)
                    ? double.Parse(text["float:".Length..], CultureInfo.InvariantCulture)
                    : text.StartsWith("choice:", StringComparison.Ordinal) ? text["choice:".Length..] : text;
            }
        }
        return values;
    }

    /// <summary>The params a trial's run shows: short names (a trainer's hyperparameters under their own names) where they are unique.</summary>
    public static IReadOnlyList<Param> ValueParams(IReadOnlyDictionary<string, object> values)
    {
        var shortNames = values.Keys.GroupBy(ShortName).Where(g => g.Count() == 1).Select(g => g.Key).ToHashSet(StringComparer.Ordinal);
        return values.OrderBy(v => v.Key, StringComparer.Ordinal)
            .Select(v => new Param(shortNames.Contains(ShortName(v.Key)) ? ShortName(v.Key) : v.Key, TrackingClient.FormatValue(v.Value)))
            .ToList();
    }

    private static string ShortName(string name) => name[(name.LastIndexOf('.') + 1)..];

    /// <summary>The sweep's trials as the store has them now, by number.</summary>
    public static IReadOnlyList<Run> Children(ITrackingStore store, Run parent) => store.SearchRuns(new RunQuery
    {
        ExperimentIds = [parent.ExperimentId],
        Filter = RunFilter.Parse($"parent_run_id = '{parent.RunId}'"),
        MaxResults = RunQuery.MaxMaxResults,
    }).Where(r => r.Tags.ContainsKey(TrialTag)).OrderBy(Number).ToList();

    public static int Number(Run trial) =>
        int.TryParse(trial.Tags.GetValueOrDefault(TrialTag), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 0;

    public static TrialState State(Run trial) => trial.Status switch
    {
        RunStatus.Running => TrialState.Running,
        RunStatus.Killed => TrialState.Lost,
        RunStatus.Failed => TrialState.Failed,
        _ => trial.Tags.GetValueOrDefault(StateTag) == StateName(TrialState.Pruned) ? TrialState.Pruned : TrialState.Complete,
    };

    /// <summary>What the trial returned (exact, from its tag), else its metric's latest point.</summary>
    public static double? Value(Run trial, string metric) =>
        trial.Tags.GetValueOrDefault(ValueTag) is { } text && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v
        : trial.Metrics.TryGetValue(metric, out var m) ? m.Value : null;

    /// <summary>The sweep's state: its settings from the parent, its trials from the children.</summary>
    public static SweepStatus Status(Run parent, IReadOnlyList<Run> trials)
    {
        var metric = parent.Params.GetValueOrDefault(MetricParam) ?? "";
        var direction = parent.Params.GetValueOrDefault(DirectionParam) == DirectionName(Direction.Minimize) ? Direction.Minimize : Direction.Maximize;
        int? cap = int.TryParse(parent.Params.GetValueOrDefault(TrialsParam), NumberStyles.None, CultureInfo.InvariantCulture, out var c) ? c : null;
        var redoneAs = trials.Where(t => t.Tags.ContainsKey(RetryOfTag)).ToDictionary(t => t.Tags[RetryOfTag], Number, StringComparer.Ordinal);
        var rows = trials.Select(t =>
        {
            var state = State(t);
            var note = state switch
            {
                TrialState.Failed => t.Tags.GetValueOrDefault(ErrorTag),
                TrialState.Pruned => t.Tags.GetValueOrDefault(PrunedStepTag) is { } step ? $"pruned at step {step}" : null,
                TrialState.Lost => redoneAs.TryGetValue(t.RunId, out var again) ? $"lost; redone as trial {again}" : "lost",
                _ => null,
            };
            if (t.Tags.GetValueOrDefault(RetryOfTag) is { } retryOf && trials.FirstOrDefault(o => o.RunId == retryOf) is { } first)
            {
                note = note is null ? $"redoes trial {Number(first)}" : $"redoes trial {Number(first)}; {note}";
            }
            return new SweepTrial(Number(t), t.RunId, ParseValues(t.Tags.GetValueOrDefault(ValuesTag)), state,
                state is TrialState.Complete or TrialState.Pruned ? Value(t, metric) : null, t.Duration) { Note = note };
        }).ToList();
        return new SweepStatus(parent.RunId, parent.Name ?? parent.RunId, metric, direction, rows, cap, Deadline(parent));
    }

    public static DateTimeOffset? Deadline(Run parent) =>
        long.TryParse(parent.Tags.GetValueOrDefault(DeadlineTag), NumberStyles.None, CultureInfo.InvariantCulture, out var ms)
            ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null;

    public static string DeadlineText(DateTimeOffset? deadline) =>
        deadline?.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture) ?? NoDeadline;
}
