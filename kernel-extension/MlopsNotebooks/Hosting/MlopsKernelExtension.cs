using System.Diagnostics;
using System.Runtime.CompilerServices;
using Microsoft.DotNet.Interactive;
using Microsoft.DotNet.Interactive.Commands;
using Microsoft.DotNet.Interactive.CSharp;
using Microsoft.DotNet.Interactive.Directives;
using Microsoft.DotNet.Interactive.Events;
using MlopsNotebooks.Display;
using MlopsNotebooks.Magics;
using MlopsNotebooks.Tracking;

namespace MlopsNotebooks.Hosting;

/// <summary>
/// The kit in the .NET Interactive kernel: <c>#!mlops</c> declared to the kernel from <see cref="MlopsMagics.All"/>, the
/// grammar the headless runner dispatches too, with one command type per subcommand and one thin handler; the kit's
/// formatters; and what a cell records in the active run. The package's extension.dib calls <see cref="Load"/> when a
/// notebook loads the package with <c>#r "nuget: MlopsNotebooks"</c>.
/// </summary>
public sealed class MlopsKernelExtension : IKernelExtension
{
    private const string Directive = "#!" + MagicParser.Directive;

    public Task OnLoadAsync(Kernel kernel)
    {
        Load(kernel);
        return Task.CompletedTask;
    }

    /// <summary>Adds the kit to the C# kernel of <paramref name="kernel"/>'s root (or to it, if it is one); once.</summary>
    public static void Load(Kernel kernel)
    {
        var root = kernel.RootKernel ?? kernel;
        var csharp = (root as CompositeKernel)?.FindKernelByName("csharp") as CSharpKernel ?? kernel as CSharpKernel
            ?? throw new InvalidOperationException("MlopsNotebooks needs the kernel's C# subkernel (named csharp).");
        if (csharp.KernelInfo.SupportedDirectives.Any(d => d.Name == Directive))
        {
            return; // loaded already: the kernel keeps the directives of the first load
        }
        var extension = new MlopsKernelExtension(csharp);
        var mlops = new KernelActionDirective(Directive) { Description = "Track experiments, version data, register models (#!mlops help)." };
        foreach (var magic in MlopsMagics.All)
        {
            mlops.Subcommands.Add(SubcommandOf(magic));
        }
        // #!mlops alone: the grammar's message, as in the runner.
        csharp.AddDirective(mlops, (command, context) => extension.Run(null, new Dictionary<string, string>(), command, context));
        extension.Add<MlopsHelp>(mlops);
        extension.Add<MlopsExperiment>(mlops);
        extension.Add<MlopsStartRun>(mlops);
        extension.Add<MlopsEndRun>(mlops);
        extension.Add<MlopsTrack>(mlops);
        extension.Add<MlopsLogParam>(mlops);
        extension.Add<MlopsLogMetric>(mlops);
        extension.Add<MlopsTag>(mlops);
        extension.Add<MlopsDataAdd>(mlops);
        extension.Add<MlopsDataUse>(mlops);
        extension.Add<MlopsRegisterModel>(mlops);
        extension.Add<MlopsRuns>(mlops);
        extension.Add<MlopsChart>(mlops);
        extension.Add<MlopsDrift>(mlops);
        extension.Add<MlopsCompare>(mlops);
        extension.Add<MlopsSweep>(mlops);
        var missing = mlops.Subcommands.Where(s => s.KernelCommandType is null).Select(s => s.Name).ToList();
        if (missing.Count > 0)
        {
            // A subcommand added to the grammar without a command type here would parse and then do nothing.
            throw new InvalidOperationException($"MlopsKernelExtension has no command type for #!mlops {string.Join(", ", missing)}.");
        }
        root.AddMiddleware(extension.CheckAndRecordAsync);
        // #!mlops sweep's live table: shown through the cell's context and replaced in place after each trial.
        MlopsMagics.LiveDisplay = value => KernelInvocationContext.Current is { } context ? KernelInvocationContextExtensions.Display(context, value).Update : null;
        RecordNotebook(Environment.GetEnvironmentVariable("JPY_SESSION_NAME"));
        FSharpCoreBinding.BindToLoaded();
        MlopsFormatters.Register();
        if (KernelInvocationContext.Current is { } loading)
        {
            if (Top(loading.Command) is SubmitCode loadingCell)
            {
                // The cell that loads the kit counts, as it does in the runner; cells before it are not known here.
                extension.Begin(loadingCell, loading);
            }
            KernelInvocationContextExtensions.Display(loading, "MlopsNotebooks loaded: #!mlops help lists the magic commands; Mlops.* is the C# API.", "text/plain");
        }
    }

