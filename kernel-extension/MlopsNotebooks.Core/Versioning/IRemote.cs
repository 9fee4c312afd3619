namespace MlopsNotebooks.Versioning;

/// <summary>
/// Where objects are shared between machines: a directory on a shared disk now, blob storage later; chosen by the
/// URL's scheme through <see cref="Remotes"/>, and every backend passes the same test suite. Every transfer is whole or
/// invisible (a partial object never appears under its name), so an interrupted push or pull is simply run again and
/// goes on where it stopped.
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

    /// <summary>Every object on the remote with its size and when it was written, for <c>mlops data gc --remote</c>.</summary>
    IEnumerable<RemoteObject> List();

    /// <summary>Removes an object; a missing one is no error.</summary>
    void Remove(ContentHash hash);
}

/// <summary>An object on a remote: its hash, size in bytes, and when it was last written (gc spares young objects).</summary>
public sealed record RemoteObject(ContentHash Hash, long Size, DateTimeOffset LastModified);
