using System.Globalization;
using System.Text;
using MlopsNotebooks.Versioning;

namespace MlopsNotebooks.Views;

/// <summary>Plain-text views of versioned data, for terminals.</summary>
public static class DataText
{
    public static string Added(IEnumerable<DataVersion> versions) =>
        string.Concat(versions.Select(v => $"{v.Path}: {v.Hash} ({Files(v)}, {Bytes(v.Size)}) -> {v.Path}.mlops\n"))
        + "Commit the .mlops pointer files (and .gitignore) to git; `mlops data push` shares the data.\n";

    public static string Statuses(IReadOnlyList<DataStatus> statuses)
    {
        if (statuses.Count == 0)
        {
            return "No versioned data (add some with `mlops data add <path>`).\n";
        }
        var table = new TextTable("PATH", "STATE", "CACHE", "RECORDED");
        foreach (var s in statuses)
        {
            table.Add(s.Path, s.State.ToString().ToLowerInvariant(), s.InCache ? "yes" : "missing (pull)", Short(s.Recorded.Hash));
            foreach (var file in s.ChangedFiles)
            {
                table.Add("  " + file, "", "", "");
            }
        }
        return table.ToString();
    }

    public static string Changes(IReadOnlyList<DataChange> changes)
    {
        if (changes.Count == 0)
        {
            return "No data changes.\n";
        }
        var text = new StringBuilder();
        foreach (var c in changes)
        {
            text.Append(CultureInfo.InvariantCulture, $"{c.Kind.ToString().ToLowerInvariant()}: {c.Path}  {(c.Before is null ? "-" : Short(c.Before.Hash))} -> {(c.After is null ? "-" : Short(c.After.Hash))}\n");
            foreach (var file in c.ChangedFiles)
            {
                text.Append("  ").Append(file).Append('\n');
            }
        }
        return text.ToString();
    }

    public static string Restored(IReadOnlyList<DataVersion> restored) => restored.Count == 0
        ? "Everything already matches its pointer file.\n"
        : string.Concat(restored.Select(v => $"restored {v.Path} ({Short(v.Hash)})\n"));

    /// <summary>What a push (<paramref name="verb"/> "uploaded") or a pull ("downloaded") moved.</summary>
    public static string Transfer(TransferResult result, string verb) =>
        $"{verb} {result.Transferred} objects ({Bytes(result.Bytes)}); {result.AlreadyThere} already there.\n"
        + (result.Unavailable.Count > 0 ? $"{result.Unavailable.Count} objects are in neither place: re-add their data where it exists.\n" : "");

    /// <summary>What gc removed, and what it kept in use or within <paramref name="grace"/>; a dry run lists the objects.</summary>
    public static string Gc(GcResult result, TimeSpan grace) =>
        string.Concat(result.DryRun ? result.Removed.Select(h => $"{h}\n") : [])
        + $"{(result.DryRun ? "would remove" : "removed")} {result.Removed.Count} objects and {result.Temporary} temporary files ({Bytes(result.Bytes)}); "
        + $"kept {result.Kept} in use and {result.Young} unreferenced but changed within {grace}.\n";

    /// <summary>What gc removed from a remote and what it kept, with counts and bytes; a dry run lists the objects.</summary>
    public static string RemoteGc(RemoteGcResult result, TimeSpan grace) =>
        string.Concat(result.DryRun ? result.Removed.Select(o => $"{o.Hash}\n") : [])
        + $"{(result.DryRun ? "would remove" : "removed")} {result.Removed.Count} objects ({Bytes(result.RemovedBytes)}) from remote '{result.Remote}'; "
        + $"kept {result.InUse} in use ({Bytes(result.InUseBytes)}) and {result.Young} unreferenced but written within {grace} ({Bytes(result.YoungBytes)}).\n";

    public static string Remotes(IReadOnlyDictionary<string, string> remotes, string? defaultRemote)
    {
        var table = new TextTable("NAME", "URL", "DEFAULT");
        foreach (var (name, url) in remotes)
        {
            table.Add(name, url, name == defaultRemote ? "yes" : "");
        }
        return table.ToString();
    }

    public static string Bytes(long bytes) => bytes switch
    {
        < 1024 => $"{bytes} B",
        < 1024 * 1024 => $"{bytes / 1024.0:0.0} KiB",
        < 1024L * 1024 * 1024 => $"{bytes / (1024.0 * 1024):0.0} MiB",
        _ => $"{bytes / (1024.0 * 1024 * 1024):0.00} GiB",
    };

    // The algorithm and the first 12 hex digits: enough to tell versions apart in a table.
    private static string Short(ContentHash hash) => hash.ToString()[..19];

    private static string Files(DataVersion v) => v.IsDirectory ? $"{v.Files} files" : "1 file";
}
