using System.Text.Json.Nodes;

namespace MlopsNotebooks.Notebooks;

public enum NotebookFormat
{
    Ipynb,
    Dib,
}

public enum CellKind
{
    Code,
    Markdown,
    Raw,
}

/// <summary>
/// A notebook as both Jupyter (.ipynb, nbformat 4) and Polyglot (.dib) files hold it: cells in order, each with its
/// language; metadata kept as read so that writing it back loses nothing the runner did not change.
/// </summary>
public sealed class Notebook
{
    public required NotebookFormat Format { get; init; }

    public List<NotebookCell> Cells { get; init; } = [];

    /// <summary>Notebook-level metadata (.ipynb <c>metadata</c>, .dib <c>#!meta</c>).</summary>
    public JsonObject Metadata { get; init; } = [];

    /// <summary>The nbformat minor version read (4.x); written back as at least 4.5 when cells carry ids.</summary>
    public int FormatMinor { get; set; } = 5;

    public static Notebook Read(string path) => Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".ipynb" => Ipynb.Read(path),
        ".dib" => Dib.Read(path),
        var other => throw new MlopsException($"{path} is not a notebook this kit reads ({other}).", "Use a .ipynb or .dib file."),
    };

    /// <summary>
    /// Writes the notebook in the format the path's extension names (.ipynb or .dib), else in its own: a .dib run written
    /// as .ipynb is a Jupyter notebook with its outputs, which is what asking for .ipynb means (a .dib keeps none).
    /// </summary>
    public void Write(string path)
    {
        var format = FormatOf(path) ?? Format;
        var text = format == NotebookFormat.Ipynb ? Ipynb.Write(this) : Dib.Write(this);
        AtomicFile.WriteAllText(path, text);
    }

    /// <summary>The format a file name names, or null for other extensions.</summary>
    public static NotebookFormat? FormatOf(string path) => Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".ipynb" => NotebookFormat.Ipynb,
        ".dib" => NotebookFormat.Dib,
        _ => null,
    };
}

/// <summary>One cell: its language (csharp, fsharp, markdown, html, mermaid, ...), source, metadata and outputs.</summary>
public sealed class NotebookCell
{
    public required CellKind Kind { get; set; }

    /// <summary>The kernel language of a code cell ("csharp", "fsharp", "pwsh", ...); "markdown" for markdown cells.</summary>
    public required string Language { get; set; }

    public required string Source { get; set; }

    public string? Id { get; set; }

    public JsonObject Metadata { get; set; } = [];

    public List<CellOutput> Outputs { get; set; } = [];

    public int? ExecutionCount { get; set; }

    /// <summary>Tags from <c>metadata.tags</c> (Jupyter's place for them; papermill's "parameters" tag lives there).</summary>
    public IReadOnlyList<string> Tags =>
        Metadata["tags"] is JsonArray tags ? tags.OfType<JsonValue>().Where(t => t.GetValueKind() == System.Text.Json.JsonValueKind.String).Select(t => t.GetValue<string>()).ToList() : [];

    public bool IsCode => Kind == CellKind.Code;
}

public enum OutputKind
{
    ExecuteResult,
    DisplayData,
    Stream,
    Error,
}

/// <summary>An output as nbformat 4 describes it.</summary>
public sealed record CellOutput
{
    public required OutputKind Kind { get; init; }

    /// <summary>Mime type to content, for execute results and display data (text/plain, text/html, ...).</summary>
    public IReadOnlyDictionary<string, string> Data { get; init; } = new SortedDictionary<string, string>(StringComparer.Ordinal);

    /// <summary>"stdout" or "stderr", for streams.</summary>
    public string? StreamName { get; init; }

    public string? Text { get; init; }

    public string? ErrorName { get; init; }

    public string? ErrorValue { get; init; }

    public IReadOnlyList<string> Traceback { get; init; } = [];

    public int? ExecutionCount { get; init; }

    /// <summary>
    /// A display that can be updated in place: Jupyter's transient display_id, sent to a live client and never written
    /// into a notebook file (nbformat has no place for it).
    /// </summary>
    public string? DisplayId { get; init; }

    public static CellOutput Stream(string name, string text) => new() { Kind = OutputKind.Stream, StreamName = name, Text = text };

    public static CellOutput Error(string name, string value, IReadOnlyList<string> traceback) =>
        new() { Kind = OutputKind.Error, ErrorName = name, ErrorValue = value, Traceback = traceback };
}
