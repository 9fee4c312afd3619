namespace MlopsNotebooks.Versioning;

/// <summary>An object store on any <see cref="IFileSystem"/> under a root (DVC's <c>ObjectDB(fs, path)</c>).</summary>
public sealed class FileSystemObjectStore(IFileSystem fileSystem, string root, string location) : IObjectStore
{
    public ObjectLayout Layout { get; } = new(root, fileSystem.Separator);

    /// <summary>What messages call the store, e.g. "remote 'shared'".</summary>
    public string Location { get; } = location;

    public bool Contains(ContentHash hash) => fileSystem.Exists(Layout.PathOf(hash));

    public void Put(ContentHash hash, string localFile, CancellationToken cancellationToken) =>
        fileSystem.Upload(localFile, Layout.PathOf(hash), cancellationToken);

    /// <summary>Copies an object to a local file, unverified: the caller verifies it before publishing it.</summary>
    public void Get(ContentHash hash, string localFile, CancellationToken cancellationToken)
    {
        var path = Layout.PathOf(hash);
        if (!fileSystem.Exists(path))
        {
            throw new MissingObjectException(hash, Location);
        }
        fileSystem.Download(path, localFile, cancellationToken);
    }

    public Stream OpenRead(ContentHash hash)
    {
        var path = Layout.PathOf(hash);
        if (!fileSystem.Exists(path))
        {
            throw new MissingObjectException(hash, Location);
        }
        return new VerifyingStream(fileSystem.OpenRead(path), hash, Location);
    }

    public IEnumerable<ContentHash> List()
    {
        foreach (var path in fileSystem.ListFiles(Layout.ObjectsOf(ContentHash.Sha256)))
        {
            if (Layout.TryParse(path, out var hash))
            {
                yield return hash;
            }
        }
    }

    public void Remove(ContentHash hash) => fileSystem.Delete(Layout.PathOf(hash));
}
