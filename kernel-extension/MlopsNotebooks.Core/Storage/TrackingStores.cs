using MlopsNotebooks.Registry;

namespace MlopsNotebooks.Storage;

/// <summary>
/// An open tracking store, the artifact store its run artifacts go to, and how to open the model registry store beside
/// it (on first use: a client that never touches the registry opens nothing more).
/// </summary>
public sealed record TrackingLocation(ITrackingStore Store, IArtifactStore Artifacts, Func<IModelRegistryStore> OpenModelRegistry);

/// <summary>A tracking URI as the store registries receive it: the URI (null for the default), where relative paths start, and whether the store is only read.</summary>
public sealed record StoreAddress(string? Uri, string WorkingDirectory, bool ReadOnly)
{
    /// <summary>
    /// Where a new store's run artifacts go (<c>MLOPS_ARTIFACT_URI</c>: a remote such as <c>azure://container/prefix</c>),
    /// recorded in the store when it is created, as MLflow's artifact root; null leaves the store's own choice.
    /// </summary>
    public string? ArtifactUri { get; init; }
}

/// <summary>
/// Picks the tracking store backend from a URI through <see cref="Registry"/>, as MLflow registers its stores:
/// no URI (and no <c>MLOPS_TRACKING_URI</c>) means <c>.mlops/mlops.db</c> at the root of the git work tree around the
/// current directory; <c>sqlite:///relative.db</c> and <c>sqlite:////absolute.db</c> or a plain file path mean SQLite.
/// A new backend (<c>postgresql://</c>) is one class implementing <see cref="ITrackingStore"/> (on a
/// <see cref="SqlDatabase"/> of its own, with <see cref="SqlTrackingStore"/> and <see cref="SqlModelRegistryStore"/>
/// over it), one Register line here and one in <see cref="ModelRegistryStores"/>, and one more class deriving from
/// each store contract suite in the tests.
/// </summary>
public static class TrackingStores
{
    public const string UriVariable = "MLOPS_TRACKING_URI";
    public const string ArtifactUriVariable = "MLOPS_ARTIFACT_URI";
    public const string StateFolder = ".mlops";
    public const string DefaultFileName = "mlops.db";

    /// <summary>The tracking store backends by scheme; a plain path (or no URI) is SQLite.</summary>
    public static SchemeRegistry<Func<StoreAddress, ITrackingStore>> Registry { get; } = new(UnsupportedScheme);

    static TrackingStores()
    {
        Registry.Register(UriSchemes.PlainPath, OpenSqlite);
        Registry.Register("sqlite", OpenSqlite);
    }

    /// <summary>Opens the store named by <paramref name="uri"/>, else by MLOPS_TRACKING_URI, else the default.</summary>
    public static TrackingLocation Open(string? uri = null, string? workingDirectory = null) =>
        Open(Address(uri, workingDirectory, readOnly: false));

    /// <summary>
    /// Opens an existing store only to read it: nothing is created or written (a missing store is an error, not a new
    /// empty one), so reading works on a read-only file or file system.
    /// </summary>
    public static TrackingLocation OpenForReading(string? uri = null, string? workingDirectory = null) =>
        Open(Address(uri, workingDirectory, readOnly: true));

    private static StoreAddress Address(string? uri, string? workingDirectory, bool readOnly)
    {
        var folder = workingDirectory ?? Directory.GetCurrentDirectory();
        return new(string.IsNullOrWhiteSpace(uri) ? Environment.GetEnvironmentVariable(UriVariable) : uri, folder, readOnly)
        {
            ArtifactUri = Environment.GetEnvironmentVariable(ArtifactUriVariable) is { Length: > 0 } artifacts ? AbsoluteArtifactUri(artifacts, folder) : null,
        };
    }

    /// <summary>
    /// A folder given as the artifact root, made absolute against <paramref name="workingDirectory"/>: the store records
    /// it for every client, and a relative path would name another folder for each of them.
    /// </summary>
    public static string AbsoluteArtifactUri(string artifactUri, string workingDirectory) =>
        UriSchemes.Of(artifactUri) == UriSchemes.PlainPath ? Path.GetFullPath(artifactUri, workingDirectory) : artifactUri;

    private static TrackingLocation Open(StoreAddress address)
    {
        var store = Registry.For(address.Uri)(address);
        try
        {
            var artifacts = store.ArtifactRoot is { } root ? ArtifactStores.Open(root, address.WorkingDirectory)
                : UriSchemes.Of(store.Location) == UriSchemes.PlainPath ? ArtifactStores.Open(ArtifactRootOf(store), address.WorkingDirectory)
                : new UnsetArtifactStore(store.Location);
            return new TrackingLocation(store, artifacts, () => ModelRegistryStores.Open(address));
        }
        catch
        {
            store.Dispose();
            throw;
        }
    }

    /// <summary>
    /// In .mlops/ the artifacts share the cache that data versioning uses; a store file elsewhere gets its own cache
    /// named after it (mlops.db -> mlops.cache), never a generic folder beside unrelated files.
    /// </summary>
    private static string ArtifactRootOf(ITrackingStore store)
    {
        var folder = Path.GetDirectoryName(store.Location)!;
        return Path.GetFileName(folder) == StateFolder ? Path.Combine(folder, "cache") : Path.ChangeExtension(store.Location, ".cache");
    }

    private static SqliteTrackingStore OpenSqlite(StoreAddress address) =>
        new(SqlitePath(address), address.ReadOnly, address.ArtifactUri);

    /// <summary>The SQLite file an address names; read-only, it must exist (reading never makes an empty store).</summary>
    internal static string SqlitePath(StoreAddress address)
    {
        var path = ResolveSqlitePath(address.Uri, address.WorkingDirectory, create: !address.ReadOnly);
        if (address.ReadOnly && !File.Exists(path) && !Directory.Exists(path))
        {
            throw new TrackingStoreException($"There is no tracking store at {path}.",
                "Nothing has been recorded there: runs are recorded by Mlops.StartRun or `mlops notebook run`. "
                + "Check --tracking-uri or MLOPS_TRACKING_URI.");
        }
        return path;
    }

    /// <summary>The message for a tracking URI whose scheme no backend takes.</summary>
    internal static MlopsException UnsupportedScheme(string uri, string scheme) => new(
        $"The tracking URI scheme '{scheme}' is not supported.",
        "Use sqlite:///path/to/mlops.db, a file path, or unset MLOPS_TRACKING_URI for the default .mlops/mlops.db.");

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
        if (UriSchemes.Of(uri) is { Length: > 0 } scheme)
        {
            throw UnsupportedScheme(uri, scheme); // sqlite:// with two slashes, or a scheme that is not SQLite's
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
