using System.Text.Json;
using System.Text.Json.Nodes;

namespace MlopsNotebooks.Notebooks;

/// <summary>
/// Reads and writes Jupyter notebooks (nbformat 4), checking on read what nbformat's schema requires of the parts the
/// kit uses, and writing what <c>nbformat.validate</c> accepts. Polyglot Notebooks keeps a cell's language in
/// <c>metadata.dotnet_interactive.language</c> (or <c>metadata.polyglot_notebook.kernelName</c>); cells without it
/// take the notebook's kernel language.
/// </summary>
public static class Ipynb
{
    private static readonly JsonSerializerOptions WriteOptions = new()
    {
        WriteIndented = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static Notebook Read(string path)
    {
        return Parse(TextFiles.Read(path), path);
    }

    public static Notebook Parse(string text, string path)
    {
        MlopsException Bad(string problem) => new($"{path} is not a valid notebook: {problem}.",
            "Open and save it in Jupyter or Polyglot Notebooks, or restore it from git.");
        JsonObject root;
        try
        {
            root = JsonNode.Parse(text, documentOptions: new JsonDocumentOptions { AllowTrailingCommas = false }) as JsonObject
                ?? throw Bad("it is not a JSON object");
        }
        catch (JsonException e)
        {
            throw Bad($"its JSON is broken at line {e.LineNumber + 1}: {e.Message}");
        }
        if (root["nbformat"]?.GetValueKind() != JsonValueKind.Number || root["nbformat"]!.GetValue<int>() != 4)
        {
            throw Bad($"it is nbformat {root["nbformat"]?.ToJsonString() ?? "(missing)"}; only nbformat 4 is supported");
        }
        var minor = root["nbformat_minor"]?.GetValueKind() == JsonValueKind.Number ? root["nbformat_minor"]!.GetValue<int>() : 0;
        var metadata = root["metadata"] as JsonObject ?? throw Bad("it has no metadata object");
        var cells = root["cells"] as JsonArray ?? throw Bad("it has no cells array");
        var defaultLanguage = DefaultLanguage(metadata);
        var notebook = new Notebook { Format = NotebookFormat.Ipynb, Metadata = (JsonObject)metadata.DeepClone(), FormatMinor = minor };
        for (var i = 0; i < cells.Count; i++)
        {
            if (cells[i] is not JsonObject cell)
            {
                throw Bad($"cell {i + 1} is not an object");
            }
            var type = cell["cell_type"]?.GetValue<string>();
            var kind = type switch
            {
                "code" => CellKind.Code,
                "markdown" => CellKind.Markdown,
                "raw" => CellKind.Raw,
                _ => throw Bad($"cell {i + 1} has cell_type '{type ?? "(missing)"}'"),
            };
            var cellMetadata = cell["metadata"] as JsonObject ?? [];
            var language = kind switch
            {
                CellKind.Markdown => "markdown",
                CellKind.Raw => "raw",
                _ => cellMetadata["dotnet_interactive"]?["language"]?.GetValue<string>()
                     ?? cellMetadata["polyglot_notebook"]?["kernelName"]?.GetValue<string>()
                     ?? defaultLanguage,
            };
            notebook.Cells.Add(new NotebookCell
            {
                Kind = kind,
                Language = language,
                Source = Source(cell["source"], () => Bad($"cell {i + 1} has no source")),
                Id = cell["id"]?.GetValue<string>(),
                Metadata = (JsonObject)cellMetadata.DeepClone(),
                ExecutionCount = cell["execution_count"]?.GetValueKind() == JsonValueKind.Number ? cell["execution_count"]!.GetValue<int>() : null,
            });
        }
        return notebook;
    }

    private static string DefaultLanguage(JsonObject metadata)
    {
        var name = metadata["kernelspec"]?["language"]?.GetValue<string>()
            ?? metadata["language_info"]?["name"]?.GetValue<string>()
            ?? metadata["polyglot_notebook"]?["defaultKernelName"]?.GetValue<string>()
            ?? "csharp";
        return name.ToLowerInvariant() switch
        {
            "c#" or "csharp" => "csharp",
            "f#" or "fsharp" => "fsharp",
            "powershell" or "pwsh" => "pwsh",
            var other => other,
        };
    }

    private static string Source(JsonNode? node, Func<MlopsException> missing) => node switch
    {
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        JsonArray lines => string.Concat(lines.Select(l => l?.GetValue<string>() ?? "")),
        _ => throw missing(),
    };

    public static string Write(Notebook notebook)
    {
        var cells = new JsonArray();
        var index = 0;
        foreach (var cell in notebook.Cells)
        {
            var metadata = (JsonObject)cell.Metadata.DeepClone();
            if (cell.IsCode && metadata["dotnet_interactive"] is null && metadata["polyglot_notebook"] is null)
            {
                metadata["dotnet_interactive"] = new JsonObject { ["language"] = cell.Language };
            }
            var node = new JsonObject
            {
                ["cell_type"] = cell.Kind switch { CellKind.Code => "code", CellKind.Markdown => "markdown", _ => "raw" },
                ["id"] = cell.Id ?? $"cell-{index}",
                ["metadata"] = metadata,
                ["source"] = Lines(cell.Source),
            };
            if (cell.IsCode)
            {
                node["execution_count"] = cell.ExecutionCount;
                node["outputs"] = new JsonArray(cell.Outputs.Select(Output).ToArray());
            }
            cells.Add(node);
            index++;
        }
        var root = new JsonObject
        {
            ["cells"] = cells,
            ["metadata"] = notebook.Metadata.DeepClone(),
            ["nbformat"] = 4,
            ["nbformat_minor"] = Math.Max(notebook.FormatMinor, 5), // cell ids need 4.5
        };
        return root.ToJsonString(WriteOptions) + "\n";
    }

    private static JsonNode Output(CellOutput output) => output.Kind switch
    {
        OutputKind.Stream => new JsonObject { ["output_type"] = "stream", ["name"] = output.StreamName, ["text"] = Lines(output.Text ?? "") },
        OutputKind.Error => new JsonObject
        {
            ["output_type"] = "error",
            ["ename"] = output.ErrorName,
            ["evalue"] = output.ErrorValue,
            ["traceback"] = new JsonArray(output.Traceback.Select(t => (JsonNode?)t).ToArray()),
        },
        _ => WithData(output),
    };

    private static JsonObject WithData(CellOutput output)
    {
        var node = new JsonObject
        {
            ["output_type"] = output.Kind == OutputKind.ExecuteResult ? "execute_result" : "display_data",
            ["data"] = new JsonObject(output.Data.Select(d => KeyValuePair.Create<string, JsonNode?>(d.Key, Lines(d.Value)))),
            ["metadata"] = new JsonObject(),
        };
        if (output.Kind == OutputKind.ExecuteResult)
        {
            node["execution_count"] = output.ExecutionCount;
        }
        return node;
    }

    // nbformat stores multi-line strings as a list of lines, each keeping its newline.
    private static JsonArray Lines(string text)
    {
        var lines = new JsonArray();
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '\n')
            {
                lines.Add(text[start..(i + 1)]);
                start = i + 1;
            }
        }
        if (start < text.Length)
        {
            lines.Add(text[start..]);
        }
        return lines;
    }
}
