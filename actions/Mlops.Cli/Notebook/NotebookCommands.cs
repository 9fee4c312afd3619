using System.CommandLine;
using System.Globalization;
using System.Reflection;
using MlopsNotebooks.Runner;
using MlopsNotebooks.Runner.Apps;

namespace MlopsNotebooks.Cli.Notebook;

/// <summary><c>mlops notebook run</c>: the runner's request, and where to write the result as JSON (or null).</summary>
internal sealed record RunNotebookSettings(RunRequest Request, string? ResultPath);

/// <summary><c>mlops notebook convert</c>: the notebook, the app file to write, and what may be overwritten or skipped.</summary>
internal sealed record ConvertNotebookSettings(string Notebook, string Output, bool SkipUnsupported);

/// <summary><c>mlops notebook run</c>: papermill for C# notebooks; <c>mlops notebook convert</c>: a notebook as a file-based app.</summary>
internal static class NotebookCommands
{
    public static Command Create()
    {
        var path = new Argument<string>("notebook") { Description = "The .ipynb or .dib notebook to run." };
        var parameters = new Option<string[]>("--parameter", "-p")
        {
            Description = "name=value for the parameters cell (repeat); typed from the default's declared type.",
            AllowMultipleArgumentsPerToken = false,
        };
        var output = new Option<string?>("--output", "-o") { Description = "Where to write the executed notebook; default .mlops/notebooks/<path>." };
        var cellTimeout = new Option<double?>("--cell-timeout") { Description = "Seconds one cell may take." };
        var timeout = new Option<double?>("--timeout") { Description = "Seconds the whole run may take." };
        var continueOnError = new Option<bool>("--continue-on-error") { Description = "Run the remaining cells after a failure (the run still fails)." };
        var skip = new Option<bool>("--skip-unsupported") { Description = "Skip cells in other languages and unsupported kernel magics instead of failing." };
        var result = new Option<string?>("--result") { Description = "Also write the run's result as JSON to this file." };
        var run = new Command("run", "Run a notebook headless with parameters; write the executed copy; fail loudly if a cell fails.")
        {
            path, parameters, output, cellTimeout, timeout, continueOnError, skip, result, GlobalOptions.PlotlyJs, GlobalOptions.Json,
        };
        run.Handles(parse =>
        {
            GlobalOptions.UsePlotlyJs(parse.GetValue(GlobalOptions.PlotlyJs));
            var values = Arguments.NameValues(parse.GetValue(parameters) ?? [], "-p");
            // Both files are checked before the first cell runs; the notebook's output is checked by the runner.
            var resultPath = parse.GetValue(result) is { } r ? OutputFile.Check(r, "--result") : null;
            if (resultPath is not null && parse.GetValue(output) is { } o && Path.GetFullPath(o) == resultPath)
            {
                throw new MlopsException("--output and --result name the same file.", "Pass a different path to each.");
            }
            return new RunNotebookSettings(new RunRequest
            {
                NotebookPath = parse.GetValue(path)!,
                OutputPath = parse.GetValue(output),
                Parameters = values,
                CellTimeout = Arguments.Seconds(parse.GetValue(cellTimeout), "--cell-timeout"),
                RunTimeout = Arguments.Seconds(parse.GetValue(timeout), "--timeout"),
                ContinueOnError = parse.GetValue(continueOnError),
                SkipUnsupported = parse.GetValue(skip),
            }, resultPath);
        }, RunAsync);
        return new Command("notebook", "Run committed C# notebooks headless (.ipynb and .dib), or convert one to a file-based app.") { run, Convert() };
    }

