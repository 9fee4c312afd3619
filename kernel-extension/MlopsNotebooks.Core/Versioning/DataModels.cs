namespace MlopsNotebooks.Versioning;

/// <summary>A version of a data file or folder: its repo-relative path and content hash (for a folder, its manifest's).</summary>
public sealed record DataVersion(string Path, ContentHash Hash, long Size, int Files, bool IsDirectory);

public enum DataState
{
    /// <summary>The data matches its pointer file.</summary>
    Unchanged,

    /// <summary>The data differs from its pointer file (add it to record the new version, or checkout to undo).</summary>
    Modified,

    /// <summary>The pointer file is there, the data is not (checkout or pull brings it).</summary>
    Missing,
}

/// <summary>How one versioned path compares with its pointer file.</summary>
public sealed record DataStatus(
    string Path,
    DataState State,
    bool InCache,
    DataVersion Recorded,
    IReadOnlyList<string> ChangedFiles);

public enum ChangeKind
{
    Added,
    Removed,
    Modified,
}

/// <summary>A versioned path whose pointer differs between a revision and the work tree.</summary>
public sealed record DataChange(string Path, ChangeKind Kind, DataVersion? Before, DataVersion? After, IReadOnlyList<string> ChangedFiles);

/// <summary>What a push or pull moved.</summary>
public sealed record TransferResult(int Transferred, int AlreadyThere, long Bytes, IReadOnlyList<ContentHash> Unavailable);

/// <summary>What gc removed (or, in a dry run, would remove).</summary>
public sealed record GcResult(IReadOnlyList<ContentHash> Removed, int Kept, long Bytes, bool DryRun)
{
    /// <summary>Unreferenced objects kept because they changed within the grace period.</summary>
    public int Young { get; init; }

    /// <summary>Temporary files of killed commands removed (or that would be).</summary>
    public int Temporary { get; init; }
}
