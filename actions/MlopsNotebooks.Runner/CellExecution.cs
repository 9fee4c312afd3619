using System.Diagnostics;
using System.Globalization;
using Microsoft.DotNet.Interactive.Formatting;
using MlopsNotebooks.Magics;
using MlopsNotebooks.Notebooks;
using MlopsNotebooks.Runner.Interactive;

namespace MlopsNotebooks.Runner;

/// <summary>What cells may do and how long they may take, for every cell an execution runs.</summary>
public sealed record CellOptions
{
    /// <summary>Skip parts in other languages and kernel magics this runner does not support, instead of failing.</summary>
    public bool SkipUnsupported { get; init; }

    public TimeSpan? CellTimeout { get; init; }

    /// <summary>Makes cells stoppable from another thread (a live session's interrupt); null where nothing interrupts.</summary>
    public CellInterrupt? Interrupt { get; init; }
}

/// <summary>
/// Runs a cell as the kernel runs a submission, for the runner (a notebook file) and a live session (a client's cells)
/// alike: its magic commands (<c>#!mlops</c>, <c>#!time</c>, <c>#!markdown</c>, <c>#!import</c>), its HTML and Mermaid
/// parts, its <c>#r "nuget:"</c> and <c>#i</c> lines, and its C# parts as submissions of the one session.
/// </summary>
public sealed class CellExecution
{
    /// <summary>Kernel magics the headless runner does not do (they need the kernel's other languages or its UI).</summary>
    private static readonly HashSet<string> KernelMagics = ["set", "share", "who", "whos", "lsmagic", "about", "connect", "log"];

    /// <summary>The magic commands the runner does itself.</summary>
    private static readonly HashSet<string> Directives = [MagicParser.Directive, "time", "markdown", "import"];

    /// <summary>The languages whose parts the runner runs (C#) or shows (HTML, Mermaid) itself.</summary>
    private static readonly HashSet<string> RunnerLanguages = ["csharp", "html", "mermaid"];

    private readonly CSharpSession _session;
    private readonly NuGetReferenceResolver _resolver;
    private readonly CellOptions _options;

    public CellExecution(CSharpSession session, NuGetReferenceResolver resolver, CellOptions options)
    {
        (_session, _resolver, _options) = (session, resolver, options);
    }

    /// <summary>
    /// Runs one cell: its outputs go into <paramref name="cell"/> (and to <paramref name="live"/> as they happen), its
    /// execution count is set, its hash and duration are recorded in the active run when code of it ran and
    /// <paramref name="record"/> is set, and what its magic commands started ends with it.
    /// </summary>
    /// <param name="notebook">The file the cell belongs to, if any: a notebook that imports itself is a loop.</param>
    /// <param name="deadline">When the run's time is up, if it has a limit.</param>
    public async Task<FailedCell?> RunAsync(NotebookCell cell, int number, int execution, string? notebook, DateTimeOffset? deadline = null,
        ILiveOutputs? live = null, bool record = true)
    {
        var language = cell.Language.ToLowerInvariant();
        cell.ExecutionCount = execution;
        var run = new CellRun(_session, _resolver, cell, number, execution, _options, deadline, new MagicHost(_session.DeclaredVariables), live);
        ShowLiveDisplays();
        Current.Value = run;
        var clock = Stopwatch.StartNew();
        var failure = await RunSourceAsync(run, cell.Source, language is "c#" ? "csharp" : language, notebook is null ? [] : [notebook]);
        if (failure is { Kind: "Timeout" })
        {
            return failure;
        }
        if (run.CodeRan && record)
        {
            NotebookCells.Record(number, cell.Source, clock.Elapsed);
        }
        run.Host.Finish(failure is null);
        if (run.Timed && failure is null) // the kernel shows no time for a cell that failed
        {
            // As Jupyter's #!time shows it: once the cell is done, after its outputs.
            run.Add(ValueFormatter.Display($"Wall time: {clock.Elapsed.TotalMilliseconds.ToString(CultureInfo.InvariantCulture)}ms", "text/plain"));
        }
        return failure;
    }

    // The cell run on this flow of execution, for the magics that show a display they then replace (the sweep's table).
    private static readonly AsyncLocal<CellRun?> Current = new();

    private static readonly Lock LiveDisplayGate = new();
    private static Func<object, Action<object>?>? _liveDisplay;

    /// <summary>
    /// Makes the sweep's live table a display that a live client sees replaced in place; elsewhere (a notebook file) the
    /// host that set the hook before keeps it, and without one the sweep shows its final table.
    /// </summary>
    private static void ShowLiveDisplays()
    {
        lock (LiveDisplayGate)
        {
            var previous = MlopsMagics.LiveDisplay;
            if (previous is not null && previous == _liveDisplay)
            {
                return;
            }
            _liveDisplay = value => Current.Value is { Live: not null } run ? run.ShowLive(value) : previous?.Invoke(value);
            MlopsMagics.LiveDisplay = _liveDisplay;
        }
    }

