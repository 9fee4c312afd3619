namespace MlopsNotebooks.Tests.Support;

/// <summary>
/// A small tmpfs mounted for one test, to give a real full disk or read-only file system (the tests run as root, for
/// whom file modes do not stop writes). Unmounted on dispose.
/// </summary>
public sealed class Tmpfs : IDisposable
{
    private readonly TempDirectory _mountPoint = new();

    public Tmpfs(string size)
    {
        Mount("-t", "tmpfs", "-o", $"size={size}", "tmpfs", Path);
    }

    public string Path => _mountPoint.Path;

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void MakeReadOnly() => Mount("-o", "remount,ro", Path);

    /// <summary>Takes every free byte with a filler file; deleting it gives the space back.</summary>
    public string Fill()
    {
        var filler = File("filler");
        // Unbuffered, so that nothing is left to flush (and fail) on dispose.
        using var stream = new FileStream(filler, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 0);
        var block = new byte[4096];
        try
        {
            while (true)
            {
                stream.Write(block);
            }
        }
        catch (IOException)
        {
            // The disk is full; the filler keeps what it got.
        }
        return filler;
    }

    private static void Mount(params string[] args)
    {
        var (code, _, error) = Programs.RunTool("mount", args);
        if (code != 0)
        {
            throw new Xunit.Sdk.XunitException($"mount {string.Join(' ', args)} failed (the tests need root): {error}");
        }
    }

    public void Dispose()
    {
        Programs.RunTool("umount", ["-l", Path]);
        _mountPoint.Dispose();
    }
}
