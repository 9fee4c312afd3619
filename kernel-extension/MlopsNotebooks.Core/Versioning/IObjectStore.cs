namespace MlopsNotebooks.Versioning;

/// <summary>
/// Content-addressed objects (DVC's <c>ObjectDB</c>): each named by its hash, laid out by <see cref="ObjectLayout"/>,
/// written whole or not at all, skipped when present, and verified when read. The local cache
/// (<see cref="ObjectCache"/>) and the store behind a remote (<see cref="FileSystemObjectStore"/>) both are one.
/// </summary>
public interface IObjectStore
{
    bool Contains(ContentHash hash);

    /// <summary>
    /// Stores a local file as the object <paramref name="hash"/>; the caller vouches for the hash (reads verify it).
    /// Nothing is written when the object is there.
    /// </summary>
    void Put(ContentHash hash, string localFile, CancellationToken cancellationToken);

    /// <summary>Opens an object; reading it to the end verifies it (<see cref="CorruptObjectException"/>).</summary>
    Stream OpenRead(ContentHash hash);

    /// <summary>Every object in the store.</summary>
    IEnumerable<ContentHash> List();

    /// <summary>Removes an object; a missing one is no error.</summary>
    void Remove(ContentHash hash);
}
