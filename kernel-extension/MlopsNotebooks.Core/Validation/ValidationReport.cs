using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using MlopsNotebooks.Tracking;

namespace MlopsNotebooks.Validation;

/// <summary>
/// What <c>mlops validate</c> found: the notebooks it ran, the runs they started, the data checks, the gates, and this
/// branch's metrics, params and data against the baseline's. It is written as <c>report.json</c> (snake_case, in this
/// order) and read back by the report step. The verdict is never stored state: <see cref="Passed"/> follows from the
/// findings, and <see cref="Findings"/> from what the report holds.
/// </summary>
public sealed record ValidationReport
{
    public IReadOnlyList<ReportedNotebook> Notebooks { get; init; } = [];

    public IReadOnlyList<ReportedRun> Runs { get; init; } = [];

    public IReadOnlyList<ReportedDataCheck> Data { get; init; } = [];

    /// <summary>The best value of each metric on this branch, the params of its best run, the data versions it used.</summary>
    public IReadOnlyDictionary<string, double>? Candidate { get; init; }

    public IReadOnlyDictionary<string, string>? CandidateParams { get; init; }

    public IReadOnlyDictionary<string, string>? CandidateData { get; init; }

    /// <summary>The same of the baseline (the base branch), or null when there is none.</summary>
    public IReadOnlyDictionary<string, double>? Baseline { get; init; }

    public IReadOnlyDictionary<string, string>? BaselineParams { get; init; }

    public IReadOnlyDictionary<string, string>? BaselineData { get; init; }

    public string? BaselineSource { get; init; }

    /// <summary>The tracking store the baseline was taken from (its location, no password), and the runs it took.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? BaselineStore { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<string>? BaselineRuns { get; init; }

    /// <summary>The model gates and how each went; null (and not written) when there is no gates file.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<GateResult>? Gates { get; init; }

    /// <summary>Every notebook ran through, every data file meets its schema, every gate passed. Written, never read.</summary>
    public bool Passed => Notebooks.All(n => n.Failure is null) && Data.All(d => d.Violations.Count == 0) && (Gates ?? []).All(g => g.Passed);

    /// <summary>The pull request the validation ran for: a claim, believed only for its head commit.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? PullRequest { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? HeadSha { get; init; }

    /// <summary>What the validation warned of that the report's fields do not show (e.g. no baseline); not written.</summary>
    [JsonIgnore]
    public IReadOnlyList<Finding> Warnings { get; init; } = [];

    /// <summary>
    /// What broke and where, in the order it happened: notebook failures, data violations, warnings, failed gates.
    /// Hosts turn these into annotations (the validate action) or marks in an editor.
    /// </summary>
    [JsonIgnore]
    public IReadOnlyList<Finding> Findings =>
    [
        .. Notebooks.Where(n => n.Failure is not null).Select(n => new Finding(FindingKind.Notebook, Severity.Error,
            $"{n.Failure!.Kind}: {n.Failure.Message}", n.Notebook, n.Failure.FileLine, $"Notebook {n.Notebook} failed in cell {n.Failure.SourceCell ?? n.Failure.Cell}")),
        .. Data.SelectMany(d => d.Violations.Select(v => new Finding(FindingKind.Data, Severity.Error, v.Message, d.Data, v.Line,
            $"Data {d.Data} breaks {d.Schema}" + (v.Column is null ? "" : $" (column {v.Column})")))),
        .. Warnings,
        .. (Gates ?? []).Where(g => !g.Passed).Select(g => new Finding(FindingKind.Gate, Severity.Error, $"{g.Gate}: {g.Detail}", g.File, g.Line, "Model gate failed")),
    ];

    private static readonly JsonSerializerOptions WriteOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        // A metric that is not a number is written as "NaN", "Infinity" or "-Infinity", as RunJson writes it.
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary><c>report.json</c> as it is written (indented, no trailing newline).</summary>
    public string ToJson() => JsonSerializer.Serialize(this, WriteOptions);

    /// <summary>The same as a JSON tree, for hosts that write JSON views (<c>--json</c>).</summary>
    public JsonNode ToJsonNode() => JsonSerializer.SerializeToNode(this, WriteOptions)!;
}

public enum FindingKind
{
    Notebook,
    Data,
    Gate,
    Baseline,
}

public enum Severity
{
    Error,
    Warning,
}

/// <summary>One thing a validation found: what sort, how bad, what, and where (a file and its line) when it is known.</summary>
public sealed record Finding(FindingKind Kind, Severity Severity, string Message, string? File, int? Line, string Title);

/// <summary>A notebook the validation ran: how it went, how many cells ran, the runs it started, where it failed.</summary>
public sealed record ReportedNotebook
{
    /// <summary>Its path, relative to the repository root.</summary>
    public required string Notebook { get; init; }

    /// <summary>Where the executed copy was written.</summary>
    public string? Output { get; init; }

    /// <summary>succeeded or failed.</summary>
    public string? Status { get; init; }

    public ReportedFailure? Failure { get; init; }

    public long DurationMs { get; init; }

    public int CellsRun { get; init; }

    public IReadOnlyDictionary<string, string> Parameters { get; init; } = new Dictionary<string, string>();

