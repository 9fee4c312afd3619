using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace MlopsNotebooks.GitHub.Reporting;

/// <summary>
/// The report data <c>mlops validate</c> writes (<c>report.json</c>), read into typed records. On a fork's pull request
/// it is the pull request's own output, so it is read strictly: a wrong type, a null where a value belongs, a missing
/// required field or a field given twice is an error naming the field. Fields the report does not use are skipped.
/// The verdict is never read from it: <see cref="Passed"/> follows from the findings it shows.
/// </summary>
public sealed record ReportData
{
    public IReadOnlyList<ReportedNotebook> Notebooks { get; init; } = [];

    public IReadOnlyList<ReportedRun> Runs { get; init; } = [];

    public IReadOnlyList<ReportedDataCheck> Data { get; init; } = [];

    public IReadOnlyList<ReportedGate>? Gates { get; init; }

    /// <summary>The best value of each metric on this branch, and on the base branch.</summary>
    public IReadOnlyDictionary<string, double>? Candidate { get; init; }

    public IReadOnlyDictionary<string, double>? Baseline { get; init; }

    public string? BaselineSource { get; init; }

    public IReadOnlyDictionary<string, string>? CandidateParams { get; init; }

    public IReadOnlyDictionary<string, string>? BaselineParams { get; init; }

    public IReadOnlyDictionary<string, string>? CandidateData { get; init; }

    public IReadOnlyDictionary<string, string>? BaselineData { get; init; }

    /// <summary>The pull request the validation ran for: a claim, believed only for its head commit.</summary>
    public int? PullRequest { get; init; }

    public string? HeadSha { get; init; }

    /// <summary>Every notebook ran through, every data file meets its schema, every gate passed.</summary>
    [JsonIgnore]
    public bool Passed => Notebooks.All(n => n.Failure is null) && Data.All(d => d.Violations.Count == 0) && (Gates ?? []).All(g => g.Passed);

    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        RespectNullableAnnotations = true,
        AllowDuplicateProperties = false,
        // mlops validate writes a metric that is not a number as "NaN" (RunJson); any other string is refused.
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>Reads report data from its JSON text; <paramref name="source"/> names it in messages.</summary>
    public static ReportData Read(string json, string source)
    {
        try
        {
            return (JsonSerializer.Deserialize<ReportData>(json, Options) ?? throw Problem(source, "the report is null", null)).Checked(source);
        }
        catch (JsonException e)
        {
            throw Problem(source, e);
        }
    }

    /// <summary>Report data already parsed (the validate step's own, before it is written).</summary>
    public static ReportData From(JsonObject report, string source)
    {
        try
        {
            return (report.Deserialize<ReportData>(Options) ?? throw Problem(source, "the report is null", null)).Checked(source);
        }
        catch (JsonException e)
        {
            throw Problem(source, e);
        }
    }

    private static MlopsException Problem(string source, JsonException e)
    {
        var at = e.LineNumber is { } line ? $" (line {line + 1})" : "";
        if (e.InnerException?.GetType().Name == "JsonReaderException")
        {
            return new MlopsException($"{source} is not valid JSON{at}: it may have been cut short.",
                "It must be the report.json mlops validate writes; nothing was posted.");
        }
        var reason = e.Message.Contains("missing required properties", StringComparison.Ordinal) ? "a required field is missing"
            : e.Message.Contains("Duplicate", StringComparison.OrdinalIgnoreCase) ? "a field is given twice"
            : "the value has the wrong type, or is null where a value belongs";
        return Problem(source, reason, (e.Path is { Length: > 1 } path ? path.TrimStart('$', '.') : "the top") + at);
    }

    private static MlopsException Problem(string source, string reason, string? field) => new(
        $"{source} is not the report data mlops validate writes: {(field is { Length: > 0 } ? $"at {field}, " : "")}{reason}.",
        "Report data comes from the validate step's mlops-report artifact; nothing was posted.");

