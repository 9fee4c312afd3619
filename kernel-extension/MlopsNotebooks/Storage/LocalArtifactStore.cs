using System.Security.Cryptography;
using MlopsNotebooks.Tracking;

namespace MlopsNotebooks.Storage;

/// <summary>
/// Artifacts in a local folder: <c>&lt;root&gt;/&lt;run id&gt;/&lt;artifact path&gt;</c>. Each file is hashed while it is
/// copied to a temporary name and renamed into place, so a reader never sees half a file.
/// </summary>
public sealed class LocalArtifactStore(string root) : IArtifactStore
{
    public string Root { get; } = Path.GetFullPath(root);

    public ArtifactInfo Put(string runId, string sourceFile, string artifactPath)
    {
        var relative = ArtifactPaths.Normalize(artifactPath);
        var target = Resolve(runId, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        var temp = target + $".tmp-{Environment.ProcessId}-{Guid.NewGuid():N}";
        try
        {
            string hash;
            long size;
            using (var input = new FileStream(sourceFile, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16))
            using (var output = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            using (var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256))
            {
                var buffer = new byte[1 << 16];
                int read;
                while ((read = input.Read(buffer)) > 0)
                {
                    sha.AppendData(buffer, 0, read);
                    output.Write(buffer, 0, read);
                }
                output.Flush(flushToDisk: true);
                size = output.Length;
                hash = "sha256:" + Convert.ToHexString(sha.GetHashAndReset()).ToLowerInvariant();
            }
            File.Move(temp, target, overwrite: true);
            return new ArtifactInfo(relative, hash, size);
        }
        finally
        {
            if (File.Exists(temp))
            {
                File.Delete(temp);
            }
        }
    }

    public Stream OpenRead(string runId, string artifactPath) =>
        new FileStream(Resolve(runId, ArtifactPaths.Normalize(artifactPath)), FileMode.Open, FileAccess.Read, FileShare.Read);

    private string Resolve(string runId, string relative)
    {
        if (runId.Length == 0 || !runId.All(char.IsAsciiLetterOrDigit))
        {
            throw new InvalidNameException($"'{runId}' is not a run id.");
        }
        return Path.Combine(Root, runId, relative.Replace('/', Path.DirectorySeparatorChar));
    }
}
