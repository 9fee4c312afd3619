using MlopsNotebooks.Tracking;

namespace MlopsNotebooks.Storage;

/// <summary>Where the files logged with runs are kept, by content hash.</summary>
public interface IArtifactStore
{
    /// <summary>Stores a local file, atomically, and returns its name, content hash and size.</summary>
    ArtifactInfo Put(string sourceFile, string artifactPath);

    /// <summary>Opens a stored artifact; reading it to the end verifies its content.</summary>
    Stream OpenRead(ArtifactInfo artifact);
}
