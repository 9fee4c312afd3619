using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.DotNet.Interactive.Formatting;
using MlopsNotebooks.Magics;
using MlopsNotebooks.Notebooks;
using MlopsNotebooks.Tracking;
using MlopsNotebooks.Versioning;

namespace MlopsNotebooks.Runner;

/// <summary>What to run, and how.</summary>
public sealed record RunRequest
{
    public required string NotebookPath { get; init; }

    /// <summary>Where the executed notebook goes; default <c>.mlops/notebooks/&lt;path in repo&gt;</c>.</summary>
    public string? OutputPath { get; init; }

    public IReadOnlyDictionary<string, string> Parameters { get; init; } = new Dictionary<string, string>();

    public TimeSpan? CellTimeout { get; init; }

    public TimeSpan? RunTimeout { get; init; }

    /// <summary>Go on after a failing cell (the run still fails).</summary>
    public bool ContinueOnError { get; init; }

    /// <summary>Skip cells in other languages and kernel magics this runner does not support, instead of failing.</summary>
    public bool SkipUnsupported { get; init; }

    /// <summary>Tags that every run the notebook starts gets, e.g. the id of the validation that runs it.</summary>
    public IReadOnlyDictionary<string, string> RunTags { get; init; } = new Dictionary<string, string>();

    /// <summary>A run the notebook's first <c>Mlops.StartRun</c> continues instead of starting one (a sweep's trial).</summary>
    public string? RunToContinue { get; init; }

    /// <summary>The tracking store the notebook's runs go to; null is the default (MLOPS_TRACKING_URI, else the work tree's).</summary>
    public string? TrackingUri { get; init; }

    /// <summary>Told every metric point the notebook logs (run, key, value, step): a sweep's pruner watches its trial's, and what it throws fails the cell.</summary>
    public Action<string, string, double, long>? MetricLogged { get; init; }
}

/// <summary>
/// Where and why a run failed, for annotations: the cell (1-based, in the executed notebook), the line in it, the kind
/// and message. <see cref="SourceCell"/> is the same cell's number in the notebook as committed (the injected
/// parameters cell is not there), or null for the injected cell itself.
/// </summary>
public sealed record FailedCell(int Cell, int? Line, string Kind, string Message)
{
    public int? SourceCell { get; init; }
}

/// <summary>How a run went. <see cref="Abandoned"/> is set when a timed-out cell is still running: end the process.</summary>
public sealed record RunResult(
    string Notebook,
    string Output,
    bool Succeeded,
    FailedCell? Failure,
    TimeSpan Duration,
    int CellsRun,
    IReadOnlyDictionary<string, string> Parameters,
    bool Abandoned)
{
    public JsonObject ToJson() => new()
    {
        ["notebook"] = Notebook,
        ["output"] = Output,
        ["status"] = Succeeded ? "succeeded" : "failed",
        ["failure"] = Failure is null ? null : new JsonObject
        {
            ["cell"] = Failure.Cell,
            ["source_cell"] = Failure.SourceCell,
            ["line"] = Failure.Line,
            ["kind"] = Failure.Kind,
            ["message"] = Failure.Message,
        },
        ["duration_ms"] = (long)Duration.TotalMilliseconds,
        ["cells_run"] = CellsRun,
        ["parameters"] = new JsonObject(Parameters.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => KeyValuePair.Create<string, JsonNode?>(p.Key, p.Value))),
    };
}

/// <summary>
/// Runs a committed notebook headless, like papermill: parameters injected after the parameters cell, cells executed in
/// one C# session, outputs and timings written into a copy of the notebook in its own format, and a failure (compile
/// error, exception, timeout) stops the run, is recorded in its cell and named in the result.
/// </summary>
public sealed class NotebookRunner
{

    private static readonly HashSet<string> PassThrough = ["markdown", "md", "html", "mermaid", "raw"];

    public async Task<RunResult> RunAsync(RunRequest request)
    {
        var clock = Stopwatch.StartNew();
        var path = Path.GetFullPath(request.NotebookPath);
        if (!File.Exists(path))
        {
            throw new MlopsException($"There is no notebook at {request.NotebookPath}.", "Check the path; it is relative to the current directory.");
        }
        var notebook = Notebook.Read(path);
        var output = OutputFile.Check(request.OutputPath ?? DefaultOutput(path), "--output");
        if (output == path)
        {
            throw new MlopsException("The output would overwrite the notebook itself.", "Pass --output with another path.");
        }

        // Parameters are checked before anything runs.
        var parameterCell = NotebookParameters.FindCell(notebook);
        var injectedAt = -1;
        if (request.Parameters.Count > 0)
        {
            if (parameterCell < 0)
            {
                throw new MlopsException($"{request.NotebookPath} has no parameters cell, so -p values have nowhere to go.",
                    "Tag a C# cell 'parameters' (in .dib: start it with '// parameters') and declare the defaults there, e.g. int epochs = 10;");
            }
            var injected = NotebookParameters.Inject(NotebookParameters.Declared(notebook.Cells[parameterCell].Source), request.Parameters);
            injectedAt = parameterCell + 1;
            notebook.Cells.Insert(injectedAt, new NotebookCell
            {
                Kind = CellKind.Code,
                Language = "csharp",
                Source = injected,
                Metadata = new JsonObject { ["tags"] = new JsonArray(NotebookParameters.InjectedTag) },
            });
        }
        // The runs the notebook starts go to a session of its own that knows the notebook: current for the cells'
        // code (and the tasks it starts), so notebooks run one after another in one process keep their own.
        using var session = new MlopsSession(RecordProvenance(notebook, path, request.Parameters, request.RunTags) with { RunId = request.RunToContinue }, request.TrackingUri)
        {
            MetricLogged = request.MetricLogged,
        };
        using var current = MlopsSession.Use(session);
        // A program a cell starts (a training script) logs runs of this notebook too: it reads them from its environment.
        using var inherited = ChildEnvironment.Set(session.Provenance.ToEnvironment());

        // Cells run in the notebook's folder, as in the kernel, so relative paths mean the same in both.
        var previousDirectory = Directory.GetCurrentDirectory();
        Directory.SetCurrentDirectory(Path.GetDirectoryName(path)!);
        var processes = CellProcesses.Watch();
        try
        {
            return await RunCellsAsync(request, notebook, path, output, clock, injectedAt, processes, session);
        }
        finally
        {
            processes.EndAll(); // what the cells started must not outlive the run (it would hold stdout open)
            Directory.SetCurrentDirectory(previousDirectory);
        }
    }

