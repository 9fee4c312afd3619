using System.Formats.Tar;

namespace MlopsNotebooks.Deployment.Containers;

/// <summary>
/// The build context the engine receives, generated as a tar: the Dockerfile template, the model server in app/ (with
/// only the native runtimes of the engine's architecture) and the bundle in model/. Every entry is root's, files 0644
/// and folders 0755, with a fixed time, so the image's files are read-only to its user and the same inputs give the same
/// layers.
/// </summary>
internal static class BuildContext
{
    private const UnixFileMode FileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
    private const UnixFileMode FolderMode = FileMode | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
    private static readonly DateTimeOffset Fixed = new(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>The Dockerfile: templates/server/Dockerfile, embedded.</summary>
    public static byte[] Dockerfile()
    {
        using var resource = typeof(BuildContext).Assembly.GetManifestResourceStream("MlopsNotebooks.Deployment.Containers.Dockerfile")!;
        using var copy = new MemoryStream();
        resource.CopyTo(copy);
        return copy.ToArray();
    }

    /// <summary>The .NET runtime identifier of the engine's architecture (Docker's names: amd64, arm64).</summary>
    public static string RuntimeFor(string architecture) => architecture switch
    {
        "amd64" or "x86_64" => "linux-x64",
        "arm64" or "aarch64" => "linux-arm64",
        _ => throw new MlopsException($"The Docker engine runs on {architecture}, for which the model server has no image.", "Use an engine on amd64 (x86-64) or arm64."),
    };

    public static void Write(Stream into, ContainerBundle bundle, string serverFolder, string runtime)
    {
        using var tar = new TarWriter(into, TarEntryFormat.Pax, leaveOpen: true);
        Add(tar, "Dockerfile", new MemoryStream(Dockerfile()));
        AddFolder(tar, "app");
        foreach (var file in ServerFiles(serverFolder, runtime))
        {
            var relative = Path.GetRelativePath(serverFolder, file).Replace('\\', '/');
            using var content = File.OpenRead(file);
            Add(tar, $"app/{relative}", content);
        }
        AddFolder(tar, "model");
        foreach (var file in ContainerBundle.Files)
        {
            using var content = File.OpenRead(Path.Combine(bundle.Folder, file));
            Add(tar, $"model/{file}", content);
        }
    }

    /// <summary>The server's files, sorted, with runtimes/ cut to the one runtime (the others are dead weight).</summary>
    private static IEnumerable<string> ServerFiles(string serverFolder, string runtime)
    {
        var runtimes = Path.Combine(serverFolder, "runtimes") + Path.DirectorySeparatorChar;
        var kept = Path.Combine(runtimes, runtime) + Path.DirectorySeparatorChar;
        return Directory.EnumerateFiles(serverFolder, "*", SearchOption.AllDirectories)
            .Where(f => !f.StartsWith(runtimes, StringComparison.Ordinal) || f.StartsWith(kept, StringComparison.Ordinal))
            .Order(StringComparer.Ordinal);
    }

    private static void AddFolder(TarWriter tar, string name) =>
        tar.WriteEntry(new PaxTarEntry(TarEntryType.Directory, name + "/") { Mode = FolderMode, ModificationTime = Fixed, Uid = 0, Gid = 0 });

    private static void Add(TarWriter tar, string name, Stream content) =>
        tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name) { Mode = FileMode, ModificationTime = Fixed, Uid = 0, Gid = 0, DataStream = content });
}
