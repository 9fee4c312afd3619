namespace MlopsNotebooks.Versioning;

/// <summary>
/// A remote in a folder (a mounted share, another disk): an object store on the local file system, in the same
/// layout as the local cache. A blob remote is the same over another <see cref="IFileSystem"/>.
/// </summary>
public sealed class DirectoryRemote : IRemote
{
    private readonly FileSystemObjectStore _objects;

    public DirectoryRemote(string name, string root)
    {
        Name = name;
        Root = Path.GetFullPath(root);
        _objects = new FileSystemObjectStore(new LocalFileSystem(Path.Combine(Root, "tmp")), Root, $"remote '{name}'");
    }

    public string Name { get; }

    public string Root { get; }

    public IReadOnlySet<ContentHash> Has(IReadOnlyCollection<ContentHash> hashes) => hashes.Where(_objects.Contains).ToHashSet();

    public void Upload(ContentHash hash, string sourceFile, CancellationToken cancellationToken) => _objects.Put(hash, sourceFile, cancellationToken);

    public void Download(ContentHash hash, string targetFile, CancellationToken cancellationToken) => _objects.Get(hash, targetFile, cancellationToken);

    public IEnumerable<RemoteObject> List()
    {
        foreach (var hash in _objects.List())
        {
            var file = new FileInfo(_objects.Layout.PathOf(hash));
            if (file.Exists)
            {
                yield return new RemoteObject(hash, file.Length, file.LastWriteTimeUtc);
            }
        }
    }

    public void Remove(ContentHash hash) => _objects.Remove(hash);
}