    /// <summary>The ids of the runs it started.</summary>
    public IReadOnlyList<string> Runs { get; init; } = [];
}

/// <summary>Where a notebook failed: the cell (as run, and in the file), the line in the cell and in the file, and why.</summary>
public sealed record ReportedFailure
{
    public int Cell { get; init; }

    public int? SourceCell { get; init; }

    public int? Line { get; init; }

    public string Kind { get; init; } = "";

    public string Message { get; init; } = "";

    public int? FileLine { get; init; }
}

/// <summary>
/// A run the notebooks started, with the fields of the run's JSON view and the steps of each metric logged more than
/// once. <see cref="Source"/> and <see cref="Points"/> are what validation read from the store, for hosts that render
/// more than the report file holds (the HTML report's charts); they are not written.
/// </summary>
public sealed record ReportedRun
{
    // The report file keeps at most this many points of a metric's history.
    private const int HistoryLimit = 1000;

    public required string RunId { get; init; }

    public string? ExperimentId { get; init; }

    public string? RunName { get; init; }

    public string? ParentRunId { get; init; }

    public string? Status { get; init; }

    public bool Stale { get; init; }

    public long StartTime { get; init; }

    public long? EndTime { get; init; }

    public string? LifecycleStage { get; init; }

    public IReadOnlyDictionary<string, string> Params { get; init; } = new Dictionary<string, string>();

    public IReadOnlyDictionary<string, ReportedMetric> Metrics { get; init; } = new Dictionary<string, ReportedMetric>();

    public IReadOnlyDictionary<string, string> Tags { get; init; } = new Dictionary<string, string>();

    public IReadOnlyList<ReportedInput> Inputs { get; init; } = [];

    public IReadOnlyList<ReportedArtifact> Artifacts { get; init; } = [];

    /// <summary>Per metric logged more than once, its points as <c>[step, value]</c> by step (at most 1,000).</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<double[]>> History { get; init; } = new Dictionary<string, IReadOnlyList<double[]>>();

    [JsonIgnore]
    public string DisplayName => RunName is { Length: > 0 } name ? name : RunId;

    [JsonIgnore]
    public Run? Source { get; init; }

    /// <summary>Every point of each metric logged more than once, as the store returned them.</summary>
    [JsonIgnore]
    public IReadOnlyDictionary<string, IReadOnlyList<Metric>> Points { get; init; } = new Dictionary<string, IReadOnlyList<Metric>>();

    /// <summary>A run as the report holds it; <paramref name="history"/> gives a metric's points.</summary>
    public static ReportedRun Of(Run run, Func<string, IReadOnlyList<Metric>> history)
    {
        var points = run.Metrics.Keys.Select(key => (Key: key, Points: history(key))).Where(h => h.Points.Count > 1)
            .ToDictionary(h => h.Key, h => h.Points, StringComparer.Ordinal);
        return new ReportedRun
        {
            RunId = run.RunId,
            ExperimentId = run.ExperimentId,
            RunName = run.Name,
            ParentRunId = run.ParentRunId,
            Status = run.Status.ToName(),
            Stale = run.IsStale,
            StartTime = run.StartTime.ToUnixTimeMilliseconds(),
            EndTime = run.EndTime?.ToUnixTimeMilliseconds(),
            LifecycleStage = run.Stage.ToString().ToLowerInvariant(),
            Params = Sorted(run.Params),
            Metrics = run.Metrics.ToDictionary(m => m.Key, m => new ReportedMetric(m.Value.Value, m.Value.Step, m.Value.Timestamp)),
            Tags = Sorted(run.Tags),
            Inputs = [.. run.Inputs.Select(i => new ReportedInput { Path = i.Path, Hash = i.Hash, Size = i.Size, Files = i.Files })],
            Artifacts = [.. run.Artifacts.Select(a => new ReportedArtifact(a.Path, a.Hash, a.Size))],
            History = points.ToDictionary(p => p.Key,
                p => (IReadOnlyList<double[]>)[.. p.Value.OrderBy(m => m.Step).Take(HistoryLimit).Select(m => new[] { m.Step, m.Value })], StringComparer.Ordinal),
            Source = run,
            Points = points,
        };
    }

    private static Dictionary<string, string> Sorted(IReadOnlyDictionary<string, string> map) =>
        map.OrderBy(p => p.Key, StringComparer.Ordinal).ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
}

/// <summary>A metric's latest point.</summary>
public sealed record ReportedMetric(double Value, long Step, long Timestamp);

/// <summary>A data version a run used.</summary>
public sealed record ReportedInput
{
    public required string Path { get; init; }

    public string Hash { get; init; } = "";

    public long Size { get; init; }

    public int Files { get; init; }
}

/// <summary>A file stored with a run.</summary>
public sealed record ReportedArtifact(string Path, string Hash, long Size);

/// <summary>A data file checked against its schema, with what it breaks.</summary>
public sealed record ReportedDataCheck
{
    public required string Data { get; init; }

    public required string Schema { get; init; }

    /// <summary>Written, never read: it follows from <see cref="Violations"/>.</summary>
    public bool Passed => Violations.Count == 0;

    public IReadOnlyList<DataViolation> Violations { get; init; } = [];
}
