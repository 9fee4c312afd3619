namespace MlopsNotebooks.Versioning;

/// <summary>
/// The one place that knows where objects live under a root: <c>objects/sha256/ab/cdef...</c> (the algorithm, then a
/// two-character fan-out, as DVC lays them out) and temporary files in <c>tmp/</c>. The local cache and every remote
/// use it, so a cache folder copied to a share is a remote and a remote folder is a cache.
/// </summary>
public sealed class ObjectLayout(string root, char separator)
{
    public string Root { get; } = root;

    /// <summary>The folder of one algorithm's objects.</summary>
    public string ObjectsOf(string algorithm) => Join(Root, "objects", algorithm);

    public string TempFolder => Join(Root, "tmp");

    /// <summary>
    /// A new temporary file's name in <see cref="TempFolder"/>: the writing process's id, a dash, a unique part. gc reads
    /// the id back to tell an abandoned file from one being written (<see cref="ObjectCache.RemoveAbandonedTemps"/>).
    /// </summary>
    public static string NewTempName() => $"{Environment.ProcessId}-{Guid.NewGuid():N}";

    public string PathOf(ContentHash hash) => Join(Root, "objects", hash.Algorithm, hash.Hex[..2], hash.Hex[2..]);

    /// <summary>The object a path names (inverse of <see cref="PathOf"/>), or false for anything else.</summary>
    public bool TryParse(string path, out ContentHash hash)
    {
        hash = default;
        var objects = ObjectsOf(ContentHash.Sha256) + separator;
        if (!path.StartsWith(objects, StringComparison.Ordinal))
        {
            return false;
        }
        var rest = path[objects.Length..];
        return rest.Length == 65 && rest[2] == separator
            && ContentHash.TryParse($"{ContentHash.Sha256}:{rest[..2]}{rest[3..]}", out hash);
    }

    // Path.Combine on the local disk (it is what the object paths were always built with); the separator elsewhere.
    private string Join(params string[] parts) =>
        separator == Path.DirectorySeparatorChar ? Path.Combine(parts) : string.Join(separator, parts);
}