    // Nullable annotations are not enforced inside collections, so null entries are refused here, by their place.
    private ReportData Checked(string source)
    {
        void NotNull(object? value, string field)
        {
            if (value is null)
            {
                throw Problem(source, "the value is null where a value belongs", field);
            }
        }
        void Values<T>(IReadOnlyDictionary<string, T>? map, string field)
        {
            foreach (var (key, value) in map ?? new Dictionary<string, T>())
            {
                NotNull(value, $"{field}.{key}");
            }
        }
        for (var i = 0; i < Notebooks.Count; i++)
        {
            NotNull(Notebooks[i], $"notebooks[{i}]");
            for (var j = 0; j < Notebooks[i].Runs.Count; j++)
            {
                NotNull(Notebooks[i].Runs[j], $"notebooks[{i}].runs[{j}]");
            }
        }
        for (var i = 0; i < Runs.Count; i++)
        {
            var run = Runs[i];
            NotNull(run, $"runs[{i}]");
            Values(run.Params, $"runs[{i}].params");
            for (var j = 0; j < run.Inputs.Count; j++)
            {
                NotNull(run.Inputs[j], $"runs[{i}].inputs[{j}]");
            }
            foreach (var (key, points) in run.History)
            {
                NotNull(points, $"runs[{i}].history.{key}");
                for (var j = 0; j < points.Count; j++)
                {
                    if (points[j] is not [var step, _] || step != Math.Floor(step) || !double.IsFinite(step))
                    {
                        throw Problem(source, "a point must be [step, value] with a whole step", $"runs[{i}].history.{key}[{j}]");
                    }
                }
            }
        }
        for (var i = 0; i < Data.Count; i++)
        {
            NotNull(Data[i], $"data[{i}]");
            for (var j = 0; j < Data[i].Violations.Count; j++)
            {
                NotNull(Data[i].Violations[j], $"data[{i}].violations[{j}]");
            }
        }
        for (var i = 0; i < (Gates?.Count ?? 0); i++)
        {
            NotNull(Gates![i], $"gates[{i}]");
        }
        Values(CandidateParams, "candidate_params");
        Values(BaselineParams, "baseline_params");
        Values(CandidateData, "candidate_data");
        Values(BaselineData, "baseline_data");
        return this;
    }
}

/// <summary>A notebook the validation ran: how many cells ran, the runs it started, and where it failed, if it did.</summary>
public sealed record ReportedNotebook
{
    public required string Notebook { get; init; }

    public int CellsRun { get; init; }

    public ReportedFailure? Failure { get; init; }

    public IReadOnlyList<string> Runs { get; init; } = [];
}

/// <summary>Where a notebook failed: the cell (as run, and in the file), the line in the cell and in the file, and why.</summary>
public sealed record ReportedFailure
{
    public int Cell { get; init; }

    public int? SourceCell { get; init; }

    public int? Line { get; init; }

    public int? FileLine { get; init; }

    public string Kind { get; init; } = "";

    public string Message { get; init; } = "";
}

/// <summary>A run the notebooks started: its params, the data it used, and the steps of each metric logged more than once.</summary>
public sealed record ReportedRun
{
    public required string RunId { get; init; }

    public string? RunName { get; init; }

    public IReadOnlyDictionary<string, string> Params { get; init; } = new Dictionary<string, string>();

    public IReadOnlyList<ReportedInput> Inputs { get; init; } = [];

    /// <summary>Per metric, its points as <c>[step, value]</c>.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<double[]>> History { get; init; } = new Dictionary<string, IReadOnlyList<double[]>>();

    [JsonIgnore]
    public string DisplayName => RunName is { Length: > 0 } name ? name : RunId;
}

/// <summary>A data version a run used.</summary>
public sealed record ReportedInput
{
    public required string Path { get; init; }

    public string Hash { get; init; } = "";
}

/// <summary>A data file checked against its schema, with what it breaks.</summary>
public sealed record ReportedDataCheck
{
    public required string Data { get; init; }

    public required string Schema { get; init; }

    public IReadOnlyList<ReportedViolation> Violations { get; init; } = [];
}

public sealed record ReportedViolation
{
    public string? Column { get; init; }

    public int? Line { get; init; }

    public string Message { get; init; } = "";
}

/// <summary>A model gate and whether it passed.</summary>
public sealed record ReportedGate
{
    public required string Gate { get; init; }

    public required bool Passed { get; init; }

    public string Detail { get; init; } = "";
}
