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
    /// <summary>Kernel magics the headless runner does not do (they need the kernel's other languages or its UI).</summary>
    private static readonly HashSet<string> KernelMagics = ["set", "share", "who", "whos", "lsmagic", "about", "connect", "log"];

    /// <summary>The magic commands the runner does itself.</summary>
    private static readonly HashSet<string> Directives = [MagicParser.Directive, "time", "markdown", "import"];

    /// <summary>The languages whose parts the runner runs (C#) or shows (HTML, Mermaid) itself.</summary>
    private static readonly HashSet<string> RunnerLanguages = ["csharp", "html", "mermaid"];

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
            var failure = IsPassThrough(cell) ? null : await RunCellAsync(session, resolver, path, cell, i + 1, ++executions, request, deadline);
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

    private static async Task<FailedCell?> RunCellAsync(CSharpSession session, NuGetReferenceResolver resolver, string notebook, NotebookCell cell, int number,
        int execution, RunRequest request, DateTimeOffset? deadline)
    {
        var language = cell.Language.ToLowerInvariant();
        cell.ExecutionCount = execution;
        var run = new CellRun(session, resolver, cell, number, execution, request, deadline, new MagicHost(session.DeclaredVariables));
        var clock = Stopwatch.StartNew();
        var failure = await RunSourceAsync(run, cell.Source, language is "c#" ? "csharp" : language, [notebook]); // a notebook that imports itself is a loop
        if (failure is { Kind: "Timeout" })
        {
            return failure;
        }
        if (run.CodeRan)
        {
            NotebookCells.Record(number, cell.Source, clock.Elapsed);
        }
        run.Host.Finish(failure is null);
        if (run.Timed && failure is null) // the kernel shows no time for a cell that failed
        {
            // As Jupyter's #!time shows it: once the cell is done, after its outputs.
            cell.Outputs.Add(ValueFormatter.Display($"Wall time: {clock.Elapsed.TotalMilliseconds.ToString(CultureInfo.InvariantCulture)}ms", "text/plain"));
        }
        return failure;
    }

    /// <summary>One cell being run: what its parts (and the files it imports) share.</summary>
    private sealed record CellRun(CSharpSession Session, NuGetReferenceResolver Resolver, NotebookCell Cell, int Number, int Execution,
        RunRequest Request, DateTimeOffset? Deadline, MagicHost Host)
    {
        public bool Timed { get; set; }

        public bool CodeRan { get; set; }
    }

    /// <summary>
    /// Runs a cell's source (or an imported file's) part by part, as the kernel runs a submission: a magic command or a
    /// kernel selector on any line, each C# part a submission of its own in the one session. A part the runner cannot
    /// run refuses the source before anything of it runs, unless skipped; then it is named in the output.
    /// </summary>
    private static async Task<FailedCell?> RunSourceAsync(CellRun run, string source, string language, IReadOnlyList<string> importing)
    {
        var (cell, number, request) = (run.Cell, run.Number, run.Request);
        var parts = CellParts.Parse(source, language).ToList();
        foreach (var part in parts)
        {
            var refused = part switch
            {
                DirectivePart d when !Directives.Contains(d.Name) && !KernelMagics.Contains(d.Name) =>
                    Fail(cell, number, run.Host, "UnknownMagic", d.Line, $"Cell {number}, line {d.Line}: unknown magic command #!{d.Name}.",
                        "A line that starts with #! is a magic command wherever it is in a cell, also inside a string or a comment, in the kernel as here; indent it to keep it in the code."),
                _ when request.SkipUnsupported => null,
                CodePart c when !RunnerLanguages.Contains(c.Language) => Unsupported(run, c.Line, OtherLanguage(c, parts.Count, number),
                    "Rewrite it in C#, or pass --skip-unsupported to skip such parts."),
                DirectivePart d when KernelMagics.Contains(d.Name) => Unsupported(run, d.Line, KernelMagic(d, number),
                    "Remove it, or pass --skip-unsupported to skip such magics (the rest of the cell still runs)."),
                _ => null,
            };
            if (refused is not null)
            {
                return refused;
            }
        }
        // Packages first, as the kernel restores a submission's #r "nuget:" lines before its code runs.
        for (var i = 0; i < parts.Count; i++)
        {
            if (parts[i] is CodePart { Language: "csharp" } code)
            {
                try
                {
                    parts[i] = code with { Code = TakePackages(code.Code, run.Resolver, run.Session) };
                }
                catch (MlopsException e)
                {
                    return Fail(cell, number, run.Host, "PackageRestoreError", null, e.Message, e.Hint, summary: e.Describe());
                }
            }
        }
        foreach (var part in parts)
        {
            var failure = part switch
            {
                CodePart { Language: "csharp" } code => await RunCodeAsync(run, code),
                CodePart { Language: "html" } html => Shown(cell, html.Code.Trim(), "text/html"),
                CodePart { Language: "mermaid" } mermaid => Shown(cell, KernelDisplays.MermaidHtml(mermaid.Code.Trim(), $"{number}:{cell.Outputs.Count}"), "text/html"),
                CodePart other => Skipped(cell, OtherLanguage(other, parts.Count, number)),
                DirectivePart { Name: MagicParser.Directive } magic => RunMagic(run, magic),
                DirectivePart { Name: "time" } => Timed(run),
                // Jupyter's #!markdown shows the whole source as Markdown and ends it.
                DirectivePart { Name: "markdown" } => Shown(cell, KernelDisplays.MarkdownHtml(source.Replace("#!markdown", "", StringComparison.Ordinal).Trim()), "text/html"),
                DirectivePart { Name: "import" } import => await ImportAsync(run, import, importing),
                DirectivePart magic => Skipped(cell, KernelMagic(magic, number)),
                _ => null,
            };
            if (failure is not null || part is DirectivePart { Name: "markdown" })
            {
                return failure;
            }
        }
        return null;
    }

    private static string OtherLanguage(CodePart part, int parts, int number) =>
        $"Cell {number}{(parts == 1 || part.Line == 1 ? "" : $", line {part.Line - 1}")} is in {part.Language}; the headless runner runs C# only.";

    private static string KernelMagic(DirectivePart magic, int number) =>
        $"Cell {number} uses the kernel magic #!{magic.Name}, which the headless runner does not support.";

    private static FailedCell? Shown(NotebookCell cell, string content, string mimeType)
    {
        // The content is the output itself (HTML to show as it is), not a value to format.
        cell.Outputs.Add(ValueFormatter.Display([new FormattedValue(mimeType, content)]));
        return null;
    }

    private static FailedCell? Skipped(NotebookCell cell, string message)
    {
        cell.Outputs.Add(CellOutput.Stream("stderr", $"Skipped: {message}\n"));
        return null;
    }

    private static FailedCell? Timed(CellRun run)
    {
        run.Timed = true;
        return null;
    }

    private static FailedCell? RunMagic(CellRun run, DirectivePart magic)
    {
        var (cell, number) = (run.Cell, run.Number);
        try
        {
            var invocation = MagicParser.Parse(magic.Arguments, MlopsMagics.All, run.Host);
            var shown = invocation.Command.Handler(invocation);
            if (shown is not null)
            {
                cell.Outputs.Add(ValueFormatter.Display(shown)); // a string too: the kernel displays it, as text/plain
            }
            return null;
        }
        catch (MlopsException e)
        {
            return Fail(cell, number, run.Host, "MagicCommandError", magic.Line, $"Cell {number}, line {magic.Line}: {e.Message}", e.Hint);
        }
        catch (Exception e)
        {
            // A magic runs the kit's code on the notebook's values: whatever it throws fails its cell, as the
            // cell's own code would, and the run goes on to end FAILED with the notebook written.
            return Fail(cell, number, run.Host, "MagicCommandError", magic.Line,
                $"Cell {number}, line {magic.Line}: #!{magic.Name} {magic.Arguments} failed: {e.GetType().Name}: {e.Message}", null);
        }
    }

    /// <summary>One C# part as a submission, within what is left of the cell's and the run's time.</summary>
    private static async Task<FailedCell?> RunCodeAsync(CellRun run, CodePart part)
    {
        var (session, cell, number) = (run.Session, run.Cell, run.Number);
        var timeout = run.Request.CellTimeout;
        if (run.Deadline is { } end)
        {
            var left = end - DateTimeOffset.UtcNow;
            timeout = timeout is null || left < timeout ? left : timeout;
        }
        run.CodeRan = true;
        using var abandon = new CancellationTokenSource();
        var execution = Task.Run(() => session.RunAsync(part.NumberedCode, number, run.Execution, cell.Outputs, abandon.Token));
        if (timeout is { } limit && await Task.WhenAny(execution, Task.Delay(limit > TimeSpan.Zero ? limit : TimeSpan.Zero)) != execution)
        {
            await abandon.CancelAsync(); // what the cell's code still writes no longer reaches the notebook
            return Fail(cell, number, run.Host, "Timeout", null, $"Cell {number} did not finish within {limit.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)} s.",
                "Raise --cell-timeout or --timeout, or make the cell faster.");
        }
        return await execution is { } f ? new FailedCell(number, f.Line, f.Kind, Summary(f.Message)) : null;
    }

    /// <summary>
    /// <c>#!import</c> as the kernel does it: the file's path is relative to the notebook's folder (the kernel's working
    /// folder); a C# file runs as one submission; a notebook's markdown cells are shown as Markdown and its code cells
    /// run in order, each as a cell of its own would.
    /// </summary>
    private static async Task<FailedCell?> ImportAsync(CellRun run, DirectivePart import, IReadOnlyList<string> importing)
    {
        var (cell, number) = (run.Cell, run.Number);
        var argument = (import.Arguments == "--file" || import.Arguments.StartsWith("--file ", StringComparison.Ordinal) ? import.Arguments["--file".Length..].Trim() : import.Arguments).Trim('"');
        FailedCell Refuse(string message, string hint) =>
            Fail(cell, number, run.Host, "MagicCommandError", import.Line, $"Cell {number}, line {import.Line}: #!import {import.Arguments}: {message}", hint);
        if (argument.Length == 0)
        {
            return Fail(cell, number, run.Host, "MagicCommandError", import.Line, $"Cell {number}, line {import.Line}: #!import needs the file to import.",
                "Write #!import path/to/file.cs (or a .csx, .ipynb or .dib file), relative to the notebook's folder.");
        }
        var path = Path.GetFullPath(argument);
        var language = Path.GetExtension(path).ToLowerInvariant() switch
        {
            ".cs" or ".csx" => "csharp",
            ".fs" or ".fsx" => "fsharp",
            ".ps1" => "pwsh",
            ".js" => "javascript",
            ".ipynb" or ".dib" => "notebook",
            _ => null,
        };
        if (Directory.Exists(path))
        {
            return Refuse($"{path} is a folder, not a file.", "Name a notebook (.ipynb, .dib) or a C# file (.cs, .csx) in it.");
        }
        if (language is null)
        {
            return Refuse($"the runner imports notebooks (.ipynb, .dib) and C# files (.cs, .csx), not {Path.GetExtension(path)} files.",
                "Import a notebook or a C# file; read data files from the code.");
        }
        if (!File.Exists(path))
        {
            return Refuse($"there is no file at {path}.", "The path is relative to the notebook's folder, as in the kernel.");
        }
        if (importing.Contains(path))
        {
            return Refuse($"{Path.GetFileName(path)} imports itself ({string.Join(" -> ", importing.Append(path).Select(Path.GetFileName))}).",
                "Remove the #!import that closes the loop.");
        }
        if (language is not ("csharp" or "notebook"))
        {
            var message = $"Cell {number}, line {import.Line}: #!import {import.Arguments}: {Path.GetFileName(path)} is in {language}; the headless runner runs C# only.";
            return run.Request.SkipUnsupported ? Skipped(cell, message) : Unsupported(run, import.Line, message, "Import a C# file or a notebook, or pass --skip-unsupported to skip it.");
        }
        var chain = importing.Append(path).ToList();
        FailedCell? failure;
        try
        {
            failure = language == "notebook" ? await ImportNotebookAsync(run, Notebook.Read(path), chain) : await RunSourceAsync(run, ScriptText(run, import, path), language, chain);
        }
        catch (MlopsException e)
        {
            return Refuse(e.Message, e.Hint ?? "Check the file.");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Refuse($"{path} could not be read: {e.Message}", "Check the file's permissions.");
        }
        // The kernel drops the failures of what it imports and goes on; a run that checks a notebook must not.
        return failure is null ? null : failure with { Line = import.Line, Message = $"#!import {import.Arguments}: {failure.Message}" };
    }

    /// <summary>
    /// A C# file's text; a script's interpreter line (<c>#!/usr/bin/env dotnet-script</c>) is left out with a note on
    /// stderr, as the kernel reports it and runs the rest. Line numbers are kept.
    /// </summary>
    private static string ScriptText(CellRun run, DirectivePart import, string path)
    {
        var text = File.ReadAllText(path);
        if (!text.StartsWith("#!/", StringComparison.Ordinal))
        {
            return text;
        }
        var end = text.IndexOf('\n');
        var first = (end < 0 ? text : text[..end]).TrimEnd();
        run.Cell.Outputs.Add(CellOutput.Stream("stderr",
            $"Cell {run.Number}, line {import.Line}: #!import {import.Arguments}: line 1 of {Path.GetFileName(path)} ({first}) is a script's interpreter line; it is not run.\n"));
        return end < 0 ? "" : "\n" + text[(end + 1)..];
    }

    private static async Task<FailedCell?> ImportNotebookAsync(CellRun run, Notebook notebook, IReadOnlyList<string> importing)
    {
        foreach (var imported in notebook.Cells)
        {
            var language = imported.Language.ToLowerInvariant();
            var failure = imported.Kind == CellKind.Markdown || language is "markdown" or "md"
                ? Shown(run.Cell, imported.Source, "text/markdown")
                : imported.Kind == CellKind.Code ? await RunSourceAsync(run, imported.Source, language is "c#" ? "csharp" : language, importing) : null;
            if (failure is not null)
            {
                return failure;
            }
        }
        return null;
    }

    /// <summary>The first line of a message, at most 400 characters: enough for an annotation; the cell keeps it all.</summary>
    private static string Summary(string message)
    {
        var first = message.Split('\n')[0].TrimEnd();
        return first.Length > 400 ? first[..400] + " ..." : first;
    }

    private static FailedCell Unsupported(CellRun run, int line, string message, string hint) =>
        Fail(run.Cell, run.Number, run.Host, "Unsupported", line, message, hint, summary: $"{message} {hint}");

    /// <summary>
    /// Records a failure in its cell and ends what the cell's magic commands started (a tracked run ends FAILED). The cell
    /// keeps its execution count: Jupyter counts a cell the kernel refused too. The cell shows it as the kernel shows a
    /// failed command: named Error, the message with the hint under it, without the "Cell N, line L:" the run's report needs.
    /// </summary>
    private static FailedCell Fail(NotebookCell cell, int number, MagicHost? host, string kind, int? line, string message, string? hint, string? summary = null)
    {
        var shown = message.StartsWith($"Cell {number}, line {line}: ", StringComparison.Ordinal) ? message[$"Cell {number}, line {line}: ".Length..] : message;
        shown = hint is null ? shown : $"{shown}\n{hint}";
        cell.Outputs.Add(CellOutput.Error(CSharpSession.ErrorName, shown, [shown]));
        host?.Finish(succeeded: false);
        return new FailedCell(number, line, kind, summary ?? Summary(message));
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
