using System.Text.Json.Nodes;

namespace MlopsNotebooks.Kernel.Jupyter;

/// <summary>Where a client says which notebook the kernel serves: the runs' source.</summary>
public static class NotebookPaths
{
    /// <summary>
    /// jupyter_server's JPY_SESSION_NAME (the notebook's path, relative to the server's root, while the kernel runs in the
    /// notebook's folder): the notebook's full path when it names a file there, else null.
    /// </summary>
    public static string? FromSessionName(string? sessionName, string workingDirectory)
    {
        if (string.IsNullOrWhiteSpace(sessionName))
        {
            return null;
        }
        string[] candidates = Path.IsPathRooted(sessionName)
            ? [sessionName]
            : [Path.Combine(workingDirectory, sessionName), Path.Combine(workingDirectory, Path.GetFileName(sessionName))];
        return candidates.Select(Path.GetFullPath).FirstOrDefault(File.Exists);
    }

    /// <summary>
    /// VS Code's Jupyter extension names the cell in an execute request's metadata (cellId
    /// <c>vscode-notebook-cell:/path/churn.ipynb#W1sZmlsZQ==</c>): the notebook's path when the file exists.
    /// </summary>
    public static string? FromCellMetadata(JsonObject metadata)
    {
        if (metadata["cellId"] is not JsonValue id || !id.TryGetValue<string>(out var cellId)
            || !cellId.StartsWith("vscode-notebook-cell:", StringComparison.Ordinal)
            || !Uri.TryCreate(cellId, UriKind.Absolute, out var uri))
        {
            return null;
        }
        var path = Uri.UnescapeDataString(uri.AbsolutePath);
        return File.Exists(path) ? path : null;
    }
}
