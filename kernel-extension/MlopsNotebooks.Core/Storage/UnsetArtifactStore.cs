using MlopsNotebooks.Tracking;
using MlopsNotebooks.Versioning;

namespace MlopsNotebooks.Storage;

/// <summary>
/// The artifact store of a shared store (a database, not a file) that records no artifact root. Runs, params and
/// metrics work; the first artifact read or written says how to give the store a root, instead of keeping files in one
/// machine's cache where the rest of the team would never find them.
/// </summary>
internal sealed class UnsetArtifactStore(string storeLocation) : IArtifactStore
{
    private MlopsException Unset() => new(
        $"The tracking store at {storeLocation} has no artifact location, so run artifacts and model files have nowhere to go that the team can read.",
        $"Set {TrackingStores.ArtifactUriVariable} (e.g. azure://container/artifacts or s3://bucket/artifacts) once, with a command that writes to the store: it records it.");

    public ArtifactInfo Put(string sourceFile, string artifactPath) => throw Unset();

    public ContentHash PutBytes(ReadOnlySpan<byte> content) => throw Unset();

    public ContentHash Add(string sourceFile) => throw Unset();

    public IReadOnlySet<ContentHash> Has(IReadOnlyCollection<ContentHash> hashes) => throw Unset();

    public Stream OpenRead(ArtifactInfo artifact) => throw Unset();

    public Stream OpenRead(ContentHash hash) => throw Unset();

    public void CopyTo(ContentHash hash, string targetFile) => throw Unset();
}
