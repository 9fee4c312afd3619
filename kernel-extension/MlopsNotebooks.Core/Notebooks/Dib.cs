using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace MlopsNotebooks.Notebooks;

/// <summary>
/// Reads and writes Polyglot Notebooks' text format: cells start with a line naming their kernel (<c>#!csharp</c>,
/// <c>#!markdown</c>, ...), and an optional <c>#!meta</c> cell holds JSON metadata. Other <c>#!</c> lines are magic
/// commands inside a cell. The format keeps no outputs, so an executed .dib is written without them (the run's JSON
/// result carries them). A C# cell whose first line is <c>// parameters</c> is the parameters cell (what papermill's
/// "parameters" tag marks in .ipynb).
/// </summary>
public static class Dib
{
    public const string ParametersMarker = "// parameters";

    private static readonly HashSet<string> Kernels = new(StringComparer.OrdinalIgnoreCase)
    {
        "csharp", "c#", "fsharp", "f#", "pwsh", "powershell", "javascript", "js", "html", "markdown", "md", "mermaid",
        "sql", "kql", "http", "value", "python", "r", "meta",
    };

    public static Notebook Read(string path)
    {
        return Parse(TextFiles.Read(path), path);
    }

    public static Notebook Parse(string text, string path)
    {
        // Kernels that #!meta declares start cells anywhere in the file, also right below the #!meta cell (writing puts
        // it first): a first reading only looks for the #!meta cell, ending it at any #! line (no JSON line starts so)
        // and forgiving its errors; the reading that counts knows every declared kernel.
        var declared = new HashSet<string>(Kernels, StringComparer.OrdinalIgnoreCase);
        declared.UnionWith(DeclaredKernels(Parse(text, path, Kernels, discovering: true).Metadata));
        return Parse(text, path, declared, discovering: false);
    }

    /// <summary>The kernel names and aliases in <c>kernelInfo.items</c>; entries that are not strings name nothing.</summary>
    private static IEnumerable<string> DeclaredKernels(JsonObject metadata)
    {
        var items = (metadata["kernelInfo"] as JsonObject)?["items"] as JsonArray ?? [];
        foreach (var item in items.OfType<JsonObject>())
        {
            var aliases = item["aliases"] as JsonArray ?? [];
            foreach (var name in aliases.Prepend(item["name"]).OfType<JsonValue>().Where(v => v.GetValueKind() == JsonValueKind.String && v.GetValue<string>().Trim().Length > 0))
            {
                yield return name.GetValue<string>();
            }
        }
    }

    private static Notebook Parse(string text, string path, HashSet<string> kernels, bool discovering)
    {
        var notebook = new Notebook { Format = NotebookFormat.Dib };
        // Any run of carriage returns before a line feed ends the line: the format cannot keep one there, so a cell
        // reads back the same after it is written.
        var lines = text.Split('\n').Select(l => l.TrimEnd('\r')).ToArray();
        string? kernel = null;
        var body = new List<string>();
        var known = new HashSet<string>(kernels, StringComparer.OrdinalIgnoreCase);
        void Flush()
        {
            if (kernel is null)
            {
                if (body.Any(l => l.Trim().Length > 0))
                {
                    kernel = "csharp"; // text before any marker belongs to the default kernel
                }
                else
                {
                    body.Clear();
                    return;
                }
            }
            // A cell's text sits between blank lines after its marker and before the next one.
            while (body.Count > 0 && body[0].Trim().Length == 0)
            {
                body.RemoveAt(0);
            }
            while (body.Count > 0 && body[^1].Trim().Length == 0)
            {
                body.RemoveAt(body.Count - 1);
            }
            var source = string.Join("\n", body);
            if (kernel.Equals("meta", StringComparison.OrdinalIgnoreCase))
            {
                try
                {
                    using (var document = JsonDocument.Parse(source))
                    {
                        if (Ipynb.RepeatedKey(document.RootElement, "") is { } repeated)
                        {
                            throw new MlopsException($"{path} is not a valid notebook: in its #!meta cell, {repeated}.",
                                "Fix the JSON after #!meta, or remove that cell.");
                        }
                    }
                    if (JsonNode.Parse(source) is JsonObject meta)
                    {
                        notebook.Metadata.Clear();
                        foreach (var (k, v) in meta)
                        {
                            notebook.Metadata[k] = v?.DeepClone();
                        }
                        known.UnionWith(DeclaredKernels(meta));
                    }
                }
                catch (JsonException e) when (!discovering)
                {
                    throw new MlopsException($"{path} is not a valid notebook: its #!meta cell is not JSON ({e.Message}).",
                        "Fix the JSON after #!meta, or remove that cell.");
                }
                catch (Exception e) when (discovering && e is JsonException or MlopsException)
                {
                    // The reading that counts says what is wrong.
                }
            }
            else
            {
                var language = Normalize(kernel);
                notebook.Cells.Add(new NotebookCell
                {
                    Kind = language == "markdown" ? CellKind.Markdown : CellKind.Code,
                    Language = language,
                    Source = source,
                });
            }
            body.Clear();
        }
        foreach (var line in lines)
        {
            if (line.StartsWith("#!", StringComparison.Ordinal)
                && (known.Contains(line[2..].Trim()) || discovering && "meta".Equals(kernel, StringComparison.OrdinalIgnoreCase)))
            {
                Flush();
                kernel = line[2..].Trim();
                continue;
            }
            body.Add(line);
        }
        Flush();
        return notebook;
    }

    private static string Normalize(string kernel) => kernel.ToLowerInvariant() switch
    {
        "c#" => "csharp",
        "f#" => "fsharp",
        "powershell" => "pwsh",
        "md" => "markdown",
        "js" => "javascript",
        var k => k,
    };

    /// <summary>An .ipynb's metadata as a .dib keeps it: the kernel list at the top; what describes Jupyter's kernel dropped.</summary>
    private static JsonObject FromIpynb(JsonObject ipynb)
    {
        var metadata = (JsonObject)ipynb.DeepClone();
        var kernels = (metadata["polyglot_notebook"] as JsonObject)?["kernelInfo"]?.DeepClone();
        metadata.Remove("polyglot_notebook");
        metadata.Remove("kernelspec");
        metadata.Remove("language_info");
        if (kernels is not null)
        {
            metadata["kernelInfo"] = kernels;
        }
        return metadata;
    }

    public static string Write(Notebook notebook)
    {
        var text = new StringBuilder();
        var metadata = notebook.Format == NotebookFormat.Ipynb ? FromIpynb(notebook.Metadata) : notebook.Metadata;
        if (metadata.Count > 0)
        {
            text.Append("#!meta\n\n").Append(metadata.ToJsonString(new JsonSerializerOptions { WriteIndented = false })).Append("\n\n");
        }
        foreach (var cell in notebook.Cells)
        {
            text.Append("#!").Append(cell.Language).Append("\n\n").Append(cell.Source.TrimEnd('\n')).Append("\n\n");
        }
        return text.ToString();
    }
}