    /// <summary>
    /// Runs name the notebook they came from where the host tells it: Jupyter's server hands its kernels the notebook's
    /// path in JPY_SESSION_NAME, and the kernel runs in the notebook's folder. It becomes this process's provenance (as
    /// the runner hands its own to the programs a cell starts); otherwise runs name the kernel, as any program's do.
    /// </summary>
    internal static void RecordNotebook(string? session)
    {
        if (string.IsNullOrEmpty(session) || Environment.GetEnvironmentVariable(RunContext.SourceVariable) is { Length: > 0 })
        {
            return;
        }
        var path = new[] { session, Path.GetFileName(session) }.Select(p => Path.GetFullPath(p)).FirstOrDefault(File.Exists);
        if (path is not null && Path.GetExtension(path).ToLowerInvariant() is ".ipynb" or ".dib")
        {
            Environment.SetEnvironmentVariable(RunContext.SourceVariable, path);
            Environment.SetEnvironmentVariable(RunContext.NotebookHashVariable, Versioning.ContentHash.OfFile(path).ToString());
        }
    }

    private readonly CSharpKernel _csharp;
    private int _cells;

    // The cells seen, each once: the first of its commands checks its #!mlops lines and starts its clock.
    private readonly ConditionalWeakTable<KernelCommand, Cell> _seen = [];

    private MlopsKernelExtension(CSharpKernel csharp) => _csharp = csharp;

    private sealed class Cell
    {
        public long Started { get; } = Stopwatch.GetTimestamp();

        /// <summary>The cell's #!mlops lines as the runner parses them, in order, for the commands the kernel made of them.</summary>
        public Queue<MagicInvocation> Lines { get; } = new();
    }

    private static KernelCommand Top(KernelCommand command) => command.Parent is { } parent ? Top(parent) : command;

    private MagicHost Host() => new(Declared);

    // The kernel runs its own Roslyn (5.0 in its last release), older than the one the kit builds with (5.12), so its
    // ScriptState is reached by name: a typed call would bind to the newer assembly and fail to load in the kernel.
    private IEnumerable<(string Name, object? Value)> Declared()
    {
        var state = typeof(CSharpKernel).GetProperty(nameof(CSharpKernel.ScriptState))!.GetValue(_csharp);
        if (state?.GetType().GetProperty("Variables")?.GetValue(state) is not System.Collections.IEnumerable variables)
        {
            return [];
        }
        return variables.Cast<object>().Select(v => ((string)v.GetType().GetProperty("Name")!.GetValue(v)!, v.GetType().GetProperty("Value")!.GetValue(v)));
    }

    private static KernelActionDirective SubcommandOf(MagicCommand magic)
    {
        var subcommand = new KernelActionDirective(magic.Name) { Description = magic.Description };
        foreach (var p in magic.Parameters)
        {
            // Not Required: the grammar says what is missing, with the usage, as in the runner.
            subcommand.Parameters.Add(new KernelDirectiveParameter("--" + p.Name, p.Description) { AllowImplicitName = p.Positional, Flag = p.Flag });
        }
        return subcommand;
    }

