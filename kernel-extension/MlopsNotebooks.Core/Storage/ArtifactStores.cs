namespace MlopsNotebooks.Storage;

/// <summary>
/// Picks the artifact store backend from where artifacts go: a folder path or <c>file://</c> URL is the object cache
/// there (<see cref="CachedArtifactStore"/>). A blob artifact store is one class implementing
/// <see cref="IArtifactStore"/>, one Register line here, and one more class deriving from the artifact store contract
/// suite in the tests; the client and the model registry use it through the interface.
/// </summary>
public static class ArtifactStores
{
    public static SchemeRegistry<Func<string, IArtifactStore>> Registry { get; } = new((_, scheme) =>
        new MlopsException($"The artifact location scheme '{scheme}' is not supported.", "Use a folder path for run artifacts."));

    static ArtifactStores()
    {
        Registry.Register(UriSchemes.PlainPath, root => new CachedArtifactStore(root));
        Registry.Register("file", root => new CachedArtifactStore(new Uri(root).LocalPath));
    }

    public static IArtifactStore Open(string location) => Registry.For(location)(location);
}
