using MlopsNotebooks.Tracking;
using MlopsNotebooks.Versioning;

namespace MlopsNotebooks.Storage;

/// <summary>
/// Where the files logged with runs (and the model registry's manifests and samples) are kept, by content hash.
/// Backends are chosen by <see cref="ArtifactStores"/> and all pass the same test suite; callers use only this.
/// </summary>
public interface IArtifactStore
{
    /// <summary>Stores a local file, atomically, and returns its name, content hash and size.</summary>
    ArtifactInfo Put(string sourceFile, string artifactPath);

    /// <summary>Stores bytes (a manifest, a sample) as an object, atomically, and returns their hash.</summary>
    ContentHash PutBytes(ReadOnlySpan<byte> content);

    /// <summary>Stores a local file as an object, atomically (skipped when it is there), and returns its hash.</summary>
    ContentHash Add(string sourceFile);

    /// <summary>Which of these objects the store holds; asks without creating anything (sync moves only the others).</summary>
    IReadOnlySet<ContentHash> Has(IReadOnlyCollection<ContentHash> hashes);

    /// <summary>Opens a stored artifact; reading it to the end verifies its content.</summary>
    Stream OpenRead(ArtifactInfo artifact);

    /// <summary>Opens a stored object; reading it to the end verifies it (<see cref="CorruptObjectException"/>).</summary>
    Stream OpenRead(ContentHash hash);

    /// <summary>
    /// Writes an object to a local file, verified as it is copied, so <paramref name="targetFile"/> is either the
    /// whole, right content or untouched.
    /// </summary>
    void CopyTo(ContentHash hash, string targetFile);
}
