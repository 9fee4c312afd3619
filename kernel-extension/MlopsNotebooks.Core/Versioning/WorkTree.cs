using MlopsNotebooks.Storage;
using MlopsNotebooks.Tracking;

namespace MlopsNotebooks.Versioning;

/// <summary>
/// The git work tree that data is versioned in, and its rules for paths: where versioned data may live (inside the
/// tree, outside .git and .mlops, once links are followed), what a versioned folder may hold (plain files, or links
/// into the cache), which pointer files there are, and the .gitignore rules that keep data out of git.
/// </summary>
internal sealed class WorkTree(string root, ObjectLayout cacheLayout)
{
    private static readonly HashSet<string> SkippedFolders = new(StringComparer.Ordinal) { ".git", TrackingStores.StateFolder, "node_modules", "bin", "obj" };

    // The root with its links resolved, for the one placement rule; resolved once, when first needed.
    private readonly Lazy<string> _realRoot = new(() => SafePaths.RealPath(root));

    public string Root { get; } = root;

    /// <summary>
    /// A user's path as a full path and a repo-relative one. Refused: paths outside the work tree (also through a
    /// symlink), inside .git or .mlops, and pointer files named as data.
    /// </summary>
    public (string Full, string Relative) Resolve(string path, bool mustExist)
    {
        if (string.IsNullOrWhiteSpace(path))
        {
            throw new MlopsException("No path was given.", "Name a file or folder inside the repository.");
        }
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
        if (full.EndsWith(DataPointer.Extension, StringComparison.Ordinal) && !Directory.Exists(full))
        {
            full = full[..^DataPointer.Extension.Length]; // the pointer file stands for its data
        }
        var relative = Path.GetRelativePath(Root, full);
        if (relative == "." || relative.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(relative))
        {
            throw new MlopsException($"{path} is outside the repository at {Root}.", "Version data that lives inside the git work tree.");
        }
        relative = relative.Replace('\\', '/');
        var first = relative.Split('/')[0];
        if (first is ".git" or TrackingStores.StateFolder)
        {
            throw new MlopsException($"{path} is inside {first}/, which MlopsNotebooks and git manage themselves.");
        }
        if (Names.FindUnsafeCharacter(relative) is var at and >= 0)
        {
            var control = relative[at];
            throw new MlopsException($"The path {Names.Printable(path)} holds the control character U+{(int)control:X4}.",
                "Rename the file: pointer files, .gitignore rules and terminals would all misread it.");
        }
        CheckInside(full, path);
        if (mustExist && !File.Exists(full) && !Directory.Exists(full))
        {
            throw new MlopsException($"There is no file or folder at {path}.", "Check the path; it is relative to the current directory.");
        }
        return (full, relative);
    }

    /// <summary>
    /// The one rule for where versioned data may live, for a path the user names and for one a pointer file names:
    /// once every symbolic link on the way is followed, it is inside the work tree and outside .git and .mlops. The data
    /// path itself may be a link into the cache (the symlink link type), which is followed no further.
    /// </summary>
    public void CheckInside(string full, string shown)
    {
        var real = IsCacheLink(full, out _)
            ? Path.Combine(SafePaths.RealPath(Path.GetDirectoryName(full)!), Path.GetFileName(full))
            : SafePaths.RealPath(full);
        var root = _realRoot.Value;
        if (!SafePaths.IsUnder(real, root) || real == root)
        {
            throw new MlopsException($"{shown} leads out of the repository through a symbolic link (to {real}).",
                "Nothing was read or written there. Copy the data into the repository, or version it where it lives.");
        }
        var first = Path.GetRelativePath(root, real).Split(Path.DirectorySeparatorChar)[0];
        if (first is ".git" or TrackingStores.StateFolder)
        {
            throw new MlopsException($"{shown} leads into {first}/ through a symbolic link (to {real}), which MlopsNotebooks and git manage themselves.",
                "Nothing was read or written there. Remove the link.");
        }
    }

    /// <summary>Whether the path is a symbolic link into this cache (the symlink link type), and to which object.</summary>
    public bool IsCacheLink(string path, out ContentHash hash)
    {
        hash = default;
        var target = new FileInfo(path).LinkTarget;
        if (target is null)
        {
            return false;
        }
        return cacheLayout.TryParse(Path.GetFullPath(target, Path.GetDirectoryName(path)!), out hash);
    }

