namespace MlopsNotebooks.Versioning;

/// <summary>
/// Where objects are shared between machines: a directory on a shared disk now, blob storage later. Every transfer is
/// whole or invisible (a partial object never appears under its name), so an interrupted push or pull is simply run
/// again and goes on where it stopped.
/// </summary>
public interface IRemote
{
    string Name { get; }

    /// <summary>Which of these objects the remote already has.</summary>
    IReadOnlySet<ContentHash> Has(IReadOnlyCollection<ContentHash> hashes);

    /// <summary>Uploads a local file as the object <paramref name="hash"/>.</summary>
    void Upload(ContentHash hash, string sourceFile, CancellationToken cancellationToken);

    /// <summary>Downloads the object into <paramref name="targetFile"/> (which the caller verifies and publishes).</summary>
    void Download(ContentHash hash, string targetFile, CancellationToken cancellationToken);
}

/// <summary>A remote in a folder (a mounted share, another disk): the same fan-out layout as the local cache.</summary>
public sealed class DirectoryRemote : IRemote
{
    public DirectoryRemote(string name, string root)
    {
        Name = name;
        Root = Path.GetFullPath(root);
    }

    public string Name { get; }

    public string Root { get; }

    private string PathOf(ContentHash hash) => Path.Combine(Root, "objects", hash.Algorithm, hash.Hex[..2], hash.Hex[2..]);

    public IReadOnlySet<ContentHash> Has(IReadOnlyCollection<ContentHash> hashes) =>
        hashes.Where(h => File.Exists(PathOf(h))).ToHashSet();

    public void Upload(ContentHash hash, string sourceFile, CancellationToken cancellationToken)
    {
        var target = PathOf(hash);
        if (File.Exists(target))
        {
            return;
        }
        var temp = Path.Combine(Root, "tmp", $"{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Path.GetDirectoryName(temp)!);
        try
        {
            Copy(sourceFile, temp, cancellationToken);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            try
            {
                File.Move(temp, target, overwrite: false);
            }
            catch (IOException) when (File.Exists(target))
            {
                // Someone else pushed the same object meanwhile.
            }
        }
        finally
        {
            ObjectCache.DeleteQuietly(temp);
        }
    }

    public void Download(ContentHash hash, string targetFile, CancellationToken cancellationToken)
    {
        var source = PathOf(hash);
        if (!File.Exists(source))
        {
            throw new MissingObjectException(hash, $"remote '{Name}'");
        }
        Copy(source, targetFile, cancellationToken);
    }

    private static void Copy(string source, string target, CancellationToken cancellationToken)
    {
        using var input = new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan);
        using var output = new FileStream(target, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        input.CopyToAsync(output, 1 << 20, cancellationToken).GetAwaiter().GetResult();
        output.Flush(flushToDisk: true);
    }
}
