using System.Globalization;
using System.Text;

namespace MlopsNotebooks.Versioning;

/// <summary>One file of a versioned folder.</summary>
public readonly record struct ManifestEntry(string Path, ContentHash Hash, long Size);

/// <summary>
/// A versioned folder: its files sorted by path (ordinal), one line each — <c>sha256:&lt;hex&gt; &lt;size&gt; &lt;path&gt;</c> —
/// so the same files always give the same bytes. The manifest is itself an object in the cache; its hash is the
/// folder's version.
/// </summary>
public sealed class DirectoryManifest
{
    private DirectoryManifest(IReadOnlyList<ManifestEntry> entries) => Entries = entries;

    public IReadOnlyList<ManifestEntry> Entries { get; }

    public long TotalSize => Entries.Sum(e => e.Size);

    public static DirectoryManifest Of(IEnumerable<ManifestEntry> entries) => Of(entries, "A folder manifest");

    /// <summary>
    /// The manifest of these entries, each path checked by <see cref="SafePaths"/>; a path twice, or a file that is also
    /// a folder of another entry, is refused: a restore could not write both.
    /// </summary>
    private static DirectoryManifest Of(IEnumerable<ManifestEntry> entries, string what)
    {
        var sorted = entries.OrderBy(e => e.Path, StringComparer.Ordinal).ToList();
        var paths = new HashSet<string>(StringComparer.Ordinal);
        foreach (var entry in sorted)
        {
            if (SafePaths.ProblemWithRelative(entry.Path) is { } problem)
            {
                throw new UnsafePathException(what, entry.Path, problem);
            }
            if (!paths.Add(entry.Path))
            {
                throw new UnsafePathException(what, entry.Path, "it is listed twice");
            }
        }
        foreach (var path in paths)
        {
            for (var slash = path.IndexOf('/'); slash > 0; slash = path.IndexOf('/', slash + 1))
            {
                if (paths.Contains(path[..slash]))
                {
                    throw new UnsafePathException(what, path, $"'{path[..slash]}' is listed as a file too");
                }
            }
        }
        return new DirectoryManifest(sorted);
    }

    public byte[] ToBytes()
    {
        var text = new StringBuilder(Entries.Count * 100);
        foreach (var e in Entries)
        {
            text.Append(e.Hash.ToString()).Append(' ').Append(e.Size.ToString(CultureInfo.InvariantCulture)).Append(' ').Append(e.Path).Append('\n');
        }
        return Encoding.UTF8.GetBytes(text.ToString());
    }

    public static DirectoryManifest Parse(byte[] bytes, ContentHash hash)
    {
        var entries = new List<ManifestEntry>();
        foreach (var line in Encoding.UTF8.GetString(bytes).Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = line.Split(' ', 3);
            if (parts.Length != 3 || !ContentHash.TryParse(parts[0], out var entryHash)
                || !long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var size))
            {
                throw new MlopsException($"The folder manifest {hash} has a malformed line: '{line}'.",
                    "Nothing was written. Fetch the folder's version again, or version the folder again with `mlops data add`.");
            }
            entries.Add(new ManifestEntry(parts[2], entryHash, size));
        }
        return Of(entries, $"The folder manifest {hash}");
    }
}
