using MlopsNotebooks.Storage;
using MlopsNotebooks.Tracking;
using MlopsNotebooks.Versioning;

namespace MlopsNotebooks.Tests.Storage;

/// <summary>
/// A second artifact backend, shaped as a blob container holds objects: one flat folder of files named by their full
/// hash, written to a temporary name and renamed. It shows that the client and the registry need nothing but
/// <see cref="IArtifactStore"/>, and that the contract suite runs again for a new backend with one derived class.
/// </summary>
public sealed class FlatFolderArtifactStore : IArtifactStore
{
    private readonly string _folder;

    public FlatFolderArtifactStore(string folder)
    {
        _folder = folder;
        Directory.CreateDirectory(folder);
    }

    private string PathOf(ContentHash hash) => Path.Combine(_folder, hash.ToString().Replace(':', '-'));

    public ArtifactInfo Put(string sourceFile, string artifactPath)
    {
        var name = ArtifactPaths.Normalize(artifactPath);
        var bytes = File.ReadAllBytes(sourceFile);
        return new ArtifactInfo(name, PutBytes(bytes).ToString(), bytes.Length);
    }

    public ContentHash PutBytes(ReadOnlySpan<byte> content)
    {
        var hash = ContentHash.Of(content);
        var temp = Path.Combine(_folder, $".tmp-{Guid.NewGuid():N}");
        File.WriteAllBytes(temp, content.ToArray());
        File.Move(temp, PathOf(hash), overwrite: true);
        return hash;
    }

    public ContentHash Add(string sourceFile) => PutBytes(File.ReadAllBytes(sourceFile));

    public IReadOnlySet<ContentHash> Has(IReadOnlyCollection<ContentHash> hashes) => hashes.Where(h => File.Exists(PathOf(h))).ToHashSet();

    public Stream OpenRead(ArtifactInfo artifact) => OpenRead(ContentHash.Parse(artifact.Hash));

    public Stream OpenRead(ContentHash hash)
    {
        var path = PathOf(hash);
        if (!File.Exists(path))
        {
            throw new MissingObjectException(hash, "this artifact");
        }
        var bytes = File.ReadAllBytes(path);
        var actual = ContentHash.Of(bytes);
        return actual == hash ? new MemoryStream(bytes, writable: false) : throw new CorruptObjectException(hash, actual, path);
    }

    public void CopyTo(ContentHash hash, string targetFile)
    {
        using var input = OpenRead(hash);
        var temp = $"{targetFile}.tmp-{Guid.NewGuid():N}";
        using (var output = File.Create(temp))
        {
            input.CopyTo(output);
        }
        File.Move(temp, targetFile, overwrite: true);
    }
}

public sealed class FlatFolderArtifactStoreTests : ArtifactStoreContract
{
    protected override IArtifactStore CreateStore() => new FlatFolderArtifactStore(Path.Combine(Dir.Path, "blobs", Guid.NewGuid().ToString("N")));
}
