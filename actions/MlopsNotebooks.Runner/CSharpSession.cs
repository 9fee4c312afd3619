using System.Collections.Immutable;
using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Scripting;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.DotNet.Interactive.Formatting;
using MlopsNotebooks.Tracking;
using Microsoft.CodeAnalysis.Scripting;
using MlopsNotebooks.Notebooks;
using MlopsNotebooks.Runner.Interactive;

namespace MlopsNotebooks.Runner;

/// <summary>What one cell did: its outputs and, if it failed, where and why.</summary>

/// <summary>Why a cell failed: the kind (compile error, exception, timeout), the line in the cell and the message.</summary>
public sealed partial record CellFailure(string Kind, int? Line, string Message);

/// <summary>
/// One C# scripting session across a notebook's cells (Roslyn scripting), as the kernel keeps one: usings, types and
/// variables carry from cell to cell; top-level await works; a trailing expression's value is shown; Console output is
/// captured per cell. Line numbers in errors are the cell's own.
/// </summary>
public sealed partial class CSharpSession
{
    private static readonly string[] Imports =
    [
        // The kernel's C# imports (CSharpKernel's script options), no more: a cell that compiles here compiles there.
        "System", "System.Text", "System.Collections", "System.Collections.Generic", "System.Threading.Tasks", "System.Linq",
        "MlopsNotebooks.Tracking", // the kernel extension imports it when loaded; the runner behaves the same
    ];

    private readonly NotebookGlobals _globals = new();
    private readonly HashSet<string> _referenced = new(StringComparer.Ordinal);
    private readonly List<string> _referencePaths = [];
    private readonly List<string> _submissions = [];
    private ScriptOptions _options;

    // References added since the last submission. A submission inherits its predecessors' references, and Roslyn
    // appends the options' references to them on every ContinueWith: passing the full set each time made each
    // compilation's reference list grow with the cells run so far (quadratic time and memory in the notebook's length).
    private readonly List<MetadataReference> _newReferences = [];
    private ScriptState<object?>? _state;

    /// <param name="resolver">Resolves <c>#r</c>; packages and files.</param>
    /// <param name="baseDirectory">
    /// The folder <c>#load</c> paths are relative to: the notebook's, the kernel's working folder in Jupyter (each cell's
    /// file name has no folder, so Roslyn resolves against this one).
    /// </param>
    public CSharpSession(MetadataReferenceResolver? resolver = null, string? baseDirectory = null)
    {
        Display.MlopsFormatters.Register(); // the kit's types render as in the kernel
        _options = ScriptOptions.Default
            .WithReferences(DefaultReferenceSet)
            .WithImports(Imports)
            .WithEmitDebugInformation(true)
            .WithFileEncoding(System.Text.Encoding.UTF8) // debug information (lines in stack traces) needs an encoding
            .WithAllowUnsafe(true)
            .WithLanguageVersion(Microsoft.CodeAnalysis.CSharp.LanguageVersion.Latest);
        if (resolver is not null)
        {
            _options = _options.WithMetadataResolver(resolver);
        }
        if (baseDirectory is not null)
        {
            _options = _options.WithSourceResolver(ScriptSourceResolver.Default.WithBaseDirectory(baseDirectory));
        }
    }

