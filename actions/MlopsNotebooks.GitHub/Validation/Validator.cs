using System.Text.Json.Nodes;
using Microsoft.Extensions.FileSystemGlobbing;
using MlopsNotebooks.GitHub.Toolkit;
using MlopsNotebooks.Runner;
using MlopsNotebooks.Tracking;
using MlopsNotebooks.Views;

namespace MlopsNotebooks.GitHub.Validation;

/// <summary>What <c>mlops validate</c> (the validate action) is asked to do. Paths are relative to <see cref="Root"/>.</summary>
public sealed record ValidateRequest
{
    public required string Root { get; init; }

    /// <summary>Globs of notebooks to run, e.g. <c>notebooks/**/*.ipynb</c>.</summary>
    public IReadOnlyList<string> Notebooks { get; init; } = [];

    public IReadOnlyDictionary<string, string> Parameters { get; init; } = new Dictionary<string, string>();

    /// <summary>Data checks: the CSV file and the schema it must meet.</summary>
    public IReadOnlyList<(string Data, string Schema)> Data { get; init; } = [];

    public string? Gates { get; init; }

    /// <summary>A metrics file to compare against; overrides the gates file's <c>baseline</c>.</summary>
    public string? Baseline { get; init; }

    /// <summary>Read the baseline file as committed at this git ref (e.g. <c>origin/main</c>), not from the work tree.</summary>
    public string? BaselineRef { get; init; }

    public TimeSpan? CellTimeout { get; init; }
}

/// <summary>
/// Validates a pull request's notebooks: runs them with parameters (each run they start is recorded), checks data against
/// its schema, applies the model gates to the best metrics the runs logged, against the base branch's baseline. Writes
/// annotations where things broke and returns the report data the report step renders.
/// </summary>
public sealed class Validator(ActionRunner actions, TrackingClient client)
{
    private const int RunQueryLimit = 50_000;

    /// <summary>The report data, and the runs the notebooks started (for the HTML report).</summary>
    public async Task<(JsonObject Report, IReadOnlyList<Run> Runs)> ValidateAsync(ValidateRequest request)
    {
        // The configuration is read first: a gates file or schema that does not parse fails before any notebook runs.
        var gatesPath = request.Gates ?? (File.Exists(Path.Combine(request.Root, "mlops-gates.yaml")) ? "mlops-gates.yaml" : null);
        var gates = gatesPath is null ? null : ModelGates.Load(Path.Combine(request.Root, gatesPath), gatesPath);
        var schemas = request.Data.Select(d => (d.Data, d.Schema, Loaded: DataSchema.Load(Path.Combine(request.Root, d.Schema), d.Schema))).ToList();
        var passed = true;
        var notebooks = new JsonArray();
        var runs = new List<Run>();
        // Every run the notebooks start is tagged with this validation's id: other validations may be logging to the
        // same store at the same time, even from clones with the same notebook paths.
        var validationId = Guid.NewGuid().ToString("N");
        foreach (var path in Expand(request.Root, request.Notebooks))
        {
            var filter = $"tags.`{RunContext.ValidationId}` = '{validationId}'"
                + $" and tags.`{RunContext.SourceName}` = '{path.Replace("'", "''", StringComparison.Ordinal)}'";
            var result = await new NotebookRunner().RunAsync(new RunRequest
            {
                NotebookPath = Path.Combine(request.Root, path),
                Parameters = request.Parameters,
                CellTimeout = request.CellTimeout,
                RunTags = new Dictionary<string, string> { [RunContext.ValidationId] = validationId },
            });
            var startedRuns = client.SearchRuns(filter: filter, orderBy: "attributes.start_time ASC", maxResults: RunQueryLimit).ToList();
            runs.AddRange(startedRuns);
            var entry = result.ToJson();
            entry["notebook"] = path;
            entry["runs"] = new JsonArray([.. startedRuns.Select(r => (JsonNode)r.RunId)]);
            notebooks.Add(entry);
            if (result.Failure is { } failure)
            {
                passed = false;
                var cell = failure.SourceCell ?? failure.Cell;
                var line = NotebookLines.Locate(Path.Combine(request.Root, path), cell, failure.Line);
                entry["failure"]!["file_line"] = line;
                actions.Error($"{failure.Kind}: {failure.Message}", new AnnotationPlace(path, line), $"Notebook {path} failed in cell {cell}");
            }
        }

        var data = new JsonArray();
        foreach (var (dataPath, schemaPath, schema) in schemas)
        {
            var violations = schema.Validate(Path.Combine(request.Root, dataPath));
            foreach (var v in violations)
            {
                actions.Error(v.Message, new AnnotationPlace(dataPath, v.Line), $"Data {dataPath} breaks {schemaPath}" + (v.Column is null ? "" : $" (column {v.Column})"));
            }
            passed &= violations.Count == 0;
            data.Add(new JsonObject
            {
                ["data"] = dataPath,
                ["schema"] = schemaPath,
                ["passed"] = violations.Count == 0,
                ["violations"] = new JsonArray([.. violations.Select(v => (JsonNode)new JsonObject { ["column"] = v.Column, ["line"] = v.Line, ["message"] = v.Message })]),
            });
        }

        var report = new JsonObject
        {
            ["notebooks"] = notebooks,
            ["runs"] = new JsonArray([.. runs.Select(r => (JsonNode)WithHistory(r))]),
            ["data"] = data,
        };
        var candidate = Baseline.Of("this branch", gates, runs);
        var baselineSource = request.Baseline ?? gates?.Baseline;
        var baseline = baselineSource is null ? null : ReadBaseline(request.Root, baselineSource, request.BaselineRef, gates, runs);
        var (now, then) = (candidate.ToJson(), baseline?.ToJson());
        report["candidate"] = now["metrics"]!.DeepClone();
        report["candidate_params"] = now["params"]!.DeepClone();
        report["candidate_data"] = now["data"]!.DeepClone();
        report["baseline"] = then?["metrics"]!.DeepClone();
        report["baseline_params"] = then?["params"]!.DeepClone();
        report["baseline_data"] = then?["data"]!.DeepClone();
        report["baseline_source"] = baseline?.Source;
        if (gates is not null)
        {
            var results = gates.Evaluate(candidate.Metrics, baseline?.Metrics);
            foreach (var failed in results.Where(r => !r.Passed))
            {
                actions.Error($"{failed.Gate}: {failed.Detail}", new AnnotationPlace(gatesPath!, failed.Line), "Model gate failed");
            }
            passed &= results.All(r => r.Passed);
            report["gates"] = new JsonArray([.. results.Select(r => (JsonNode)new JsonObject { ["gate"] = r.Gate, ["passed"] = r.Passed, ["detail"] = r.Detail })]);
        }
        Snapshot = candidate;
        report["passed"] = passed;
        return (report, runs);
    }

