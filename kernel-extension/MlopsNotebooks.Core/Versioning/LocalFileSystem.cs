namespace MlopsNotebooks.Versioning;

/// <summary>
/// A folder on a local or mounted disk. Uploads are written to a temporary file in <paramref name="tempFolder"/> (on
/// the same file system, so the final rename is atomic) and renamed into place.
/// </summary>
public sealed class LocalFileSystem(string tempFolder) : IFileSystem
{
    private const int BlockSize = 1 << 20;

    public char Separator => Path.DirectorySeparatorChar;

    public bool Exists(string path) => File.Exists(path);

    public void Upload(string localFile, string path, CancellationToken cancellationToken)
    {
        if (File.Exists(path))
        {
            return;
        }
        var temp = Path.Combine(tempFolder, ObjectLayout.NewTempName());
        Directory.CreateDirectory(tempFolder);
        try
        {
            Copy(localFile, temp, cancellationToken);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            try
            {
                File.Move(temp, path, overwrite: false);
            }
            catch (IOException) when (File.Exists(path))
            {
                // Someone else wrote the same file meanwhile.
            }
        }
        finally
        {
            ObjectCache.DeleteQuietly(temp);
        }
    }

    public void Download(string path, string localFile, CancellationToken cancellationToken) => Copy(path, localFile, cancellationToken);

    public Stream OpenRead(string path) => new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);

    public IEnumerable<string> ListFiles(string folder) =>
        Directory.Exists(folder) ? Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories) : [];

    public void Delete(string path) => ObjectCache.DeleteQuietly(path);

    private static void Copy(string source, string target, CancellationToken cancellationToken)
    {
        using var input = new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.Read, BlockSize, FileOptions.SequentialScan);
        using var output = new FileStream(target, FileMode.Create, FileAccess.Write, FileShare.None, BlockSize);
        input.CopyToAsync(output, BlockSize, cancellationToken).GetAwaiter().GetResult();
        output.Flush(flushToDisk: true);
    }
}
