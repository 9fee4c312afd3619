using MlopsNotebooks.Storage;

namespace MlopsNotebooks.Versioning;

/// <summary>Opens the remote named <paramref name="name"/> at <paramref name="url"/>; relative paths are under <paramref name="baseDirectory"/>.</summary>
public delegate IRemote RemoteFactory(string name, string url, string baseDirectory);

/// <summary>
/// The remote backends by URL scheme: a folder path or <c>file://</c> URL is a <see cref="DirectoryRemote"/>;
/// <c>azure://</c> and <c>s3://</c> are registered by the team assembly (TeamStoresModule). A new backend is one class
/// (an <see cref="IFileSystem"/> under a <see cref="FileSystemObjectStore"/>, or an <see cref="IRemote"/> of its own), one <see cref="Registry"/>.Register
/// line, and one more class deriving from the remote contract suite (RemoteContract) in the tests.
/// </summary>
public static class Remotes
{
    public static SchemeRegistry<RemoteFactory> Registry { get; } = new((url, _) =>
        new MlopsException($"The remote URL '{Printable(url)}' is not supported yet.",
            "Use a folder path (a mounted share or another disk), azure://container/prefix or s3://bucket/prefix."));

    /// <summary>A URL as messages show it: without a user, key or query, which may hold credentials.</summary>
    private static string Printable(string url)
    {
        var start = url.IndexOf("://", StringComparison.Ordinal);
        if (start < 0)
        {
            return url;
        }
        var rest = url[(start + 3)..];
        rest = rest.IndexOfAny(['?', '#', ';']) is var cut and >= 0 ? rest[..cut] : rest;
        var slash = rest.IndexOf('/');
        var at = rest.LastIndexOf('@', slash < 0 ? rest.Length - 1 : slash);
        return url[..(start + 3)] + (at >= 0 ? rest[(at + 1)..] : rest);
    }

    static Remotes()
    {
        Registry.Register(UriSchemes.PlainPath, OpenDirectory);
        Registry.Register("file", OpenDirectory);
    }

    /// <summary>
    /// Refuses a URL no backend takes, with the message that says what is supported, and one its backend refuses (a
    /// blob URL with credentials in it, a bad container name) before it is written to mlops.yaml. Opening a remote only
    /// reads its URL: it reaches nothing and needs no credentials.
    /// </summary>
    public static void CheckSupported(string url) => Registry.For(url)("check", url, Directory.GetCurrentDirectory());

    public static IRemote Open(string name, string url, string baseDirectory) => Registry.For(url)(name, url, baseDirectory);

    private static DirectoryRemote OpenDirectory(string name, string url, string baseDirectory)
    {
        var folder = url.StartsWith("file://", StringComparison.OrdinalIgnoreCase) ? new Uri(url).LocalPath : url;
        return new DirectoryRemote(name, Path.GetFullPath(folder, baseDirectory));
    }
}