    // A run as JSON plus the steps of each metric logged more than once (at most 1,000 points), for the report's charts.
    private JsonObject WithHistory(Run run)
    {
        var json = RunJson.Run(run);
        var history = new JsonObject();
        foreach (var key in run.Metrics.Keys)
        {
            var points = client.GetMetricHistory(run.RunId, key);
            if (points.Count > 1)
            {
                history[key] = new JsonArray([.. points.OrderBy(p => p.Step).Take(1000).Select(p => (JsonNode)new JsonArray(p.Step, p.Value))]);
            }
        }
        json["history"] = history;
        return json;
    }

    /// <summary>What the last validation measured: the next baseline, as <c>--metrics-out</c> writes it.</summary>
    public Baseline? Snapshot { get; private set; }

    /// <summary>
    /// The baseline: <c>store:&lt;branch&gt;</c> reads the tracking store; anything else is a metrics file, read from the
    /// work tree or at the base branch's ref. Missing is no baseline, with a warning.
    /// </summary>
    private Baseline? ReadBaseline(string root, string source, string? gitRef, ModelGates? gates, IReadOnlyList<Run> ours)
    {
        if (source.StartsWith(Baseline.StorePrefix, StringComparison.Ordinal))
        {
            var branch = source[Baseline.StorePrefix.Length..];
            var stored = Baseline.FromStore(client, branch, gates, ours.Select(r => r.RunId).ToHashSet(StringComparer.Ordinal));
            if (stored is null)
            {
                actions.Warning($"The tracking store has no finished runs of branch {branch}: regression gates compare against nothing.", title: "No baseline");
            }
            return stored;
        }
        string? text;
        if (gitRef is null)
        {
            var full = Path.Combine(root, source);
            text = File.Exists(full) ? File.ReadAllText(full) : null;
        }
        else
        {
            text = GitCli.TryRun(root, "show", $"{gitRef}:{source.Replace('\\', '/')}");
        }
        var where = gitRef is null ? source : $"{gitRef}:{source}";
        if (text is null)
        {
            actions.Warning($"No baseline metrics at {where}: regression gates compare against nothing.", title: "No baseline");
            return null;
        }
        return Baseline.Parse(where, text);
    }

    /// <summary>The notebooks the globs match, repo-relative with forward slashes, in order; none is an error.</summary>
    public static IReadOnlyList<string> Expand(string root, IReadOnlyList<string> globs)
    {
        if (globs.Count == 0)
        {
            return [];
        }
        var matcher = new Matcher(StringComparison.Ordinal);
        foreach (var glob in globs)
        {
            if (glob.StartsWith('!'))
            {
                matcher.AddExclude(glob[1..]);
            }
            else
            {
                matcher.AddInclude(glob);
            }
        }
        var files = matcher.GetResultsInFullPath(root)
            .Select(f => Path.GetRelativePath(root, f).Replace('\\', '/'))
            .Where(f => f.EndsWith(".ipynb", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".dib", StringComparison.OrdinalIgnoreCase))
            .Where(f => !f.StartsWith(".mlops/", StringComparison.Ordinal)) // executed copies
            .Order(StringComparer.Ordinal).ToList();
        return files.Count > 0 ? files : throw new MlopsException($"No notebook matches {string.Join(", ", globs)}.",
            "Globs are relative to the repository root, e.g. notebooks/**/*.ipynb.");
    }
}
