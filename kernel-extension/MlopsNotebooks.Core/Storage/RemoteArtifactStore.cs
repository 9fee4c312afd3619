using MlopsNotebooks.Tracking;
using MlopsNotebooks.Versioning;

namespace MlopsNotebooks.Storage;

/// <summary>
/// Run artifacts of a team store in a remote (a blob container, a share), as MLflow keeps a tracking server's artifacts
/// in its artifact root: every object is written to the remote (only when it is missing there), so any clone with the
/// same tracking URI reads it, and is read through the local object cache, fetched once and verified before use.
/// </summary>
public sealed class RemoteArtifactStore : IArtifactStore
{
    private readonly IRemote _remote;
    private readonly Lazy<ObjectCache> _cache;
    private readonly Lazy<ObjectTransfer> _transfer;

    /// <summary>
    /// Objects on <paramref name="remote"/>, read through the object cache of the work tree around
    /// <paramref name="workingDirectory"/> (<c>.mlops/cache</c>), which is made only when something is first written to it.
    /// </summary>
    public RemoteArtifactStore(IRemote remote, string workingDirectory)
    {
        _remote = remote;
        _cache = new(() => new ObjectCache(Path.Combine(TrackingStores.EnsureStateFolder(workingDirectory), "cache")));
        _transfer = new(() => new ObjectTransfer(_cache.Value, remote));
    }

    public ArtifactInfo Put(string sourceFile, string artifactPath)
    {
        var name = ArtifactPaths.Normalize(artifactPath);
        var hash = Add(sourceFile);
        return new ArtifactInfo(name, hash.ToString(), new FileInfo(_cache.Value.PathOf(hash)).Length);
    }

    public ContentHash PutBytes(ReadOnlySpan<byte> content) => Send(_cache.Value.AddBytes(content));

    public ContentHash Add(string sourceFile) => Send(_cache.Value.AddCopy(sourceFile));

    public IReadOnlySet<ContentHash> Has(IReadOnlyCollection<ContentHash> hashes) => _remote.Has(hashes);

    public Stream OpenRead(ArtifactInfo artifact) => OpenRead(ContentHash.Parse(artifact.Hash));

    public Stream OpenRead(ContentHash hash)
    {
        _transfer.Value.Fetch(hash, CancellationToken.None);
        return _cache.Value.OpenRead(hash);
    }

    public void CopyTo(ContentHash hash, string targetFile)
    {
        _transfer.Value.Fetch(hash, CancellationToken.None);
        _cache.Value.CopyTo(hash, targetFile);
    }

    // The object is in the local cache; the remote gets it unless it has it (the transfer verifies it first).
    private ContentHash Send(ContentHash hash)
    {
        _transfer.Value.Upload([hash], CancellationToken.None);
        return hash;
    }
}
