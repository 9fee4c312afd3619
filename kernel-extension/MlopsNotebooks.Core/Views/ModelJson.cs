using System.Text.Json.Nodes;
using MlopsNotebooks.Registry;

namespace MlopsNotebooks.Views;

/// <summary>JSON views of the model registry, in the shape and key order of <see cref="RunJson"/>'s.</summary>
public static class ModelJson
{
    public static JsonObject Model(RegisteredModel m) => new()
    {
        ["name"] = m.Name,
        ["latest_version"] = m.LatestVersion,
        ["aliases"] = new JsonObject(m.Aliases.Select(a => KeyValuePair.Create<string, JsonNode?>(a.Key, a.Value))),
    };

    public static JsonArray Models(IEnumerable<RegisteredModel> models) => RunJson.Array(models, Model);

    public static JsonObject Version(ModelVersion v) => new()
    {
        ["name"] = v.Name,
        ["version"] = v.Version,
        ["run_id"] = v.RunId,
        ["aliases"] = RunJson.Array(v.Aliases, a => a),
        ["model_hash"] = v.ModelHash,
        ["manifest_hash"] = v.ManifestHash,
        ["sample_hash"] = v.SampleHash,
        ["creation_time"] = v.CreationTime.ToUnixTimeMilliseconds(),
    };

    public static JsonArray Versions(IEnumerable<ModelVersion> versions) => RunJson.Array(versions, Version);

    /// <summary>One version with its manifest (schemas, metrics, lineage) under "manifest".</summary>
    public static JsonObject Version(ModelVersion v, JsonObject manifest)
    {
        var json = Version(v);
        json["manifest"] = manifest;
        return json;
    }
}