    /// <summary>The framework, the kit's own assemblies and the formatting library, as the kernel references them.</summary>
    private static IEnumerable<MetadataReference> DefaultReferences()
    {
        var trusted = ((string?)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") ?? "").Split(Path.PathSeparator);
        var framework = trusted.Where(p =>
        {
            var name = Path.GetFileNameWithoutExtension(p);
            return name is "mscorlib" or "netstandard" or "Microsoft.CSharp" || name.StartsWith("System.", StringComparison.Ordinal) || name == "System";
        });
        var kit = new[] { typeof(Mlops).Assembly, typeof(Magics.MlopsMagics).Assembly, typeof(Formatter).Assembly, typeof(Microsoft.AspNetCore.Html.IHtmlContent).Assembly, typeof(NotebookGlobals).Assembly }
            .Select(a => a.Location);
        return framework.Concat(kit).Where(File.Exists).Distinct().Select(p => MetadataReference.CreateFromFile(p));
    }

    /// <summary>
    /// Runs one cell's code, writing its outputs into <paramref name="outputs"/> as they happen, as the kernel sends
    /// them: console output and displays in their order, then the compiler's diagnostics (on stderr), then the value or
    /// the error. Never throws for the code's own failures: they come back as the result. Once
    /// <paramref name="cancellationToken"/> is cancelled (the cell timed out or was abandoned), nothing more is written
    /// and the session stays as it was before the cell. A value shown carries <paramref name="executionCount"/>, the
    /// cell's, however many submissions the cell is split into. A live session's cells also send their outputs to
    /// <paramref name="live"/> as they happen and read Console.In from it; with <paramref name="interrupt"/> the code
    /// is made stoppable, and a cell it stops ends interrupted.
    /// </summary>
    public async Task<CellFailure?> RunAsync(string code, int cellNumber, int executionCount, List<CellOutput> outputs, CancellationToken cancellationToken,
        ILiveOutputs? live = null, CellInterrupt? interrupt = null)
    {
        var cell = new CellOutputs(outputs, live);
        using var abandoned = cancellationToken.Register(cell.Close);
        CellOutputs.Capture(cell);
        var (oldOut, oldErr, oldIn) = (Console.Out, Console.Error, Console.In);
        Console.SetOut(TextWriter.Synchronized(cell.Writer("stdout")));
        Console.SetError(TextWriter.Synchronized(cell.Writer("stderr")));
        if (live is not null)
        {
            Console.SetIn(cell.Reader());
        }
        var (cellOut, cellErr, cellIn) = (Console.Out, Console.Error, Console.In);
        var submitted = interrupt is null ? code : StoppableCode.Insert(code);
        CellFailure? failure = null;
        try
        {
            await StartAsync(cancellationToken);
            var options = _options.WithReferences(_newReferences).WithFilePath($"cell-{cellNumber}.csx");
            var state = await _state!.ContinueWithAsync<object?>(submitted, options, _ => true, cancellationToken);
            lock (_submissions)
            {
                if (cancellationToken.IsCancellationRequested)
                {
                    return null; // abandoned: the session goes on from the state before this cell
                }
                _state = state;
                _newReferences.Clear(); // the chain holds them now (a cell that did not compile left the chain as it was)
                _submissions.Add(code);
            }
            var compilation = _state.Script.GetCompilation();
            cell.Write("stderr", Diagnostics(compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Warning && !UnificationNotes.Contains(d.Id))));
            if (_state.Exception is { } thrown)
            {
                failure = Thrown(thrown, cellNumber);
                if (interrupt is { Requested: true })
                {
                    failure = new CellFailure(CellExecution.Interrupted, failure.Line, CellInterrupt.Message);
                    cell.Add(CellInterrupt.Error(failure.Line));
                }
                else
                {
                    var text = failure.Exception!.ToString();
                    // As the kernel writes an exception: its text, then the frames of its stack one by one.
                    cell.Add(CellOutput.Error(ErrorName, text, [text, .. (failure.Exception.StackTrace ?? "").Split('\n').Select(l => l.TrimEnd('\r'))]));
                }
            }
            else if (HasTrailingValue(compilation) && _state.ReturnValue is not DisplayedValue) // display(x) at the end shows x once
            {
                cell.Add(ValueFormatter.Result(_state.ReturnValue, executionCount, withPlainText: live is not null));
            }
        }
        catch (CompilationErrorException e)
        {
            // The errors of the code as written, not of the checks put in it (their columns would be off).
            var diagnostics = submitted == code ? e.Diagnostics : _state!.Script.ContinueWith<object?>(code, _options.WithReferences(_newReferences).WithFilePath($"cell-{cellNumber}.csx")).Compile();
            var errors = diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
            errors = errors.Count > 0 ? errors : [.. e.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error)];
            var line = errors[0].Location.IsInSource ? errors[0].Location.GetLineSpan().StartLinePosition.Line + 1 : (int?)null;
            failure = new CellFailure("CompilationError", line, string.Join("\n", errors.Select(Describe)));
            cell.Write("stderr", Diagnostics(errors));
            cell.Add(CellOutput.Error(ErrorName, "compilation error", [])); // the kernel's words; the diagnostics are above
        }
        catch (Exception) when (interrupt is { Requested: true })
        {
            // Interrupted before the code ran (in the compiler, woken from a wait): the session is as it was.
            failure = new CellFailure(CellExecution.Interrupted, null, CellInterrupt.Message);
            cell.Add(CellInterrupt.Error(null));
        }
        finally
        {
            // A cell abandoned earlier that ends now must not take the console from the cell running now.
            Restore(cellOut, oldOut, Console.Out, Console.SetOut);
            Restore(cellErr, oldErr, Console.Error, Console.SetError);
            Restore(cellIn, oldIn, Console.In, Console.SetIn);
            cell.Settle();
        }
        return failure;
    }

    private static void Restore<T>(T mine, T previous, T current, Action<T> set) where T : class
    {
        if (current == mine)
        {
            set(previous);
        }
    }

    /// <summary>The name the kernel gives every failure in a notebook.</summary>
    internal const string ErrorName = "Error";

    // "Assuming assembly reference X matches identity Y": a newer assembly of the host (ASP.NET's shared framework under
    // the tool) unified with an older reference. The SDK silences both by default (NoWarn 1701;1702); so does the runner.
    private static readonly HashSet<string> UnificationNotes = ["CS1701", "CS1702"];

    /// <summary>Diagnostics as the kernel writes them to stderr: each on its line, a blank line around each.</summary>
    private static string Diagnostics(IEnumerable<Diagnostic> diagnostics)
    {
        var text = string.Concat(diagnostics.Select(d => Describe(d) + "\n\n"));
        return text.Length == 0 ? "" : "\n" + text;
    }

    /// <summary>The session's variables in declaration order, as the kernel's C# session holds them (a redeclared name twice).</summary>
    public IEnumerable<(string Name, object? Value)> DeclaredVariables() =>
        _state is null ? [] : _state.Variables.Select(v => (v.Name, (object?)v.Value));

    /// <summary>The code of each submission that compiled, in order (completion and hover read the session from them).</summary>
    public IReadOnlyList<string> Submissions
    {
        get
        {
            lock (_submissions)
            {
                return [.. _submissions];
            }
        }
    }

    /// <summary>The assemblies added to the session (restored packages), in the order they were added.</summary>
    public IReadOnlyList<string> ReferencePaths
    {
        get
        {
            lock (_submissions)
            {
                return [.. _referencePaths];
            }
        }
    }

    /// <summary>The assemblies every session references: the framework's, the kit's and the formatting library's.</summary>
    public static IReadOnlyList<MetadataReference> DefaultReferenceSet { get; } = [.. DefaultReferences()];

    /// <summary>The namespaces every session imports, as the kernel's C# session does.</summary>
    public static IReadOnlyList<string> DefaultImports => Imports;

    /// <summary>The type whose members cells see as globals (<c>display</c>, <c>HTML</c>, ...).</summary>
    public static Type GlobalsType => typeof(NotebookGlobals);

    /// <summary>Makes assemblies (restored packages) available to the cells that follow; ones already there are skipped.</summary>
    public void AddReferences(IEnumerable<string> paths)
    {
        var fresh = paths.Where(_referenced.Add).ToList();
        lock (_submissions)
        {
            _referencePaths.AddRange(fresh);
        }
        var added = fresh.Select(p => (MetadataReference)MetadataReference.CreateFromFile(p)).ToList();
        if (_state is null)
        {
            _options = _options.AddReferences(added); // the first submission takes the full set
        }
        else
        {
            _newReferences.AddRange(added);
        }
    }

    /// <summary>
    /// Starts the session with an empty submission. Runners call it before timing cells, so that the compiler's own
    /// warm-up is not charged to the first cell's timeout. The formatters warm up beside it (their first value took
    /// 100 ms), and then the binder, on a cell that is never run, while the first cells run: the first record, loop
    /// or interpolation of a notebook each took 100-300 ms more than the next.
    /// </summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (_state is not null)
        {
            return;
        }
        var formatting = Task.Run(WarmUpFormatters, cancellationToken);
        _state = await CSharpScript.Create<object?>("", _options, typeof(NotebookGlobals)).RunAsync(_globals, cancellationToken: cancellationToken);
        var start = _state.Script;
        _ = Task.Run(() => start.ContinueWith<object?>(WarmUpCell).GetCompilation().GetDiagnostics(), CancellationToken.None);
        await formatting;
    }

    private static void WarmUpFormatters()
    {
        ValueFormatter.Result(42, 0, withPlainText: true);
        ValueFormatter.Display(new[] { new { Name = "a", Value = 1.5 } });
    }

    // Bound, never emitted nor run: what notebooks' first cells most often hold.
    private const string WarmUpCell = """
        public record Item(string Name, double Value);
        var items = new List<Item> { new("a", 1.5), new("b", 2) };
        var total = 0.0;
        foreach (var item in items.Where(i => i.Value > 0)) { total += item.Value; }
        Console.WriteLine($"total={total:F2}");
        await Task.Delay(0);
        items.Select(i => i.Name).ToArray()
        """;

    /// <summary>Whether the cell ends in an expression without a semicolon that has a value (not a void call).</summary>
    private static bool HasTrailingValue(Compilation compilation)
    {
        var tree = compilation.SyntaxTrees.Last();
        if (tree.GetRoot() is not CompilationUnitSyntax root
            || root.Members.LastOrDefault() is not GlobalStatementSyntax { Statement: ExpressionStatementSyntax statement }
            || !statement.SemicolonToken.IsMissing)
        {
            return false;
        }
        var type = compilation.GetSemanticModel(tree).GetTypeInfo(statement.Expression).Type;
        return type is null || type.SpecialType != SpecialType.System_Void;
    }

    // Roslyn's own form without the file name, which the kernel's cells have not got: "(1,5): error CS0103: ...".
    private static string Describe(Diagnostic d)
    {
        var severity = d.Severity.ToString().ToLowerInvariant();
        var position = d.Location.IsInSource ? d.Location.GetLineSpan().StartLinePosition : default;
        return d.Location.IsInSource ? $"({position.Line + 1},{position.Character + 1}): {severity} {d.Id}: {d.GetMessage(System.Globalization.CultureInfo.InvariantCulture)}" : $"{severity} {d.Id}: {d.GetMessage(System.Globalization.CultureInfo.InvariantCulture)}";
    }

    // The first stack frame in this cell gives the line ("in cell-3.csx:line 5", from the emitted debug information).
    private static CellFailure Thrown(Exception e, int cellNumber)
    {
        var inner = e is TargetInvocationException { InnerException: { } i } ? i : e;
        int? line = null;
        foreach (Match m in CellLine().Matches(inner.StackTrace ?? ""))
        {
            if (m.Groups[1].Value == cellNumber.ToString(System.Globalization.CultureInfo.InvariantCulture))
            {
                line = int.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture);
                break;
            }
        }
        return new CellFailure(inner.GetType().FullName ?? inner.GetType().Name, line, inner.Message) { Exception = inner };
    }

    [GeneratedRegex(@"cell-(\d+)\.csx:line (\d+)")]
    private static partial Regex CellLine();
}

/// <summary>The exception behind a failure, when there is one (not serialized).</summary>
public sealed partial record CellFailure
{
    public Exception? Exception { get; init; }
}
