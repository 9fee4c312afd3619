using MlopsNotebooks.Runner;
using MlopsNotebooks.Runner.Apps;
using MlopsNotebooks.Validation;

namespace MlopsNotebooks.Cli.Validate;

/// <summary>Validation's notebook runs, by the headless Roslyn runner; file-based apps (.cs) by <c>dotnet run</c>.</summary>
internal sealed class NotebookRunnerExecutor : INotebookExecutor
{
    /// <summary>
    /// Refuses, before anything runs, a .cs file the globs match that is not a file-based app: a validation should not
    /// stop halfway over a file it could never run.
    /// </summary>
    public static void CheckApps(string root, IReadOnlyList<string> globs)
    {
        foreach (var path in Validator.Expand(root, globs).Where(FileBasedApp.IsApp))
        {
            FileBasedApp.Check(Path.Combine(root, path), path);
        }
    }

    public async Task<ReportedNotebook> RunAsync(NotebookExecution execution)
    {
        var request = new RunRequest
        {
            NotebookPath = execution.NotebookPath,
            Parameters = execution.Parameters,
            CellTimeout = execution.CellTimeout,
            RunTags = execution.RunTags,
        };
        var result = FileBasedApp.IsApp(execution.NotebookPath) ? await new AppRunner().RunAsync(request) : await new NotebookRunner().RunAsync(request);
        return new ReportedNotebook
        {
            Notebook = result.Notebook,
            Output = result.Output,
            Status = result.Succeeded ? "succeeded" : "failed",
            Failure = result.Failure is { } f ? new ReportedFailure { Cell = f.Cell, SourceCell = f.SourceCell, Line = f.Line, Kind = f.Kind, Message = f.Message } : null,
            DurationMs = (long)result.Duration.TotalMilliseconds,
            CellsRun = result.CellsRun,
            Parameters = result.Parameters.OrderBy(p => p.Key, StringComparer.Ordinal).ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal),
        };
    }
}