    /// <summary>
    /// Files under a folder, sorted, with '/'-separated relative paths and their stamps; links out of the folder are
    /// refused. One directory read per folder and one lstat per file: this is the whole cost of an unchanged status.
    /// </summary>
    public List<(string Full, string Relative, long Size, FileStamp Stamp)> ListFiles(string folder)
    {
        var names = new System.IO.Enumeration.FileSystemEnumerable<string>(folder,
            (ref System.IO.Enumeration.FileSystemEntry entry) => entry.ToFullPath(),
            new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0, IgnoreInaccessible = false })
        {
            // d_type tells directories apart without a stat; a symlink to a folder is kept (and refused below).
            ShouldIncludePredicate = (ref System.IO.Enumeration.FileSystemEntry entry) => !entry.IsDirectory || (entry.Attributes & FileAttributes.ReparsePoint) != 0,
            ShouldRecursePredicate = (ref System.IO.Enumeration.FileSystemEntry entry) => (entry.Attributes & FileAttributes.ReparsePoint) == 0,
        }.ToList();
        var files = new (string, string, long, FileStamp)[names.Count];
        Parallelism.ForEach(Enumerable.Range(0, names.Count), i =>
        {
            var full = names[i];
            var stamp = FileSystemCalls.Stamp(full);
            var size = stamp.Size;
            RefuseSpecial(full, stamp);
            if (stamp.IsSymlink)
            {
                if (!IsCacheLink(full, out _))
                {
                    throw new MlopsException($"{full} is a symbolic link; versioned folders hold plain files only.",
                        "Replace the link with the file it points to, or version that file where it lives.");
                }
                size = new FileInfo(full).Length; // FileInfo follows the link to the object
            }
            // Enumerated paths all start with the folder: slicing is much cheaper than Path.GetRelativePath.
            var relative = full[(Path.TrimEndingDirectorySeparator(folder).Length + 1)..].Replace('\\', '/');
            if (Names.FindUnsafeCharacter(relative) is var at and >= 0)
            {
                var control = relative[at];
                throw new MlopsException($"The file name {Names.Printable(full)} holds the control character U+{(int)control:X4}.",
                    "Rename the file: manifests, terminals and reviewers would all misread it.");
            }
            files[i] = (full, relative, size, stamp);
        });
        Array.Sort(files, (a, b) => string.CompareOrdinal(a.Item2, b.Item2));
        return [.. files];
    }

    /// <summary>A FIFO, socket or device has no content to version, and reading a FIFO would wait forever.</summary>
    public static void RefuseSpecial(string full, FileStamp stamp)
    {
        if (stamp.IsSpecial)
        {
            throw new MlopsException($"{Names.Printable(full)} is not a regular file (a FIFO, socket or device).",
                "Version regular files and folders only.");
        }
    }

    /// <summary>Pointer files, named or all in the work tree (not descending into versioned folders).</summary>
    public IEnumerable<(string Full, string Relative, DataPointer Pointer)> Pointers(IEnumerable<string>? paths)
    {
        if (paths is not null)
        {
            foreach (var path in paths)
            {
                var (full, relative) = Resolve(path, mustExist: false);
                var pointerFile = full + DataPointer.Extension;
                if (!File.Exists(pointerFile))
                {
                    throw new MlopsException($"{relative} is not versioned: there is no {relative}{DataPointer.Extension}.",
                        $"Version it with `mlops data add {relative}`.");
                }
                yield return (full, relative, DataPointer.Read(pointerFile));
            }
            yield break;
        }
        var pending = new Stack<string>();
        pending.Push(Root);
        var found = new List<(string, string, DataPointer)>();
        while (pending.Count > 0)
        {
            var folder = pending.Pop();
            var tracked = new HashSet<string>(StringComparer.Ordinal);
            foreach (var file in Directory.EnumerateFiles(folder, "*" + DataPointer.Extension))
            {
                var pointer = DataPointer.Read(file);
                var full = Path.Combine(folder, pointer.DataName);
                if (full != file[..^DataPointer.Extension.Length])
                {
                    throw new MlopsException($"The pointer file {file} names '{pointer.DataName}', not the file it sits beside.",
                        "Rename it to <data name>.mlops or version the data again.");
                }
                var relative = Path.GetRelativePath(Root, full).Replace('\\', '/');
                CheckInside(full, relative);
                tracked.Add(pointer.DataName);
                found.Add((full, relative, pointer));
            }
            foreach (var sub in Directory.EnumerateDirectories(folder))
            {
                var name = Path.GetFileName(sub);
                if (!tracked.Contains(name) && !SkippedFolders.Contains(name) && new DirectoryInfo(sub).LinkTarget is null)
                {
                    pending.Push(sub);
                }
            }
        }
        foreach (var item in found.OrderBy(p => p.Item2, StringComparer.Ordinal))
        {
            yield return item;
        }
    }

    /// <summary>
    /// Keeps the data itself out of git: <c>/name</c> in the .gitignore beside it, as DVC does. Concurrent adds
    /// take turns, so no rule is lost between one's read and another's write.
    /// </summary>
    public void IgnoreInGit(string full)
    {
        using var turn = CacheLock.Exclusive(Path.Combine(Root, TrackingStores.StateFolder, "gitignore.lock"), ".gitignore files");
        var ignore = Path.Combine(Path.GetDirectoryName(full)!, ".gitignore");
        var rule = "/" + Path.GetFileName(full);
        var lines = File.Exists(ignore) ? File.ReadAllLines(ignore) : [];
        if (!lines.Contains(rule))
        {
            AtomicFile.WriteAllText(ignore, string.Concat(lines.Select(l => l + "\n")) + rule + "\n");
        }
    }

    /// <summary>Objects that work-tree files are symbolic links to (outside .git and .mlops; links are not followed).</summary>
    public HashSet<ContentHash> LinksIntoCache()
    {
        var linked = new HashSet<ContentHash>();
        var links = new System.IO.Enumeration.FileSystemEnumerable<string>(Root,
            (ref System.IO.Enumeration.FileSystemEntry entry) => entry.ToFullPath(),
            new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0, IgnoreInaccessible = true })
        {
            ShouldIncludePredicate = (ref System.IO.Enumeration.FileSystemEntry entry) => (entry.Attributes & FileAttributes.ReparsePoint) != 0,
            ShouldRecursePredicate = (ref System.IO.Enumeration.FileSystemEntry entry) =>
                (entry.Attributes & FileAttributes.ReparsePoint) == 0
                && !(entry.Directory.Length == Root.Length && entry.FileName is ".git" or TrackingStores.StateFolder),
        };
        foreach (var link in links)
        {
            if (IsCacheLink(link, out var hash))
            {
                linked.Add(hash);
            }
        }
        return linked;
    }
}