    /// <summary>The kind of failure of a cell that was interrupted.</summary>
    public const string Interrupted = "Interrupted";

    /// <summary>One cell being run: what its parts (and the files it imports) share.</summary>
    private sealed record CellRun(CSharpSession Session, NuGetReferenceResolver Resolver, NotebookCell Cell, int Number, int Execution,
        CellOptions Options, DateTimeOffset? Deadline, MagicHost Host, ILiveOutputs? Live)
    {
        public bool Timed { get; set; }

        public bool CodeRan { get; set; }

        /// <summary>A display that a live client sees replaced in place by what the returned action is given.</summary>
        public Action<object> ShowLive(object value)
        {
            var id = Guid.NewGuid().ToString("N");
            Add(ValueFormatter.Display(value) with { DisplayId = id });
            return update => Live!.Update(ValueFormatter.Display(update) with { DisplayId = id });
        }

        /// <summary>An output of the cell's own (not its code's): into the cell, and to the client as it happens.</summary>
        public void Add(CellOutput output)
        {
            Cell.Outputs.Add(output);
            Live?.Add(output);
        }
    }

    /// <summary>
    /// Runs a cell's source (or an imported file's) part by part, as the kernel runs a submission: a magic command or a
    /// kernel selector on any line, each C# part a submission of its own in the one session. A part the runner cannot
    /// run refuses the source before anything of it runs, unless skipped; then it is named in the output.
    /// </summary>
    private static async Task<FailedCell?> RunSourceAsync(CellRun run, string source, string language, IReadOnlyList<string> importing)
    {
        var (cell, number) = (run.Cell, run.Number);
        var parts = CellParts.Parse(source, language).ToList();
        foreach (var part in parts)
        {
            var refused = part switch
            {
                DirectivePart d when !Directives.Contains(d.Name) && !KernelMagics.Contains(d.Name) =>
                    Fail(run, "UnknownMagic", d.Line, $"Cell {number}, line {d.Line}: unknown magic command #!{d.Name}.",
                        "A line that starts with #! is a magic command wherever it is in a cell, also inside a string or a comment, in the kernel as here; indent it to keep it in the code."),
                _ when run.Options.SkipUnsupported => null,
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
                    return Fail(run, "PackageRestoreError", null, e.Message, e.Hint, summary: e.Describe());
                }
            }
        }
        foreach (var part in parts)
        {
            var failure = part switch
            {
                CodePart { Language: "csharp" } code => await RunCodeAsync(run, code),
                CodePart { Language: "html" } html => Shown(run, html.Code.Trim(), "text/html"),
                CodePart { Language: "mermaid" } mermaid => Shown(run, KernelDisplays.MermaidHtml(mermaid.Code.Trim(), $"{number}:{cell.Outputs.Count}"), "text/html"),
                CodePart other => Skipped(run, OtherLanguage(other, parts.Count, number)),
                DirectivePart { Name: MagicParser.Directive } magic => RunMagic(run, magic),
                DirectivePart { Name: "time" } => Timed(run),
                // Jupyter's #!markdown shows the whole source as Markdown and ends it.
                DirectivePart { Name: "markdown" } => Shown(run, KernelDisplays.MarkdownHtml(source.Replace("#!markdown", "", StringComparison.Ordinal).Trim()), "text/html"),
                DirectivePart { Name: "import" } import => await ImportAsync(run, import, importing),
                DirectivePart magic => Skipped(run, KernelMagic(magic, number)),
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

    private static FailedCell? Shown(CellRun run, string content, string mimeType)
    {
        // The content is the output itself (HTML to show as it is), not a value to format.
        run.Add(ValueFormatter.Display([new FormattedValue(mimeType, content)]));
        return null;
    }

    private static FailedCell? Skipped(CellRun run, string message)
    {
        run.Add(CellOutput.Stream("stderr", $"Skipped: {message}\n"));
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
                run.Add(ValueFormatter.Display(shown)); // a string too: the kernel displays it, as text/plain
            }
            return null;
        }
        catch (MlopsException e)
        {
            return Fail(run, "MagicCommandError", magic.Line, $"Cell {number}, line {magic.Line}: {e.Message}", e.Hint);
        }
        catch (Exception e)
        {
            // A magic runs the kit's code on the notebook's values: whatever it throws fails its cell, as the
            // cell's own code would, and the run goes on to end FAILED with the notebook written.
            return Fail(run, "MagicCommandError", magic.Line,
                $"Cell {number}, line {magic.Line}: #!{magic.Name} {magic.Arguments} failed: {e.GetType().Name}: {e.Message}", null);
        }
    }

