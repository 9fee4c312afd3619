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
            using (var document = JsonDocument.Parse(text))
            {
                // JsonObject throws on a repeated key when it is first read, wherever that is: refuse it here instead.
                if (RepeatedKey(document.RootElement, "") is { } repeated)
                {
                    throw Bad(repeated);
                }
            }
            root = JsonNode.Parse(text) as JsonObject ?? throw Bad("it is not a JSON object");
        }
        catch (JsonException e)
        {
            throw Bad($"its JSON is broken at line {e.LineNumber + 1}: {e.Message}");
        }
        if (Integer(root["nbformat"]) != 4)
        {
            throw Bad($"it is nbformat {root["nbformat"]?.ToJsonString() ?? "(missing)"}; only nbformat 4 is supported");
        }
        var minor = root["nbformat_minor"] is null ? 0 : Integer(root["nbformat_minor"]) is { } m and >= 0 ? m
            : throw Bad($"its nbformat_minor {root["nbformat_minor"]!.ToJsonString()} is not a whole number");
        var metadata = root["metadata"] as JsonObject ?? throw Bad("it has no metadata object");
        var defaultLanguage = DefaultLanguage(new Fields(metadata, "metadata.", Bad));
        var cells = root["cells"] as JsonArray ?? throw Bad("it has no cells array");
        var notebook = new Notebook { Format = NotebookFormat.Ipynb, Metadata = (JsonObject)metadata.DeepClone(), FormatMinor = minor };
        for (var i = 0; i < cells.Count; i++)
        {
            if (cells[i] is not JsonObject cell)
            {
                throw Bad($"cell {i + 1} is not an object");
            }
            var fields = new Fields(cell, $"cell {i + 1}'s ", Bad);
            var type = fields.String("cell_type");
            var kind = type switch
            {
                "code" => CellKind.Code,
                "markdown" => CellKind.Markdown,
                "raw" => CellKind.Raw,
                _ => throw Bad($"cell {i + 1} has cell_type '{type ?? "(missing)"}'"),
            };
            var cellMetadata = fields.Object("metadata") ?? [];
            var meta = new Fields(cellMetadata, $"cell {i + 1}'s metadata.", Bad);
            meta.Strings("tags");
            var language = meta.Object("dotnet_interactive") is { } dotnet ? new Fields(dotnet, $"cell {i + 1}'s metadata.dotnet_interactive.", Bad).String("language") : null;
            var kernelName = meta.Object("polyglot_notebook") is { } polyglot ? new Fields(polyglot, $"cell {i + 1}'s metadata.polyglot_notebook.", Bad).String("kernelName") : null;
            notebook.Cells.Add(new NotebookCell
            {
                Kind = kind,
                Language = kind switch
                {
                    CellKind.Markdown => "markdown",
                    CellKind.Raw => "raw",
                    _ => language ?? kernelName ?? defaultLanguage,
                },
                Source = fields.Source("source") ?? throw Bad($"cell {i + 1} has no source"),
                Id = fields.String("id"),
                Metadata = (JsonObject)cellMetadata.DeepClone(),
                ExecutionCount = cell["execution_count"] is null ? null : Integer(cell["execution_count"])
                    ?? throw Bad($"cell {i + 1}'s execution_count {cell["execution_count"]!.ToJsonString()} is not a whole number or null"),
            });
        }
        return notebook;
    }

    /// <summary>The first key an object repeats, described with where it is; null when none does.</summary>
    internal static string? RepeatedKey(JsonElement element, string where)
    {
        if (element.ValueKind == JsonValueKind.Object)
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var property in element.EnumerateObject())
            {
                var inner = where.Length == 0 ? property.Name : $"{where}.{property.Name}";
                if (!seen.Add(property.Name))
                {
                    return $"the key '{property.Name}' appears twice in {(where.Length == 0 ? "the top-level object" : where)}";
                }
                if (RepeatedKey(property.Value, inner) is { } repeated)
                {
                    return repeated;
                }
            }
        }
        else if (element.ValueKind == JsonValueKind.Array)
        {
            var index = 0;
            foreach (var item in element.EnumerateArray())
            {
                if (RepeatedKey(item, $"{where}[{index++}]") is { } repeated)
                {
                    return repeated;
                }
            }
        }
        return null;
    }

    private static int? Integer(JsonNode? node) => node is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<int>(out var n) ? n : null;

    /// <summary>
    /// Typed reads of one object's fields. A missing field is null; a field of the wrong type (a JSON null included) is an
    /// error naming where it is, since a notebook is someone else's file.
    /// </summary>
    private readonly record struct Fields(JsonObject Json, string Prefix, Func<string, MlopsException> Bad)
    {
        public string? String(string name) => Json.TryGetPropertyValue(name, out var node) switch
        {
            false => null,
            _ when node is JsonValue v && v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
            _ => throw Bad($"{Prefix}{name} is {Describe(node)}, not a string"),
        };

        public JsonObject? Object(string name) => Json.TryGetPropertyValue(name, out var node) switch
        {
            false => null,
            _ when node is JsonObject o => o,
            _ => throw Bad($"{Prefix}{name} is {Describe(node)}, not an object"),
        };

        /// <summary>A list of strings (Jupyter's tags).</summary>
        public IReadOnlyList<string>? Strings(string name) => Json.TryGetPropertyValue(name, out var node) switch
        {
            false => null,
            _ when node is JsonArray a && a.All(IsString) => a.Select(t => t!.GetValue<string>()).ToList(),
            _ => throw Bad($"{Prefix}{name} is {Describe(node)}, not a list of strings"),
        };

        /// <summary>nbformat's multi-line string: one string, or a list of strings joined as they are.</summary>
        public string? Source(string name) => Json.TryGetPropertyValue(name, out var node) switch
        {
            false => null,
            _ when IsString(node) => node!.GetValue<string>(),
            _ when node is JsonArray a && a.All(IsString) => string.Concat(a.Select(l => l!.GetValue<string>())),
            _ => throw Bad($"{Prefix}{name} is {Describe(node)}, not a string or a list of strings"),
        };

        private static bool IsString(JsonNode? node) => node is JsonValue v && v.GetValueKind() == JsonValueKind.String;

        private static string Describe(JsonNode? node) => node switch
        {
            null => "null",
            JsonArray => "a list with other things than strings",
            JsonObject => "an object",
            _ => node.GetValueKind() switch
            {
                JsonValueKind.Number => "a number",
                JsonValueKind.True or JsonValueKind.False => "true or false",
                _ => "a string",
            },
        };
    }

    private static string DefaultLanguage(Fields metadata)
    {
        string? Language(string section, string field) =>
            metadata.Object(section) is { } o ? new Fields(o, $"{metadata.Prefix}{section}.", metadata.Bad).String(field) : null;
        var name = Language("kernelspec", "language") ?? Language("language_info", "name") ?? Language("polyglot_notebook", "defaultKernelName") ?? "csharp";
        return name.ToLowerInvariant() switch
        {
            "c#" or "csharp" => "csharp",
            "f#" or "fsharp" => "fsharp",
            "powershell" or "pwsh" => "pwsh",
            var other => other,
        };
    }

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
            ["metadata"] = notebook.Format == NotebookFormat.Dib ? FromDib(notebook.Metadata) : notebook.Metadata.DeepClone(),
            ["nbformat"] = 4,
            ["nbformat_minor"] = Math.Max(notebook.FormatMinor, 5), // cell ids need 4.5
        };
        return root.ToJsonString(WriteOptions) + "\n";
    }

    /// <summary>
    /// A .dib's metadata as Polyglot Notebooks keeps it in an .ipynb: its kernel list under <c>polyglot_notebook</c>, and the
    /// .NET C# kernelspec, so that Jupyter opens it in the .NET kernel.
    /// </summary>
    private static JsonObject FromDib(JsonObject dib)
    {
        var metadata = (JsonObject)dib.DeepClone();
        if (metadata["kernelInfo"] is { } kernels)
        {
            metadata.Remove("kernelInfo");
            metadata["polyglot_notebook"] = new JsonObject { ["kernelInfo"] = kernels };
        }
        metadata["kernelspec"] ??= new JsonObject { ["display_name"] = ".NET (C#)", ["language"] = "C#", ["name"] = ".net-csharp" };
        metadata["language_info"] ??= new JsonObject { ["name"] = "polyglot-notebook" };
        return metadata;
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
            ["data"] = new JsonObject(output.Data.Select(d => KeyValuePair.Create(d.Key, DataValue(d.Key, d.Value)))),
            ["metadata"] = new JsonObject(),
        };
        if (output.Kind == OutputKind.ExecuteResult)
        {
            node["execution_count"] = output.ExecutionCount;
        }
        return node;
    }

    // nbformat keeps the value of a JSON mime type (application/json, */*+json) as JSON, as Jupyter writes it; others as text.
    private static JsonNode? DataValue(string mimeType, string value)
    {
        if (mimeType == "application/json" || mimeType.EndsWith("+json", StringComparison.Ordinal))
        {
            try
            {
                return JsonNode.Parse(value);
            }
            catch (System.Text.Json.JsonException)
            {
                // not JSON after all: kept as the text it is
            }
        }
        return Lines(value);
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
