using System.Globalization;
using System.Text.Json.Nodes;
using MlopsNotebooks.Registry;

namespace MlopsNotebooks.Views;

/// <summary>Plain-text views of the model registry, for terminals.</summary>
public static class ModelText
{
    public static string Models(IReadOnlyList<RegisteredModel> models)
    {
        if (models.Count == 0)
        {
            return "No registered models.\n";
        }
        var table = new TextTable("NAME", "LATEST", "ALIASES", "CREATED");
        foreach (var m in models)
        {
            table.Add(m.Name, m.LatestVersion.ToString(CultureInfo.InvariantCulture),
                string.Join(", ", m.Aliases.Select(a => $"{a.Key}={a.Value}")), RunText.Time(m.CreationTime));
        }
        return table.ToString();
    }

    public static string Versions(IReadOnlyList<ModelVersion> versions)
    {
        var table = new TextTable("VERSION", "ALIASES", "RUN", "MODEL HASH", "REGISTERED");
        foreach (var v in versions)
        {
            table.Add(v.Version.ToString(CultureInfo.InvariantCulture), string.Join(", ", v.Aliases), v.RunId?[..8], v.ModelHash[..19], RunText.Time(v.CreationTime));
        }
        return table.ToString();
    }

    /// <summary>One version: its aliases and run, then its manifest as JSON.</summary>
    public static string Version(ModelVersion version, JsonObject manifest) =>
        $"{version} (aliases: {string.Join(", ", version.Aliases.DefaultIfEmpty("none"))}), from run {version.RunId}\n{RunJson.Write(manifest)}\n";

    public static string Registered(ModelVersion version) =>
        $"Registered {version}{(version.Aliases.Count > 0 ? $" ({string.Join(", ", version.Aliases)})" : "")} from run {version.RunId}.\n";
}
