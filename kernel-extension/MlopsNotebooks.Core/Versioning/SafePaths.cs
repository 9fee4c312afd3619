using MlopsNotebooks.Tracking;

namespace MlopsNotebooks.Versioning;

/// <summary>
/// The one rule for paths that come from someone else's file (a folder manifest, a pointer, a bundle, an artifact) and
/// for the writes made from them. A path read from such a file is relative and '/'-separated, with no empty, '.',
/// '..' or '.git' part, no control character or bidirectional control (the names rule), no backslash, and no rooted, drive-qualified or UNC form; a write made
/// from it must land inside its folder once symbolic links are resolved. Checking at the parser keeps every caller
/// safe; checking at the write also covers links that were already in the work tree.
/// </summary>
public static class SafePaths
{
    /// <summary>What is wrong with a relative path read from a file, or null when it is safe to join to a folder.</summary>
    public static string? ProblemWithRelative(string path)
    {
        if (path.Length == 0)
        {
            return "it is empty";
        }
        if (Names.FindUnsafeCharacter(path) is var at and >= 0)
        {
            return $"it holds the control character U+{(int)path[at]:X4}";
        }
        if (path.Contains('\\'))
        {
            return "it holds a backslash (paths are '/'-separated)";
        }
        if (path[0] == '/' || Path.IsPathRooted(path) || (path.Length >= 2 && char.IsAsciiLetter(path[0]) && path[1] == ':'))
        {
            return "it is absolute";
        }
        foreach (var part in path.Split('/'))
        {
            if (part.Length == 0)
            {
                return "it has an empty part";
            }
            if (part is "." or "..")
            {
                return $"it has a '{part}' part";
            }
            if (part.Equals(".git", StringComparison.OrdinalIgnoreCase))
            {
                return "it names a .git folder";
            }
        }
        return null;
    }

    /// <summary>What is wrong with a single file or folder name (no separator at all), or null.</summary>
    public static string? ProblemWithName(string name) =>
        name.Contains('/') ? "it holds a '/'" : ProblemWithRelative(name);

    /// <summary>The path with every symbolic link on the way resolved (parts that do not exist are kept as written).</summary>
    public static string RealPath(string path)
    {
        var full = Path.GetFullPath(path);
        var root = Path.GetPathRoot(full)!;
        var resolved = root;
        var parts = full[root.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries);
        for (var i = 0; i < parts.Length; i++)
        {
            var next = Path.Combine(resolved, parts[i]);
            FileSystemInfo info = Directory.Exists(next) ? new DirectoryInfo(next) : new FileInfo(next);
            if (info.LinkTarget is null)
            {
                resolved = next;
                continue;
            }
            FileSystemInfo? target;
            try
            {
                target = info.ResolveLinkTarget(returnFinalTarget: true);
            }
            catch (IOException e)
            {
                throw new MlopsException($"{Names.Printable(next)} is a symbolic link that cannot be followed: {e.Message}",
                    "Remove the link or point it at a file or folder.", e);
            }
            if (target is null)
            {
                resolved = Path.Combine([next, .. parts[(i + 1)..]]);
                break;
            }
            // The target may itself sit under links (a link to ../x where x is a link): resolve it again.
            resolved = RealPath(target.FullName);
        }
        return resolved;
    }

    /// <summary>Whether <paramref name="path"/> is <paramref name="folder"/> or below it (both already resolved).</summary>
    public static bool IsUnder(string path, string folder)
    {
        var relative = Path.GetRelativePath(folder, path);
        return relative != ".." && !relative.StartsWith(".." + Path.DirectorySeparatorChar, StringComparison.Ordinal) && !Path.IsPathRooted(relative);
    }
}

/// <summary>
/// A folder that writes named by someone else's file must stay inside, once links are resolved. Its real path is
/// resolved once, and each folder that a write lands in is checked once, however many files go there.
/// </summary>
public sealed class SafeFolder(string folder, string what)
{
    private readonly string _folder = Path.GetFullPath(folder);
    private readonly Lazy<string> _root = new(() => SafePaths.RealPath(folder));
    private readonly HashSet<string> _checked = new(StringComparer.Ordinal);

    /// <summary>
    /// Joins a relative path to the folder, refusing it (before anything is written) unless it is a plain relative
    /// path whose folder, followed through its links, is inside. The last part may be a link: writes replace it by
    /// rename and never follow it. Folders on the way that do not exist yet are made by the caller, as plain folders.
    /// </summary>
    public string Inside(string relative)
    {
        if (SafePaths.ProblemWithRelative(relative) is { } problem)
        {
            throw new UnsafePathException(what, relative, problem);
        }
        var full = Path.GetFullPath(Path.Combine(_folder, relative.Replace('/', Path.DirectorySeparatorChar)));
        if (!SafePaths.IsUnder(full, _folder))
        {
            throw new UnsafePathException(what, relative, "it leads out of its folder");
        }
        var existing = Path.GetDirectoryName(full)!;
        while (existing.Length > _folder.Length && !Path.Exists(existing))
        {
            existing = Path.GetDirectoryName(existing)!;
        }
        if (_checked.Add(existing) && !SafePaths.IsUnder(SafePaths.RealPath(existing), _root.Value))
        {
            _checked.Remove(existing);
            throw new UnsafePathException(what, relative, $"{existing} leads out of {folder} through a symbolic link");
        }
        return full;
    }
}

/// <summary>A path from someone else's file that would be written outside its folder, or is not a plain relative path.</summary>
public sealed class UnsafePathException(string what, string path, string problem)
    : MlopsException($"{what} names the path '{Names.Printable(path)}', which is refused: {problem}.",
        "Nothing was written. The file that names it was made by hand or by someone else; fix or remove it.")
{
    public string Path { get; } = path;
}
