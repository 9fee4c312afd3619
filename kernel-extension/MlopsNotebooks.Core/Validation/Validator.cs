using Microsoft.Extensions.FileSystemGlobbing;
using MlopsNotebooks.Tracking;

namespace MlopsNotebooks.Validation;

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

/// <summary>What a notebook run is asked: the notebook, its parameters, the cell timeout, the tags every run it starts gets.</summary>
public sealed record NotebookExecution(string NotebookPath, IReadOnlyDictionary<string, string> Parameters, TimeSpan? CellTimeout, IReadOnlyDictionary<string, string> RunTags);

/// <summary>
/// Runs a notebook headless and says how it went (the core has no notebook runner: a host gives one, e.g. the mlops
/// tool's Roslyn runner). The result's notebook path and runs are filled in by the validator.
/// </summary>
public interface INotebookExecutor
{
    Task<ReportedNotebook> RunAsync(NotebookExecution execution);
}

/// <summary>
/// Validates a pull request's notebooks: runs them with parameters (each run they start is recorded), checks data against
/// its schema, applies the model gates to the best metrics the runs logged, against the base branch's baseline. Returns
/// the report, whose findings say what broke and where; hosts show them (the validate action as annotations).
/// </summary>
public sealed class Validator(INotebookExecutor notebooks, TrackingClient client)
{
    private const int RunQueryLimit = 50_000;

    public async Task<ValidationReport> ValidateAsync(ValidateRequest request)
    {
        // The configuration is read first: a gates file or schema that does not parse fails before any notebook runs.
        var gatesPath = request.Gates ?? (File.Exists(Path.Combine(request.Root, "mlops-gates.yaml")) ? "mlops-gates.yaml" : null);
        var gates = gatesPath is null ? null : ModelGates.Load(Path.Combine(request.Root, gatesPath), gatesPath);
        var schemas = request.Data.Select(d => (d.Data, d.Schema, Loaded: DataSchema.Load(Path.Combine(request.Root, d.Schema), d.Schema))).ToList();
        var ran = new List<ReportedNotebook>();
        var runs = new List<Run>();
        // Every run the notebooks start is tagged with this validation's id: other validations may be logging to the
        // same store at the same time, even from clones with the same notebook paths.
        var validationId = Guid.NewGuid().ToString("N");
        foreach (var path in Expand(request.Root, request.Notebooks))
        {
            var filter = $"tags.`{RunContext.ValidationId}` = '{validationId}'"
                + $" and tags.`{RunContext.SourceName}` = '{path.Replace("'", "''", StringComparison.Ordinal)}'";
            var result = await notebooks.RunAsync(new NotebookExecution(Path.Combine(request.Root, path), request.Parameters, request.CellTimeout,
                new Dictionary<string, string> { [RunContext.ValidationId] = validationId }));
            var startedRuns = client.SearchRuns(filter: filter, orderBy: "attributes.start_time ASC", maxResults: RunQueryLimit).ToList();
            runs.AddRange(startedRuns);
            ran.Add(result with
            {
                Notebook = path,
                Runs = [.. startedRuns.Select(r => r.RunId)],
                Failure = result.Failure is { } failure
                    ? failure with { FileLine = NotebookLines.Locate(Path.Combine(request.Root, path), failure.SourceCell ?? failure.Cell, failure.Line) }
                    : null,
            });
        }

        var data = schemas.Select(s => new ReportedDataCheck { Data = s.Data, Schema = s.Schema, Violations = s.Loaded.Validate(Path.Combine(request.Root, s.Data)) }).ToList();
        var warnings = new List<Finding>();
        var candidate = Baseline.Of("this branch", gates, runs);
        var baselineSource = request.Baseline ?? gates?.Baseline;
        // A baseline file named by an absolute path (one the workflow wrote, e.g. `mlops baseline`'s) is read as it is on
        // disk: only a repository path can be read at the base branch's ref.
        var baselineRef = request.Baseline is { } named && Path.IsPathRooted(named) ? null : request.BaselineRef;
        var baseline = baselineSource is null ? null : ReadBaseline(request.Root, baselineSource, baselineRef, gates, runs, warnings);
        Snapshot = candidate;
        return new ValidationReport
        {
            Notebooks = ran,
            Runs = [.. runs.Select(r => ReportedRun.Of(r, key => client.GetMetricHistory(r.RunId, key)))],
            Data = data,
            Candidate = Sorted(candidate.Metrics),
            CandidateParams = Sorted(candidate.Params),
            CandidateData = Sorted(candidate.Data),
            Baseline = baseline is null ? null : Sorted(baseline.Metrics),
            BaselineParams = baseline is null ? null : Sorted(baseline.Params),
            BaselineData = baseline is null ? null : Sorted(baseline.Data),
            BaselineSource = baseline?.Source,
            BaselineStore = baseline?.Store,
            BaselineRuns = baseline?.Store is null ? null : baseline.RunIds,
            Gates = gates?.Evaluate(candidate.Metrics, baseline?.Metrics),
            Warnings = warnings,
        };
    }

    private static Dictionary<string, T> Sorted<T>(IReadOnlyDictionary<string, T> map) =>
        map.OrderBy(p => p.Key, StringComparer.Ordinal).ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);

    /// <summary>What the last validation measured: the next baseline, as <c>--metrics-out</c> writes it.</summary>
    public Baseline? Snapshot { get; private set; }

    /// <summary>
    /// The baseline: <c>store:&lt;branch&gt;</c> reads the tracking store; anything else is a metrics file, read from the
    /// work tree or at the base branch's ref. Missing is no baseline, with a warning.
    /// </summary>
    private Baseline? ReadBaseline(string root, string source, string? gitRef, ModelGates? gates, IReadOnlyList<Run> ours, List<Finding> warnings)
    {
        if (source.StartsWith(Baseline.StorePrefix, StringComparison.Ordinal))
        {
            var branch = source[Baseline.StorePrefix.Length..];
            var stored = Baseline.FromStore(client, branch, gates, ours.Select(r => r.RunId).ToHashSet(StringComparer.Ordinal));
            if (stored is null)
            {
                warnings.Add(NoBaseline($"The tracking store has no finished runs of branch {branch}: regression gates compare against nothing."));
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
            warnings.Add(NoBaseline($"No baseline metrics at {where}: regression gates compare against nothing."));
            return null;
        }
        return Baseline.Parse(where, text);
    }

    private static Finding NoBaseline(string message) => new(FindingKind.Baseline, Severity.Warning, message, null, null, "No baseline");

    /// <summary>The notebooks (and file-based apps) the globs match, repo-relative with forward slashes, in order; none is an error.</summary>
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
            .Where(f => f.EndsWith(".ipynb", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".dib", StringComparison.OrdinalIgnoreCase)
                || f.EndsWith(".cs", StringComparison.OrdinalIgnoreCase)) // file-based apps, run by the host's executor
            .Where(f => !f.StartsWith(".mlops/", StringComparison.Ordinal)) // executed copies
            .Order(StringComparer.Ordinal).ToList();
        return files.Count > 0 ? files : throw new NotFoundException($"No notebook matches {string.Join(", ", globs)}.",
            "Globs are relative to the repository root, e.g. notebooks/**/*.ipynb.");
    }
}
