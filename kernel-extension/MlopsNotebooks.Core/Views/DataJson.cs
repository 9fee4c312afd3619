using System.Text.Json.Nodes;
using MlopsNotebooks.Versioning;

namespace MlopsNotebooks.Views;

/// <summary>JSON views of versioned data, in the shape and key order of <see cref="RunJson"/>'s.</summary>
public static class DataJson
{
    public static JsonObject Version(DataVersion v) => new()
    {
        ["path"] = v.Path,
        ["hash"] = v.Hash.ToString(),
        ["size"] = v.Size,
        ["files"] = v.Files,
        ["type"] = v.IsDirectory ? "directory" : "file",
    };

    public static JsonArray Versions(IEnumerable<DataVersion> versions) => RunJson.Array(versions, Version);

    public static JsonObject Status(DataStatus s) => new()
    {
        ["path"] = s.Path,
        ["state"] = s.State.ToString().ToLowerInvariant(),
        ["in_cache"] = s.InCache,
        ["recorded"] = Version(s.Recorded),
        ["changed_files"] = Strings(s.ChangedFiles),
    };

    public static JsonArray Statuses(IEnumerable<DataStatus> statuses) => RunJson.Array(statuses, Status);

    public static JsonObject Change(DataChange c) => new()
    {
        ["path"] = c.Path,
        ["change"] = c.Kind.ToString().ToLowerInvariant(),
        ["before"] = c.Before is null ? null : Version(c.Before),
        ["after"] = c.After is null ? null : Version(c.After),
        ["changed_files"] = Strings(c.ChangedFiles),
    };

    public static JsonArray Changes(IEnumerable<DataChange> changes) => RunJson.Array(changes, Change);

    public static JsonObject Transfer(TransferResult result) => new()
    {
        ["transferred"] = result.Transferred,
        ["already_there"] = result.AlreadyThere,
        ["bytes"] = result.Bytes,
        ["unavailable"] = Strings(result.Unavailable.Select(h => h.ToString())),
    };

    public static JsonObject Gc(GcResult result) => new()
    {
        ["dry_run"] = result.DryRun,
        ["removed"] = Strings(result.Removed.Select(h => h.ToString())),
        ["bytes"] = result.Bytes,
        ["kept"] = result.Kept,
        ["kept_young"] = result.Young,
        ["temporary_files"] = result.Temporary,
    };

    public static JsonObject RemoteGc(RemoteGcResult result) => new()
    {
        ["remote"] = result.Remote,
        ["dry_run"] = result.DryRun,
        ["removed"] = RunJson.Array(result.Removed, o => new JsonObject { ["hash"] = o.Hash.ToString(), ["size"] = o.Size }),
        ["bytes"] = result.RemovedBytes,
        ["kept_in_use"] = result.InUse,
        ["kept_in_use_bytes"] = result.InUseBytes,
        ["kept_young"] = result.Young,
        ["kept_young_bytes"] = result.YoungBytes,
    };

    private static JsonArray Strings(IEnumerable<string> values) => RunJson.Array(values, v => v);
}
