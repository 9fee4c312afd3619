using MlopsNotebooks.Runner;
using MlopsNotebooks.Validation;

namespace MlopsNotebooks.Cli.Validate;

/// <summary>Validation's notebook runs, by the headless Roslyn runner.</summary>
internal sealed class NotebookRunnerExecutor : INotebookExecutor
{
    public async Task<ReportedNotebook> RunAsync(NotebookExecution execution)
    {
        var result = await new NotebookRunner().RunAsync(new RunRequest
        {
            NotebookPath = execution.NotebookPath,
            Parameters = execution.Parameters,
            CellTimeout = execution.CellTimeout,
            RunTags = execution.RunTags,
        });
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
