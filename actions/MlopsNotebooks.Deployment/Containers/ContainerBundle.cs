using System.Text.Json;
using System.Text.Json.Nodes;
using MlopsNotebooks.Versioning;

namespace MlopsNotebooks.Deployment.Containers;

/// <summary>
/// An export bundle as an image carries it: its manifest's name, version and run id (for the labels and tags), and its
/// model checked against the manifest's hash, so a missing or corrupt model is refused before anything is built.
/// </summary>
public sealed record ContainerBundle(string Folder, string Name, int Version, string? RunId)
{
    private const string Hint = "Containerize a folder written by `mlops models download NAME@ALIAS --to FOLDER` (download it again if it was changed), or name a registered version (name@alias, name/3).";

    public static IReadOnlyList<string> Files => Registry.ModelRegistry.BundleFiles;

    public static ContainerBundle Open(string folder)
    {
        if (!Directory.Exists(folder))
        {
            throw new NotFoundException($"There is no bundle folder at {folder}.", Hint);
        }
        var missing = Files.Where(f => !File.Exists(Path.Combine(folder, f))).ToList();
        if (missing.Count > 0)
        {
            throw new MlopsException($"The bundle at {folder} has no {string.Join(" or ", missing)}.", Hint);
        }
        // A link would put whatever it points to (a key, /etc/shadow) into a layer: only the bundle's own files go in.
        if (Files.Select(f => (File: f, Target: new FileInfo(Path.Combine(folder, f)).LinkTarget)).FirstOrDefault(l => l.Target is not null) is { Target: { } target } linked)
        {
            throw new MlopsException($"The bundle at {folder} is refused: {linked.File} is a link (to {target}), and an image carries only the bundle's own files. Nothing was built.", Hint);
        }
        JsonObject manifest;
        try
        {
            manifest = JsonNode.Parse(File.ReadAllBytes(Path.Combine(folder, "manifest.json"))) as JsonObject
                ?? throw new MlopsException($"The manifest of the bundle at {folder} is not a JSON object.", Hint);
        }
        catch (JsonException e)
        {
            throw new MlopsException($"The manifest of the bundle at {folder} is not valid JSON: {e.Message}", Hint);
        }
        var name = manifest["name"] is JsonValue n && n.TryGetValue<string>(out var s) && s.Length > 0 ? s
            : throw new MlopsException($"The manifest of the bundle at {folder} names no model (\"name\" is missing).", Hint);
        if (!Registry.ModelRegistry.IsUsableName(name))
        {
            throw new MlopsException($"The manifest of the bundle at {folder} names the model {Registry.ModelRegistry.Quoted(name)}, which is not a model name (letters, digits, '-', '_' and '.', at most 100 characters). Nothing was built.", Hint);
        }
        var version = manifest["version"] is JsonValue v && v.TryGetValue<int>(out var number) && number > 0 ? number
            : throw new MlopsException($"The manifest of the bundle at {folder} has no model version (\"version\" is missing).", Hint);
        var runId = manifest["run_id"] is JsonValue r && r.TryGetValue<string>(out var id) ? id : null;
        // The run id becomes a label: a tracking store's ids are hex or Guid-like, never lines or megabytes.
        if (runId is not null && (runId.Length is 0 or > 64 || !runId.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_')))
        {
            throw new MlopsException($"The manifest of the bundle at {folder} records the run id {Registry.ModelRegistry.Quoted(runId)}, which is not a run id (letters, digits, '-' and '_', at most 64 characters). Nothing was built.", Hint);
        }
        VerifyModel(folder, manifest);
        return new ContainerBundle(Path.GetFullPath(folder), name, version, runId);
    }

    private static void VerifyModel(string folder, JsonObject manifest)
    {
        var model = Path.Combine(folder, "model.zip");
        if (manifest["model"]?["hash"] is not JsonValue recorded || !recorded.TryGetValue<string>(out var text) || !ContentHash.TryParse(text, out var expected))
        {
            throw new MlopsException($"The manifest of the bundle at {folder} records no hash of its model, so the model cannot be checked.", Hint);
        }
        var actual = ContentHash.OfFile(model);
        if (actual != expected)
        {
            throw new MlopsException($"The model of the bundle at {folder} is corrupt: model.zip hashes to {actual}, its manifest says {expected}. Nothing was built.", Hint);
        }
    }
}
