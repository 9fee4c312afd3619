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

    /// <summary>
    /// Joins a checked relative path to <paramref name="folder"/> and proves the result lies inside the folder once
    /// links are resolved: every existing part of the way must resolve inside it. Throws before anything is written.
    /// </summary>
    public static string Inside(string folder, string relative, string what)
    {
        if (ProblemWithRelative(relative) is { } problem)
        {
            throw new UnsafePathException(what, relative, problem);
        }
        var full = Path.GetFullPath(Path.Combine(folder, relative.Replace('/', Path.DirectorySeparatorChar)));
        EnsureResolvesInside(folder, full, what, relative);
        return full;
    }

    /// <summary>
    /// Proves that <paramref name="full"/> (already under <paramref name="folder"/> lexically) stays inside it when
    /// each existing part of the way is followed through its links. The last part may be a link only when it will be
    /// replaced (the caller writes by rename, which replaces the link, not its target).
    /// </summary>
    public static void EnsureResolvesInside(string folder, string full, string what, string shown)
    {
        var root = RealPath(folder);
        var lexical = Path.GetRelativePath(Path.GetFullPath(folder), full);
        if (lexical == ".." || lexical.StartsWith(".." + Path.DirectorySeparatorChar, StringComparison.Ordinal) || Path.IsPathRooted(lexical))
        {
            throw new UnsafePathException(what, shown, "it leads out of its folder");
        }
        var walk = Path.GetFullPath(folder);
        var parts = lexical == "." ? [] : lexical.Split(Path.DirectorySeparatorChar);
        for (var i = 0; i < parts.Length - 1; i++)
        {
            walk = Path.Combine(walk, parts[i]);
            if (!Path.Exists(walk))
            {
                return; // nothing further exists: what gets created is made by us, as plain folders
            }
            if (!IsUnder(RealPath(walk), root))
            {
                throw new UnsafePathException(what, shown, $"{walk} leads out of {folder} through a symbolic link");
            }
        }
    }

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

/// <summary>A path from someone else's file that would be written outside its folder, or is not a plain relative path.</summary>
public sealed class UnsafePathException(string what, string path, string problem)
    : MlopsException($"{what} names the path '{Names.Printable(path)}', which is refused: {problem}.",
        "Nothing was written. The file that names it was made by hand or by someone else; fix or remove it.")
{
    public string Path { get; } = path;
}
