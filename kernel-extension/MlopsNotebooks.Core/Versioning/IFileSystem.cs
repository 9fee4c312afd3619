namespace MlopsNotebooks.Versioning;

/// <summary>
/// The small file-system seam an object store sits on (DVC's <c>fs</c> under <c>ObjectDB(fs, path)</c>): a local or
/// mounted folder now, a blob container later. Paths are the file system's own, joined with <see cref="Separator"/>.
/// A blob remote is one class implementing this plus one registration in <see cref="Remotes"/>.
/// </summary>
public interface IFileSystem
{
    /// <summary>What joins the parts of a path on this file system.</summary>
    char Separator { get; }

    bool Exists(string path);

    /// <summary>
    /// Copies a local file to <paramref name="path"/>, whole or not at all: a partial file never appears under the
    /// name. When <paramref name="path"/> exists (someone else wrote it meanwhile) it is left as it is.
    /// </summary>
    void Upload(string localFile, string path, CancellationToken cancellationToken);

    /// <summary>Copies <paramref name="path"/> to a local file (which the caller verifies and publishes).</summary>
    void Download(string path, string localFile, CancellationToken cancellationToken);

    Stream OpenRead(string path);

    /// <summary>Every file under <paramref name="folder"/>, at any depth; none when the folder does not exist.</summary>
    IEnumerable<string> ListFiles(string folder);

    /// <summary>Removes a file; a missing one is no error.</summary>
    void Delete(string path);
}
