using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
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
    /// <summary>Kernel magics the headless runner does not do (they need the kernel's other languages or its UI).</summary>
    private static readonly HashSet<string> KernelMagics = ["set", "share", "value", "who", "whos", "lsmagic", "about", "import", "connect", "log"];

    private static readonly HashSet<string> OtherLanguages = ["fsharp", "f#", "pwsh", "powershell", "javascript", "js", "sql", "kql", "python", "r", "http"];

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
        using var session = new MlopsSession(RecordProvenance(notebook, path, request.Parameters, request.RunTags));
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
        var session = new CSharpSession(resolver);
        await session.StartAsync();
        FailedCell? firstFailure = null;
        var cellsRun = 0;
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
            var failure = await RunCellAsync(session, resolver, cell, i + 1, request, deadline);
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

    private static async Task<FailedCell?> RunCellAsync(CSharpSession session, NuGetReferenceResolver resolver, NotebookCell cell, int number,
        RunRequest request, DateTimeOffset? deadline)
    {
        var language = cell.Language.ToLowerInvariant();
        if (PassThrough.Contains(language))
        {
            return null;
        }
        var (code, magics) = SplitMagics(cell.Source);
        foreach (var magic in magics)
        {
            if (OtherLanguages.Contains(magic.Name) || magic.Name is "csharp" or "c#")
            {
                language = magic.Name is "c#" ? "csharp" : magic.Name;
            }
        }
        if (language is not ("csharp" or "c#"))
        {
            return Unsupported(cell, number, request, null, $"Cell {number} is in {language}; the headless runner runs C# only.",
                "Rewrite it in C#, or pass --skip-unsupported to skip such cells.");
        }
        var timed = false;
        var host = new MagicHost(session.DeclaredVariables);
        foreach (var magic in magics.Where(m => !OtherLanguages.Contains(m.Name) && m.Name is not ("csharp" or "c#")))
        {
            if (magic.Name == MagicParser.Directive)
            {
                try
                {
                    var invocation = MagicParser.Parse(magic.Arguments, MlopsMagics.All, host);
                    var shown = invocation.Command.Handler(invocation);
                    if (shown is not null)
                    {
                        cell.Outputs.Add(ValueFormatter.Display(shown)); // a string too: the kernel displays it, as text/plain
                    }
                }
                catch (MlopsException e)
                {
                    return Fail(cell, number, host, "MagicCommandError", magic.Line, $"Cell {number}, line {magic.Line}: {e.Message}", e.Hint);
                }
                catch (Exception e)
                {
                    // A magic runs the kit's code on the notebook's values: whatever it throws fails its cell, as the
                    // cell's own code would, and the run goes on to end FAILED with the notebook written.
                    return Fail(cell, number, host, "MagicCommandError", magic.Line,
                        $"Cell {number}, line {magic.Line}: #!{magic.Name} {magic.Arguments} failed: {e.GetType().Name}: {e.Message}", null);
                }
            }
            else if (magic.Name == "time")
            {
                timed = true;
            }
            else if (KernelMagics.Contains(magic.Name))
            {
                var failure = Unsupported(cell, number, request, host, $"Cell {number} uses the kernel magic #!{magic.Name}, which the headless runner does not support.",
                    "Remove it, or pass --skip-unsupported to skip such cells.");
                if (failure is not null || request.SkipUnsupported)
                {
                    return failure;
                }
            }
            else
            {
                return Fail(cell, number, host, "UnknownMagic", magic.Line, $"Cell {number}, line {magic.Line}: unknown magic command #!{magic.Name}.", null);
            }
        }

        try
        {
            code = TakePackages(code, resolver, session);
        }
        catch (MlopsException e)
        {
            return Fail(cell, number, host, "PackageRestoreError", null, e.Message, e.Hint, summary: e.Describe());
        }
        var timeout = request.CellTimeout;
        if (deadline is { } end)
        {
            var left = end - DateTimeOffset.UtcNow;
            timeout = timeout is null || left < timeout ? left : timeout;
        }
        var clock = Stopwatch.StartNew();
        using var abandon = new CancellationTokenSource();
        var run = Task.Run(() => session.RunAsync(code, number, cell.Outputs, abandon.Token));
        if (timeout is { } limit && await Task.WhenAny(run, Task.Delay(limit > TimeSpan.Zero ? limit : TimeSpan.Zero)) != run)
        {
            await abandon.CancelAsync(); // what the cell's code still writes no longer reaches the notebook
            cell.ExecutionCount = session.ExecutionCount; // its code started
            return Fail(cell, number, host, "Timeout", null, $"Cell {number} did not finish within {limit.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)} s.",
                "Raise --cell-timeout or --timeout, or make the cell faster.");
        }
        var execution = await run;
        cell.ExecutionCount = session.ExecutionCount;
        NotebookCells.Record(number, cell.Source, clock.Elapsed);
        host.Finish(execution.Failure is null);
        if (timed)
        {
            cell.Outputs.Add(ValueFormatter.Display($"Wall time: {clock.Elapsed.TotalMilliseconds.ToString("0.###", CultureInfo.InvariantCulture)}ms")); // after the value, as the kernel shows it
        }
        return execution.Failure is { } f ? new FailedCell(number, f.Line, f.Kind, Summary(f.Message)) : null;
    }

    /// <summary>The first line of a message, at most 400 characters: enough for an annotation; the cell keeps it all.</summary>
    private static string Summary(string message)
    {
        var first = message.Split('\n')[0].TrimEnd();
        return first.Length > 400 ? first[..400] + " ..." : first;
    }

    private static FailedCell? Unsupported(NotebookCell cell, int number, RunRequest request, MagicHost? host, string message, string hint)
    {
        if (request.SkipUnsupported)
        {
            cell.Outputs.Add(CellOutput.Stream("stderr", $"Skipped: {message}\n"));
            return null;
        }
        return Fail(cell, number, host, "Unsupported", 1, message, hint, summary: $"{message} {hint}");
    }

    /// <summary>
    /// Records a failure in its cell and ends what the cell's magic commands started (a tracked run ends FAILED). The
    /// execution count stays as it is: set only where code ran. The cell shows it as the kernel shows a failed command:
    /// named Error, the message with the hint under it, without the "Cell N, line L:" that the run's report needs.
    /// </summary>
    private static FailedCell Fail(NotebookCell cell, int number, MagicHost? host, string kind, int? line, string message, string? hint, string? summary = null)
    {
        var shown = message.StartsWith($"Cell {number}, line {line}: ", StringComparison.Ordinal) ? message[$"Cell {number}, line {line}: ".Length..] : message;
        shown = hint is null ? shown : $"{shown}\n{hint}";
        cell.Outputs.Add(CellOutput.Error(CSharpSession.ErrorName, shown, [shown]));
        host?.Finish(succeeded: false);
        return new FailedCell(number, line, kind, summary ?? Summary(message));
    }

    /// <summary>Magic lines (<c>#!name args</c>) at the top of a cell, and the code after them with its line numbers kept.</summary>
    internal static (string Code, IReadOnlyList<(string Name, string Arguments, int Line)> Magics) SplitMagics(string source)
    {
        var lines = source.Replace("\r\n", "\n").Split('\n');
        var magics = new List<(string, string, int)>();
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            if (line.Length == 0)
            {
                continue;
            }
            if (!line.StartsWith("#!", StringComparison.Ordinal))
            {
                break;
            }
            var space = line.IndexOf(' ');
            var name = (space < 0 ? line[2..] : line[2..space]).ToLowerInvariant();
            magics.Add((name, space < 0 ? "" : line[(space + 1)..].Trim(), i + 1));
            lines[i] = ""; // keep the line so that error lines still match the cell
        }
        return (string.Join("\n", lines), magics);
    }

    /// <summary>
    /// Takes <c>#i "nuget: source"</c> and <c>#r "nuget: ..."</c> lines out of the code (C# scripting knows neither),
    /// restores the packages and adds their assemblies to the session. Line numbers are kept.
    /// </summary>
    private static string TakePackages(string code, NuGetReferenceResolver resolver, CSharpSession session)
    {
        var lines = code.Split('\n');
        var packages = new List<string>();
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            if (line.StartsWith("#i ", StringComparison.Ordinal))
            {
                var value = line[3..].Trim().Trim('"');
                resolver.Sources.Add(value.StartsWith("nuget:", StringComparison.OrdinalIgnoreCase) ? value["nuget:".Length..].Trim() : value);
                lines[i] = "";
            }
            else if (line.StartsWith("#r ", StringComparison.Ordinal) && line[3..].Trim().Trim('"').StartsWith("nuget:", StringComparison.OrdinalIgnoreCase))
            {
                packages.Add(line[3..].Trim().Trim('"')["nuget:".Length..].Trim());
                lines[i] = "";
            }
        }
        if (packages.Count > 0)
        {
            foreach (var package in packages)
            {
                resolver.AddPackage(package);
            }
            session.AddReferences(resolver.RestoreAll());
        }
        return string.Join("\n", lines);
    }

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