    /// <summary>
    /// One C# part as a submission, within what is left of the cell's and the run's time. A part that overruns it, or
    /// that an interrupt did not stop within its grace, is abandoned: what its code still writes is dropped, and the
    /// session stays as it was before the part.
    /// </summary>
    private static async Task<FailedCell?> RunCodeAsync(CellRun run, CodePart part)
    {
        var (session, cell, number) = (run.Session, run.Cell, run.Number);
        var timeout = run.Options.CellTimeout;
        if (run.Deadline is { } end)
        {
            var left = end - DateTimeOffset.UtcNow;
            timeout = timeout is null || left < timeout ? left : timeout;
        }
        var interrupt = run.Options.Interrupt;
        if (interrupt is { Requested: true })
        {
            run.Add(CellInterrupt.Error(null)); // interrupted before this part of the cell began
            return new FailedCell(number, null, Interrupted, CellInterrupt.Message);
        }
        run.CodeRan = true;
        using var abandon = new CancellationTokenSource();
        var execution = interrupt is null
            ? Task.Run(() => session.RunAsync(part.NumberedCode, number, run.Execution, cell.Outputs, abandon.Token, run.Live))
            : interrupt.Run(() => session.RunAsync(part.NumberedCode, number, run.Execution, cell.Outputs, abandon.Token, run.Live, interrupt));
        var expired = timeout is { } limit ? Task.Delay(limit > TimeSpan.Zero ? limit : TimeSpan.Zero) : Task.Delay(Timeout.Infinite, abandon.Token);
        var stopped = interrupt?.Abandoned ?? Task.Delay(Timeout.Infinite, abandon.Token);
        var first = await Task.WhenAny(execution, expired, stopped);
        if (first != execution)
        {
            await abandon.CancelAsync(); // what the cell's code still writes no longer reaches the notebook
            if (first == stopped)
            {
                run.Add(CellInterrupt.Error(null));
                return new FailedCell(number, null, Interrupted, CellInterrupt.Message);
            }
            return Fail(run, "Timeout", null, $"Cell {number} did not finish within {timeout!.Value.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)} s.",
                "Raise --cell-timeout or --timeout, or make the cell faster.");
        }
        await abandon.CancelAsync(); // the waits above end with the part
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
            Fail(run, "MagicCommandError", import.Line, $"Cell {number}, line {import.Line}: #!import {import.Arguments}: {message}", hint);
        if (argument.Length == 0)
        {
            return Fail(run, "MagicCommandError", import.Line, $"Cell {number}, line {import.Line}: #!import needs the file to import.",
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
            return run.Options.SkipUnsupported ? Skipped(run, message) : Unsupported(run, import.Line, message, "Import a C# file or a notebook, or pass --skip-unsupported to skip it.");
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
        run.Add(CellOutput.Stream("stderr",
            $"Cell {run.Number}, line {import.Line}: #!import {import.Arguments}: line 1 of {Path.GetFileName(path)} ({first}) is a script's interpreter line; it is not run.\n"));
        return end < 0 ? "" : "\n" + text[(end + 1)..];
    }

    private static async Task<FailedCell?> ImportNotebookAsync(CellRun run, Notebook notebook, IReadOnlyList<string> importing)
    {
        foreach (var imported in notebook.Cells)
        {
            var language = imported.Language.ToLowerInvariant();
            var failure = imported.Kind == CellKind.Markdown || language is "markdown" or "md"
                ? Shown(run, imported.Source, "text/markdown")
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
        Fail(run, "Unsupported", line, message, hint, summary: $"{message} {hint}");

    /// <summary>
    /// Records a failure in its cell and ends what the cell's magic commands started (a tracked run ends FAILED). The cell
    /// keeps its execution count: Jupyter counts a cell the kernel refused too. The cell shows it as the kernel shows a
    /// failed command: named Error, the message with the hint under it, without the "Cell N, line L:" the run's report needs.
    /// </summary>
    private static FailedCell Fail(CellRun run, string kind, int? line, string message, string? hint, string? summary = null)
    {
        var (number, host) = (run.Number, run.Host);
        var shown = message.StartsWith($"Cell {number}, line {line}: ", StringComparison.Ordinal) ? message[$"Cell {number}, line {line}: ".Length..] : message;
        shown = hint is null ? shown : $"{shown}\n{hint}";
        run.Add(CellOutput.Error(CSharpSession.ErrorName, shown, [shown]));
        host.Finish(succeeded: false);
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
    }}
