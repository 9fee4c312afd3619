using MlopsNotebooks.Tracking;

namespace MlopsNotebooks.Storage;

/// <summary>Where the files logged with runs are kept, by run id and artifact path.</summary>
public interface IArtifactStore
{
    /// <summary>Copies a local file in, atomically, and returns its content hash and size.</summary>
    ArtifactInfo Put(string runId, string sourceFile, string artifactPath);

    /// <summary>Opens a stored artifact for reading.</summary>
    Stream OpenRead(string runId, string artifactPath);
}
