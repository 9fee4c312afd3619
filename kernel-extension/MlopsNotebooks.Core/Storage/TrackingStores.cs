namespace MlopsNotebooks.Storage;

/// <summary>An open tracking store and the object cache its run artifacts go to.</summary>
public sealed record TrackingLocation(ITrackingStore Store, string ArtifactRoot);

/// <summary>
/// Picks the tracking store backend from a URI, as MLflow does:
/// no URI (and no <c>MLOPS_TRACKING_URI</c>) means <c>.mlops/mlops.db</c> at the root of the git work tree around the
/// current directory; <c>sqlite:///relative.db</c> and <c>sqlite:////absolute.db</c> or a plain file path mean SQLite.
/// </summary>
public static class TrackingStores
{
    public const string UriVariable = "MLOPS_TRACKING_URI";
    public const string StateFolder = ".mlops";
    public const string DefaultFileName = "mlops.db";

    /// <summary>Opens the store named by <paramref name="uri"/>, else by MLOPS_TRACKING_URI, else the default.</summary>
    public static TrackingLocation Open(string? uri = null, string? workingDirectory = null)
    {
        uri = string.IsNullOrWhiteSpace(uri) ? Environment.GetEnvironmentVariable(UriVariable) : uri;
        var path = ResolveSqlitePath(uri, workingDirectory ?? Directory.GetCurrentDirectory());
        return Locate(new SqliteTrackingStore(path));
    }

    /// <summary>
    /// Opens an existing store only to read it: nothing is created or written (a missing store is an error, not a new
    /// empty one), so reading works on a read-only file or file system.
    /// </summary>
    public static TrackingLocation OpenForReading(string? uri = null, string? workingDirectory = null)
    {
        uri = string.IsNullOrWhiteSpace(uri) ? Environment.GetEnvironmentVariable(UriVariable) : uri;
        var path = ResolveSqlitePath(uri, workingDirectory ?? Directory.GetCurrentDirectory(), create: false);
        if (!File.Exists(path) && !Directory.Exists(path))
        {
            throw new TrackingStoreException($"There is no tracking store at {path}.",
                "Nothing has been recorded there: runs are recorded by Mlops.StartRun or `mlops notebook run`. "
                + "Check --tracking-uri or MLOPS_TRACKING_URI.");
        }
        return Locate(new SqliteTrackingStore(path, readOnly: true));
    }

    private static TrackingLocation Locate(SqliteTrackingStore store)
    {
        // In .mlops/ the artifacts share the cache that data versioning uses; a store file elsewhere gets its own
        // cache named after it (mlops.db -> mlops.cache), never a generic folder beside unrelated files.
        var folder = Path.GetDirectoryName(store.Location)!;
        var cache = Path.GetFileName(folder) == StateFolder ? Path.Combine(folder, "cache") : Path.ChangeExtension(store.Location, ".cache");
        return new TrackingLocation(store, cache);
    }

    internal static string ResolveSqlitePath(string? uri, string workingDirectory, bool create = true)
    {
        if (string.IsNullOrWhiteSpace(uri))
        {
            var folder = create ? EnsureStateFolder(workingDirectory) : Path.Combine(FindWorkTreeRoot(workingDirectory), StateFolder);
            return Path.Combine(folder, DefaultFileName);
        }
        const string sqlite = "sqlite:///";
        if (uri.StartsWith(sqlite, StringComparison.OrdinalIgnoreCase))
        {
            var rest = uri[sqlite.Length..];
            if (rest.Length == 0)
            {
                throw new MlopsException($"The tracking URI '{uri}' names no file.", "Write sqlite:///relative/path.db or sqlite:////absolute/path.db.");
            }
            return Path.GetFullPath(rest, workingDirectory);
        }
        var schemeEnd = uri.IndexOf("://", StringComparison.Ordinal);
        if (schemeEnd > 0)
        {
            throw new MlopsException(
                $"The tracking URI scheme '{uri[..schemeEnd]}' is not supported.",
                "Use sqlite:///path/to/mlops.db, a file path, or unset MLOPS_TRACKING_URI for the default .mlops/mlops.db.");
        }
        var full = Path.GetFullPath(uri, workingDirectory);
        return Directory.Exists(full) ? Path.Combine(full, DefaultFileName) : full;
    }

    /// <summary>The root of the git work tree around <paramref name="directory"/>, or the directory itself.</summary>
    public static string FindWorkTreeRoot(string directory)
    {
        for (var dir = new DirectoryInfo(Path.GetFullPath(directory)); dir is not null; dir = dir.Parent)
        {
            // .git is a folder in a plain clone and a file in a worktree or submodule.
            var git = Path.Combine(dir.FullName, ".git");
            if (Directory.Exists(git) || File.Exists(git))
            {
                return dir.FullName;
            }
        }
        return Path.GetFullPath(directory);
    }

    /// <summary>Creates <c>.mlops/</c> at the work tree root with an ignore rule, so local state stays out of git.</summary>
    public static string EnsureStateFolder(string workingDirectory)
    {
        var folder = Path.Combine(FindWorkTreeRoot(workingDirectory), StateFolder);
        Directory.CreateDirectory(folder);
        var ignore = Path.Combine(folder, ".gitignore");
        if (!File.Exists(ignore))
        {
            File.WriteAllText(ignore, "# Local MlopsNotebooks state (tracking store, caches); written by the kit.\n*\n");
        }
        return folder;
    }
}
