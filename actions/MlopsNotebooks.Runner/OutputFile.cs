namespace MlopsNotebooks.Runner;

/// <summary>
/// A file a run will write (the executed notebook, the result JSON), checked before any cell runs: a run of an hour
/// should not end in "cannot write there". The check leaves nothing behind.
/// </summary>
public static class OutputFile
{
    /// <summary>The longest file name Linux and macOS file systems take, in bytes.</summary>
    private const int NameMax = 255;

    /// <summary>A file is written under its name plus a temporary suffix of about 50 bytes, then renamed.</summary>
    private const int FileNameMax = NameMax - 55;

    /// <summary>The full path of <paramref name="path"/> once it is known that a file can be written there.</summary>
    public static string Check(string path, string option)
    {
        MlopsException Cannot(string why) => new($"{option} {path}: {why}.", $"Pass {option} with a file path in a folder you can write to.");
        string full;
        try
        {
            full = Path.GetFullPath(path);
        }
        catch (Exception e) when (e is ArgumentException or IOException or NotSupportedException)
        {
            throw Cannot("is not a usable path");
        }
        if (full.Contains('\0', StringComparison.Ordinal))
        {
            throw Cannot("is not a usable path");
        }
        if (Directory.Exists(full))
        {
            throw Cannot("is a folder; name a file in it");
        }
        var names = full.Split(Path.DirectorySeparatorChar);
        var tooLong = names.SkipLast(1).FirstOrDefault(n => System.Text.Encoding.UTF8.GetByteCount(n) > NameMax);
        if (tooLong is not null)
        {
            throw Cannot($"the folder name '{tooLong[..40]}...' is longer than the file system allows ({NameMax} bytes)");
        }
        if (System.Text.Encoding.UTF8.GetByteCount(names[^1]) > FileNameMax)
        {
            throw Cannot($"the file name is longer than the file system allows once a temporary suffix is added (at most {FileNameMax} bytes)");
        }
        // The nearest folder that exists is where the run's first write happens (the folders below it are created).
        var missing = new Stack<string>();
        var folder = Path.GetDirectoryName(full)!;
        while (!Directory.Exists(folder))
        {
            if (File.Exists(folder))
            {
                throw Cannot($"{folder} is a file, not a folder");
            }
            missing.Push(folder);
            folder = Path.GetDirectoryName(folder)!;
        }
        try
        {
            if (missing.Count > 0)
            {
                var probe = missing.Peek();
                Directory.CreateDirectory(probe);
                Directory.Delete(probe);
            }
            else
            {
                // The file is written beside its place and renamed over it, so the folder must take a new file.
                var probe = Path.Combine(folder, $".mlops-probe-{Guid.NewGuid():N}");
                try
                {
                    new FileStream(probe, FileMode.CreateNew, FileAccess.Write).Dispose();
                    File.Delete(probe);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    throw Cannot($"its folder {folder} does not take new files");
                }
                if (!File.Exists(full))
                {
                    new FileStream(full, FileMode.CreateNew, FileAccess.Write).Dispose();
                    File.Delete(full);
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Cannot($"cannot be written ({e.Message})");
        }
        return full;
    }
}
