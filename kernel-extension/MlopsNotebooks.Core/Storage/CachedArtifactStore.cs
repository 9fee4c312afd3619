using MlopsNotebooks.Tracking;
using MlopsNotebooks.Versioning;

namespace MlopsNotebooks.Storage;

/// <summary>
/// Run artifacts in the content-addressed object cache: a model logged twice is stored once, every read is verified,
/// and <c>mlops data gc</c> knows them by hash. The run's artifact table maps names to hashes.
/// </summary>
public sealed class CachedArtifactStore : IArtifactStore
{
    private readonly Lazy<ObjectCache> _cache;
    private readonly ObjectLayout _layout;

    public CachedArtifactStore(ObjectCache cache)
    {
        _cache = new(cache);
        _layout = cache.Layout;
    }

    /// <summary>Opens the cache at <paramref name="root"/> when first used: a client that only reads creates no folders.</summary>
    public CachedArtifactStore(string root)
    {
        _cache = new(() => new ObjectCache(root));
        _layout = new ObjectLayout(Path.GetFullPath(root), Path.DirectorySeparatorChar);
    }

    public ObjectCache Cache => _cache.Value;

    public ArtifactInfo Put(string sourceFile, string artifactPath)
    {
        var name = ArtifactPaths.Normalize(artifactPath);
        var hash = Cache.AddCopy(sourceFile);
        return new ArtifactInfo(name, hash.ToString(), new FileInfo(Cache.PathOf(hash)).Length);
    }

    public ContentHash PutBytes(ReadOnlySpan<byte> content) => Cache.AddBytes(content);

    public ContentHash Add(string sourceFile) => Cache.AddCopy(sourceFile);

    // Looks at the layout, not through the cache, so asking creates no folder.
    public IReadOnlySet<ContentHash> Has(IReadOnlyCollection<ContentHash> hashes) =>
        hashes.Where(h => File.Exists(_layout.PathOf(h))).ToHashSet();

    public Stream OpenRead(ArtifactInfo artifact) => Cache.OpenRead(ContentHash.Parse(artifact.Hash));

    public Stream OpenRead(ContentHash hash) => Cache.OpenRead(hash);

    public void CopyTo(ContentHash hash, string targetFile) => Cache.CopyTo(hash, targetFile);
}