    private static Command Convert()
    {
        var path = new Argument<string>("notebook") { Description = "The .ipynb or .dib notebook to convert." };
        var to = new Option<string>("--to") { Description = "The format to write: cs (a file-based app, run with dotnet run).", Required = true };
        to.AcceptOnlyFromAmong("cs");
        var output = new Option<string?>("--output", "-o") { Description = "The .cs file to write; default the notebook's name with .cs, beside it." };
        var force = new Option<bool>("--force") { Description = "Overwrite the output file if it exists." };
        var skip = new Option<bool>("--skip-unsupported") { Description = "Keep cells in other languages as comments instead of refusing the notebook." };
        var convert = new Command("convert", "Write a notebook as a C# file-based app: #r \"nuget:\" as #:package, magics as the C# API, markdown as comments, parameters as arguments.")
        {
            path, to, output, force, skip,
        };
        convert.Handles(parse =>
        {
            var notebook = parse.GetValue(path)!;
            if (!File.Exists(notebook))
            {
                throw new NotFoundException($"There is no notebook at {notebook}.", "Check the path; it is relative to the current directory.");
            }
            if (Notebooks.Notebook.FormatOf(notebook) is null)
            {
                throw new MlopsException($"{notebook} is not a notebook (.ipynb or .dib).", "Name a .ipynb or .dib file.");
            }
            var target = parse.GetValue(output) ?? Path.ChangeExtension(notebook, ".cs");
            if (!target.EndsWith(".cs", StringComparison.OrdinalIgnoreCase))
            {
                throw new MlopsException($"--output {target}: a file-based app is a .cs file.", "Pass --output with a name ending in .cs.");
            }
            if (File.Exists(target) && !parse.GetValue(force))
            {
                throw new ConflictException($"{target} exists; it is not overwritten.", "Pass --force to overwrite it, or --output with another path.");
            }
            return new ConvertNotebookSettings(notebook, OutputFile.Check(target, "--output"), parse.GetValue(skip));
        }, ConvertNotebook);
        return convert;
    }

    private static int ConvertNotebook(ConvertNotebookSettings settings, CliContext cli)
    {
        var kit = typeof(Magics.MlopsMagics).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion.Split('+')[0];
        var conversion = NotebookToApp.Convert(Notebooks.Notebook.Read(settings.Notebook), Path.GetFileName(settings.Notebook),
            Path.GetDirectoryName(settings.Output)!, settings.SkipUnsupported, kit);
        Directory.CreateDirectory(Path.GetDirectoryName(settings.Output)!);
        AtomicFile.WriteAllText(settings.Output, conversion.Code);
        foreach (var missing in conversion.Unconverted)
        {
            cli.Error.WriteLine($"not converted: {missing}");
        }
        cli.Output.WriteLine($"{settings.Notebook} -> {settings.Output} (run it with: dotnet run {Path.GetFileName(settings.Output)})");
        return MlopsCli.Ok;
    }

    public static async Task<int> RunAsync(RunNotebookSettings settings, CliContext cli, CancellationToken cancellationToken)
    {
        var runResult = await new NotebookRunner().RunAsync(settings.Request);
        var json = runResult.ToJson();
        if (settings.ResultPath is { } resultPath)
        {
            try
            {
                AtomicFile.WriteAllText(resultPath, Views.RunJson.Write(json) + "\n");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new UnavailableException($"The result could not be written to {resultPath}: {e.Message}", "Free some space or pass --result with another path.");
            }
        }
        var notebook = settings.Request.NotebookPath;
        cli.Write(json, runResult.Succeeded
            ? $"{notebook}: {runResult.CellsRun} cells ran in {runResult.Duration.TotalSeconds.ToString("0.00", CultureInfo.InvariantCulture)} s -> {runResult.Output}\n"
            : "");
        if (runResult.Failure is { } f)
        {
            cli.Error.WriteLine($"error: {notebook}, cell {f.Cell}{(f.Line is { } l ? $", line {l}" : "")}: {f.Kind}: {f.Message}");
            cli.Error.WriteLine($"The executed notebook, with the error in that cell: {runResult.Output}");
        }
        cli.Output.Flush();
        return runResult.Succeeded ? MlopsCli.Ok : MlopsCli.UserError;
    }
}
