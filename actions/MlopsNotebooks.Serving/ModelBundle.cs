using System.Text.Json;
using System.Text.Json.Nodes;

namespace MlopsNotebooks.Serving;

/// <summary>
/// An export bundle as <c>mlops models export</c> writes it (ModelRegistry.Export): <c>model.zip</c>,
/// <c>manifest.json</c> with the name, version and the input and output schema, and <c>sample-input.json</c>. Opening
/// one reads and checks the manifest and the sample; the model itself is loaded by <see cref="ServedModel"/>.
/// </summary>
internal sealed class ModelBundle
{
    private ModelBundle(string folder, string name, int? version, IReadOnlyList<(string Name, string Type)> inputs, JsonNode sample)
    {
        Folder = folder;
        Name = name;
        Version = version;
        Inputs = inputs;
        Sample = sample;
    }

    public string Folder { get; }

    public string Name { get; }

    public int? Version { get; }

    /// <summary>The input columns as the manifest records them: name and ML.NET type.</summary>
    public IReadOnlyList<(string Name, string Type)> Inputs { get; }

    /// <summary>The sample input: one row (an object) or several (an array), in the bundle's column names.</summary>
    public JsonNode Sample { get; }

    public string ModelFile => Path.Combine(Folder, "model.zip");

    public static ModelBundle Open(string folder)
    {
        const string hint = "Serve a folder written by `mlops models download NAME@ALIAS --to FOLDER`, or name a registered version (name@alias, name/3).";
        if (!Directory.Exists(folder))
        {
            throw new NotFoundException($"There is no bundle folder at {folder}.", hint);
        }
        var manifest = ReadJson(Path.Combine(folder, "manifest.json"), "manifest", hint) as JsonObject
            ?? throw new MlopsException($"{Path.Combine(folder, "manifest.json")} is not a JSON object.", hint);
        if (!File.Exists(Path.Combine(folder, "model.zip")))
        {
            throw new MlopsException($"The bundle at {folder} has no model.zip.", hint);
        }
        var name = manifest["name"] is JsonValue n && n.TryGetValue<string>(out var s) && s.Length > 0 ? s
            : throw new MlopsException($"The manifest of {folder} names no model (\"name\" is missing).", hint);
        if (!Registry.ModelRegistry.IsUsableName(name))
        {
            throw new MlopsException($"The manifest of {folder} names the model {Registry.ModelRegistry.Quoted(name)}, which is not a model name (letters, digits, '-', '_' and '.', at most 100 characters).", hint);
        }
        int? version = manifest["version"] is JsonValue v && v.TryGetValue<int>(out var number) ? number : null;
        var sample = ReadJson(Path.Combine(folder, "sample-input.json"), "sample input", hint);
        return new ModelBundle(Path.GetFullPath(folder), name, version, Schema(manifest, "input_schema", folder, hint), sample);
    }

    private static IReadOnlyList<(string, string)> Schema(JsonObject manifest, string key, string folder, string hint)
    {
        if (manifest[key] is not JsonArray columns || columns.Count == 0)
        {
            throw new MlopsException($"The manifest of {folder} has no \"{key}\": the server cannot know the model's columns.", hint);
        }
        return columns.Select(c => c is JsonObject o && o["name"] is JsonValue name && name.TryGetValue<string>(out var n) && n.Length > 0
                && o["type"] is JsonValue type && type.TryGetValue<string>(out var t)
                ? (n, t)
                : throw new MlopsException($"The manifest of {folder} has a \"{key}\" entry without a name and type: {c?.ToJsonString()}", hint))
            .ToList();
    }

    private static JsonNode ReadJson(string file, string what, string hint)
    {
        if (!File.Exists(file))
        {
            throw new MlopsException($"The bundle has no {Path.GetFileName(file)} (its {what}).", hint);
        }
        try
        {
            return JsonNode.Parse(File.ReadAllBytes(file)) ?? throw new MlopsException($"{file} holds null, not a {what}.", hint);
        }
        catch (JsonException e)
        {
            throw new MlopsException($"{file} is not valid JSON: {e.Message}", hint);
        }
        catch (Exception e) when (EnvironmentException.From(e, file) is { } failure)
        {
            throw failure;
        }
    }
}