    private void Add<T>(KernelActionDirective mlops) where T : MlopsDirectiveCommand
    {
        var name = MlopsDirectiveCommand.SubcommandOf(typeof(T));
        var magic = MlopsMagics.All.Single(m => m.Name == name);
        if (magic.Parameters.FirstOrDefault(p => MlopsDirectiveCommand.PropertyOf(typeof(T), p) is null) is { } unbound)
        {
            throw new InvalidOperationException($"{typeof(T).Name} has no {(unbound.Flag ? "bool" : "string")} property for --{unbound.Name}.");
        }
        _csharp.AddDirective<T>(mlops.Subcommands.Single(s => s.Name == name), (command, context) => Run(magic, command.Values(magic), command, context));
    }

    private Task Run(MagicCommand? magic, IReadOnlyDictionary<string, string> values, KernelCommand command, KernelInvocationContext context)
    {
        try
        {
            // A line of a cell was parsed when the cell began (see CheckAndRecordAsync): the kernel's own binding of an
            // @csharp: value is the variable's ToString(), a list's type name, so the line's parse is the one to run.
            var invocation = command.Parent is { } cell && _seen.TryGetValue(cell, out var seen) && seen.Lines.TryDequeue(out var line)
                && line.Command == magic
                ? line
                : magic is null ? MagicParser.Parse("", MlopsMagics.All, Host()) : MagicParser.Bind(magic, values, Host());
            var shown = invocation.Command.Handler(invocation);
            if (invocation.Host is MagicHost { WaitsForCell: true } waiting)
            {
                // #!mlops track: the run ends with the cell's code, FAILED if it failed.
                context.OnComplete(done => waiting.Finish(!done.Result.Events.OfType<CommandFailed>().Any()));
            }
            if (shown is not null)
            {
                // Written out: Formatting's object.Display() would take the call and raise a formatter event instead.
                KernelInvocationContextExtensions.Display(context, shown, shown is string ? ["text/plain"] : []);
            }
        }
        catch (MlopsException e)
        {
            context.Fail(command, message: e.Describe());
        }
        catch (Exception e)
        {
            // A magic runs the kit's code on the notebook's values: whatever it throws fails its cell, in the runner's
            // words, and not as a stack trace of the kernel's.
            context.Fail(command, message: $"#!mlops {magic?.Name} failed: {e.GetType().Name}: {e.Message}");
        }
        return Task.CompletedTask;
    }

    /// <summary>
    /// Before a cell's first command runs, its <c>#!mlops</c> lines are checked with the runner's parser, so that an
    /// unknown subcommand or option, or an <c>@csharp:</c> name no variable has, fails the cell with the runner's message
    /// and not the kernel's (the kernel's parser refuses them before any handler of ours would run). After the cell, its
    /// source hash and duration go into the active run, numbered by submission, as the runner numbers cells.
    /// </summary>
    private async Task CheckAndRecordAsync(KernelCommand command, KernelInvocationContext context, KernelPipelineContinuation next)
    {
        var submission = command as SubmitCode is { Parent: null } top ? top : command.Parent as SubmitCode is { Parent: null } parent ? parent : null;
        if (submission is not null && !_seen.TryGetValue(submission, out _))
        {
            var cell = Begin(submission, context);
            foreach (var line in MagicParser.Lines(submission.Code))
            {
                try
                {
                    cell.Lines.Enqueue(MagicParser.Parse(line, MlopsMagics.All, Host()));
                }
                catch (MlopsException e)
                {
                    context.Fail(submission, message: e.Describe());
                    return;
                }
            }
        }
        await next(command, context);
    }

    /// <summary>Numbers a cell and records it in the active run when it ends.</summary>
    private Cell Begin(SubmitCode submission, KernelInvocationContext context)
    {
        var cell = new Cell();
        _seen.Add(submission, cell);
        var number = Interlocked.Increment(ref _cells);
        context.OnComplete(_ => NotebookCells.Record(number, submission.Code, Stopwatch.GetElapsedTime(cell.Started)));
        return cell;
    }
}
