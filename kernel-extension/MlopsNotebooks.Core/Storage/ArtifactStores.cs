using MlopsNotebooks.Versioning;

namespace MlopsNotebooks.Storage;

/// <summary>
/// Picks the artifact store backend from where artifacts go: a folder path or <c>file://</c> URL is the object cache
/// there (<see cref="CachedArtifactStore"/>); the URL of any other remote <see cref="Remotes"/> opens (a team store's
/// <c>azure://</c> or <c>s3://</c> artifact root) is a <see cref="RemoteArtifactStore"/> over that remote. Another
/// backend is one class implementing <see cref="IArtifactStore"/>, one Register line here, and one more class deriving
/// from the artifact store contract suite in the tests; the client and the model registry use it through the interface.
/// </summary>
public static class ArtifactStores
{
    public static SchemeRegistry<Func<string, IArtifactStore>> Registry { get; } = new((_, scheme) =>
        new MlopsException($"The artifact location scheme '{scheme}' is not supported.", "Use a folder path or a remote URL (see `mlops remote add`) for run artifacts."));

    static ArtifactStores()
    {
        Registry.Register(UriSchemes.PlainPath, root => new CachedArtifactStore(root));
        Registry.Register("file", root => new CachedArtifactStore(new Uri(root).LocalPath));
    }

    /// <summary>
    /// Refuses a location that no backend takes, or a remote URL the remote refuses (credentials in it, a bad name),
    /// before a store records it as its artifact root. Reads only the location: nothing is created or contacted.
    /// </summary>
    public static void Check(string location)
    {
        if (Registry.Supports(location))
        {
            return;
        }
        if (Remotes.Registry.Supports(location))
        {
            Remotes.CheckSupported(location);
            return;
        }
        Registry.For(location);
    }

    /// <summary>
    /// Opens the artifact store at <paramref name="location"/>; a remote's objects are read through the object cache of
    /// the work tree around <paramref name="workingDirectory"/> (default: the current directory).
    /// </summary>
    public static IArtifactStore Open(string location, string? workingDirectory = null)
    {
        var folder = workingDirectory ?? Directory.GetCurrentDirectory();
        if (!Registry.Supports(location) && Remotes.Registry.Supports(location))
        {
            return new RemoteArtifactStore(Remotes.Open("artifacts", location, folder), folder);
        }
        return Registry.For(location)(location);
    }
}