    private static async Task<RunResult> RunCellsAsync(RunRequest request, Notebook notebook, string path, string output, Stopwatch clock, int injectedAt,
        CellProcesses processes, MlopsSession tracking)
    {
        var resolver = new NuGetReferenceResolver(Path.GetDirectoryName(path)!);
        var session = new CSharpSession(resolver, Path.GetDirectoryName(path));
        await session.StartAsync();
        var cells = new CellExecution(session, resolver, new CellOptions { SkipUnsupported = request.SkipUnsupported, CellTimeout = request.CellTimeout });
        FailedCell? firstFailure = null;
        var cellsRun = 0;
        var executions = 0; // Jupyter's execution count: one per cell the kernel runs, whatever the cell holds
        var abandoned = false;
        var deadline = request.RunTimeout is { } total ? DateTimeOffset.UtcNow + total : (DateTimeOffset?)null;
        var (stdout, stderr) = (Console.Out, Console.Error);
        for (var i = 0; i < notebook.Cells.Count; i++)
        {
            var cell = notebook.Cells[i];
            if (!cell.IsCode)
            {
                continue;
            }
            cell.Outputs.Clear();
            if (firstFailure is not null && !request.ContinueOnError)
            {
                cell.ExecutionCount = null;
                continue;
            }
            var started = DateTimeOffset.UtcNow;
            var failure = IsPassThrough(cell) ? null : await cells.RunAsync(cell, i + 1, ++executions, path, deadline);
            if (failure is { Kind: "Timeout" })
            {
                Console.SetOut(stdout); // the abandoned cell still holds the captured writers
                Console.SetError(stderr);
                processes.EndAll(); // the cell's thread cannot be stopped; what it waits on can
                abandoned = true;
            }
            cellsRun++;
            Timing(cell, started, failure);
            if (failure is not null)
            {
                firstFailure ??= failure with
                {
                    Cell = i + 1,
                    SourceCell = injectedAt < 0 || i < injectedAt ? i + 1 : i == injectedAt ? null : i,
                };
                if (abandoned)
                {
                    break;
                }
            }
        }
        if (firstFailure is not null)
        {
            tracking.EndAll(RunStatus.Failed);
        }
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(output)!);
            notebook.Write(output);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Checked before the first cell; this is what changed since (a disk that filled, a folder removed).
            throw new MlopsException($"The executed notebook could not be written to {output}: {e.Message}", "Free some space or pass --output with another path, and run it again.");
        }
        return new RunResult(path, output, firstFailure is null, firstFailure, clock.Elapsed, cellsRun, request.Parameters, abandoned);
    }

    private static bool IsPassThrough(NotebookCell cell) => PassThrough.Contains(cell.Language.ToLowerInvariant());


    private static void Timing(NotebookCell cell, DateTimeOffset started, FailedCell? failure)
    {
        var ended = DateTimeOffset.UtcNow;
        // papermill's per-cell record, so tools that read papermill output read ours.
        cell.Metadata["papermill"] = new JsonObject
        {
            ["start_time"] = started.ToString("O", CultureInfo.InvariantCulture),
            ["end_time"] = ended.ToString("O", CultureInfo.InvariantCulture),
            ["duration"] = Math.Round((ended - started).TotalSeconds, 6),
            ["status"] = failure is null ? "completed" : "failed",
            ["exception"] = failure is not null,
        };
    }

    /// <summary>
    /// Links the runs the notebook starts to it: its path in the repository, content hash and parameters (tags of every
    /// run, through the provenance returned for its session), also written into the output's metadata.
    /// </summary>
    private static Provenance RecordProvenance(Notebook notebook, string path, IReadOnlyDictionary<string, string> parameters,
        IReadOnlyDictionary<string, string> runTags)
    {
        var hash = ContentHash.OfFile(path).ToString();
        var json = new JsonObject(parameters.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => KeyValuePair.Create<string, JsonNode?>(p.Key, p.Value)));
        notebook.Metadata["papermill"] = new JsonObject
        {
            ["input_path"] = path,
            ["parameters"] = json,
            ["environment_variables"] = new JsonObject(),
        };
        notebook.Metadata["mlops"] = new JsonObject { ["notebook_hash"] = hash, ["parameters"] = json.DeepClone() };
        return new Provenance(path, hash, json.ToJsonString(), runTags);
    }

    private static string DefaultOutput(string path)
    {
        var root = Storage.TrackingStores.FindWorkTreeRoot(Path.GetDirectoryName(path)!);
        return Path.Combine(Storage.TrackingStores.EnsureStateFolder(root), "notebooks", Path.GetRelativePath(root, path));
    }
}
