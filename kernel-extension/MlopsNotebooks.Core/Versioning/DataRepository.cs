using System.Collections.Concurrent;
using MlopsNotebooks.Storage;
using MlopsNotebooks.Tracking;

namespace MlopsNotebooks.Versioning;

/// <summary>
/// Data versioning in a git work tree, as DVC does it: <see cref="Add"/> puts files and folders into the
/// content-addressed cache under <c>.mlops/cache</c> and writes a small pointer file beside each to commit;
/// <see cref="Status"/> tells what changed (hashing only files whose size, mtime or inode moved);
/// <see cref="Checkout"/> restores the data of the pointers; <see cref="Push"/> and <see cref="Pull"/> share objects
/// through a remote; <see cref="Gc"/> removes objects nothing refers to. The rules for paths in the work tree are
/// <see cref="WorkTree"/>'s, and moving objects to and from a remote is <see cref="ObjectTransfer"/>'s.
/// </summary>
public sealed class DataRepository : IDisposable
{
    private const string StateFileName = "state.db";
    private const int MaxFileNameBytes = 255; // NAME_MAX on Linux and macOS file systems
    private readonly StateCache _state;
    private readonly WorkTree _tree;

    public DataRepository(string? workingDirectory = null)
    {
        Root = TrackingStores.FindWorkTreeRoot(workingDirectory ?? Directory.GetCurrentDirectory());
        var folder = TrackingStores.EnsureStateFolder(Root);
        Cache = new ObjectCache(Path.Combine(folder, "cache"));
        _state = new StateCache(Path.Combine(folder, StateFileName));
        Config = ProjectConfig.Load(Root);
        _tree = new WorkTree(Root, Cache.Layout);
    }

    /// <summary>The work tree root: pointer paths are relative to it.</summary>
    public string Root { get; }

    public ObjectCache Cache { get; }

    public ProjectConfig Config { get; private set; }

    // ---- add ------------------------------------------------------------------------------------------------

    /// <summary>Versions a file or folder: caches its content and writes <c>&lt;path&gt;.mlops</c> beside it.</summary>
    public DataVersion Add(string path, LinkType? link = null)
    {
        var (full, relative) = _tree.Resolve(path, mustExist: true);
        var how = link ?? Config.Link;
        // The pointer's name is the data's plus ".mlops": refuse before caching anything if the file system cannot hold it.
        if (System.Text.Encoding.UTF8.GetByteCount(Path.GetFileName(full) + DataPointer.Extension) > MaxFileNameBytes)
        {
            throw new MlopsException($"The name {Path.GetFileName(full)} is too long to put a {DataPointer.Extension} pointer beside it.",
                $"Rename it to at most {MaxFileNameBytes - DataPointer.Extension.Length} bytes.");
        }
        using var cacheUse = CacheLock.Shared(Cache.Root);
        DataVersion version;
        if (Directory.Exists(full))
        {
            var files = _tree.ListFiles(full);
            var known = _state.LoadUnder(relative);
            var entries = new ConcurrentBag<ManifestEntry>();
            var stamps = new ConcurrentBag<(string, FileStamp, ContentHash)>();
            Parallelism.ForEach(files, file =>
            {
                var rel = relative + "/" + file.Relative;
                var hash = Ingest(file.Full, rel, how, known.GetValueOrDefault(rel), file.Stamp);
                entries.Add(new ManifestEntry(file.Relative, hash, file.Size));
                stamps.Add((rel, how == LinkType.Copy ? file.Stamp : FileSystemCalls.Stamp(file.Full), hash));
            });
            var manifest = DirectoryManifest.Of(entries);
            // The manifest goes in last: a folder's manifest in the cache means all its files are there too.
            var manifestHash = Cache.AddBytes(manifest.ToBytes());
            _state.Save(stamps);
            if (how == LinkType.Copy)
            {
                _state.SaveFolder(relative, FolderDigest(files), manifestHash);
            }
            version = new DataVersion(relative, manifestHash, manifest.TotalSize, manifest.Entries.Count, IsDirectory: true);
        }
        else
        {
            var known = _state.LoadUnder(relative).GetValueOrDefault(relative);
            var before = FileSystemCalls.Stamp(full);
            WorkTree.RefuseSpecial(full, before);
            var hash = Ingest(full, relative, how, known, before);
            _state.Save([(relative, how == LinkType.Copy ? before : FileSystemCalls.Stamp(full), hash)]);
            version = new DataVersion(relative, hash, new FileInfo(full).Length, 1, IsDirectory: false);
        }
        var pointer = new DataPointer(Path.GetFileName(full), version.Hash, version.Size, version.Files, version.IsDirectory);
        AtomicFile.WriteAllText(full + DataPointer.Extension, pointer.ToText());
        _tree.IgnoreInGit(full);
        return version;
    }

    /// <summary>Puts one file into the cache (unless the state says it is there already) and links it as asked.</summary>
    private ContentHash Ingest(string full, string relative, LinkType link, (FileStamp Stamp, ContentHash Hash) known, FileStamp stamp)
    {
        if (known.Hash != default && known.Stamp == stamp && Cache.Contains(known.Hash))
        {
            return known.Hash; // unchanged since it was last cached: no read at all
        }
        if (link == LinkType.Copy)
        {
            return Cache.AddCopy(full); // one read: hashed while copied
        }
        var hash = known.Hash != default && known.Stamp == stamp ? known.Hash : ContentHash.OfFile(full);
        switch (link)
        {
            case LinkType.Hardlink:
                Cache.AddLinked(full, hash, LinkType.Hardlink);
                if (FileSystemCalls.Stamp(Cache.PathOf(hash)).Inode != FileSystemCalls.Stamp(full).Inode)
                {
                    ReplaceWithLink(full, hash, LinkType.Hardlink); // the object existed already: share it
                }
                break;
            case LinkType.Reflink:
                Cache.AddLinked(full, hash, LinkType.Reflink);
                break;
            case LinkType.Symlink:
                if (!Cache.Contains(hash))
                {
                    var temp = Cache.NewTempPath();
                    File.Move(full, temp);
                    Cache.Publish(temp, hash);
                }
                ReplaceWithLink(full, hash, LinkType.Symlink);
                break;
        }
        return hash;
    }

    // ---- status ---------------------------------------------------------------------------------------------

    /// <summary>How each versioned path (all, or those named) compares with its pointer file.</summary>
    public IReadOnlyList<DataStatus> Status(IEnumerable<string>? paths = null) =>
        _tree.Pointers(paths).Select(p => StatusOf(p.Full, p.Relative, p.Pointer)).ToList();

    private DataStatus StatusOf(string full, string relative, DataPointer pointer)
    {
        var recorded = Recorded(relative, pointer);
        var inCache = Cache.Contains(pointer.Hash);
        if (!File.Exists(full) && !Directory.Exists(full))
        {
            return new DataStatus(relative, DataState.Missing, inCache, recorded, []);
        }
        if (!pointer.IsDirectory)
        {
            if (Directory.Exists(full))
            {
                return new DataStatus(relative, DataState.Modified, inCache, recorded, ["(a folder now)"]);
            }
            var hash = CurrentHash(full, relative);
            if (hash != pointer.Hash && inCache && SharesInode(full, pointer.Hash))
            {
                inCache = LostInPlace(pointer.Hash);
            }
            return new DataStatus(relative, hash == pointer.Hash ? DataState.Unchanged : DataState.Modified, inCache, recorded, []);
        }
        if (!Directory.Exists(full))
        {
            return new DataStatus(relative, DataState.Modified, inCache, recorded, ["(a file now)"]);
        }
        var files = _tree.ListFiles(full);
        var (currentHash, current) = FolderHash(files, relative);
        // The manifest is published after all the files it lists (add and pull both keep that order), so its presence
        // stands for the whole folder's; checkout and push still check each file.
        if (currentHash == pointer.Hash)
        {
            return new DataStatus(relative, DataState.Unchanged, inCache, recorded, []);
        }
        IReadOnlyList<string> changed = [];
        if (inCache)
        {
            var before = ReadManifest(pointer.Hash);
            changed = ChangedFiles(before, current ?? ManifestOf(files, relative));
            // A hard-linked file edited in place changed its cached object too: that version is no longer in the cache.
            var modified = changed.Where(c => c.StartsWith("modified ", StringComparison.Ordinal)).Select(c => c["modified ".Length..])
                .ToHashSet(StringComparer.Ordinal);
            if (modified.Count > 0)
            {
                var byPath = files.ToDictionary(f => f.Relative, f => f.Full, StringComparer.Ordinal);
                foreach (var entry in before.Entries.Where(e => modified.Contains(e.Path)))
                {
                    if (SharesInode(byPath[entry.Path], entry.Hash))
                    {
                        inCache &= LostInPlace(entry.Hash);
                    }
                }
            }
        }
        return new DataStatus(relative, DataState.Modified, inCache, recorded, changed);
    }

    /// <summary>Whether a work-tree file is a hard link to the cached object (so editing one edited both).</summary>
    private bool SharesInode(string file, ContentHash hash)
    {
        if (!Cache.Contains(hash))
        {
            return false;
        }
        var inode = FileSystemCalls.Stamp(file).Inode;
        return inode != 0 && inode == FileSystemCalls.Stamp(Cache.PathOf(hash)).Inode;
    }

    /// <summary>Checks an object a hard-linked edit may have changed; a changed one is quarantined. True if it is intact.</summary>
    private bool LostInPlace(ContentHash hash)
    {
        try
        {
            Cache.Verify(hash);
            return true;
        }
        catch (CorruptObjectException)
        {
            return false;
        }
    }

    /// <summary>The current version of a path, versioned or not, without caching anything (for lineage).</summary>
    public DataVersion Version(string path)
    {
        var (full, relative) = _tree.Resolve(path, mustExist: true);
        if (Directory.Exists(full))
        {
            var files = _tree.ListFiles(full);
            return new DataVersion(relative, FolderHash(files, relative).Hash, files.Sum(f => f.Size), files.Count, true);
        }
        return new DataVersion(relative, CurrentHash(full, relative), new FileInfo(full).Length, 1, false);
    }

    /// <summary>
    /// A folder's current manifest hash: from the folder state when no file's path or stamp moved since it was last
    /// computed (no per-file state is read at all), otherwise from the files' hashes. The manifest is returned when it
    /// had to be built.
    /// </summary>
    private (ContentHash Hash, DirectoryManifest? Manifest) FolderHash(List<(string Full, string Relative, long Size, FileStamp Stamp)> files, string relative)
    {
        var digest = FolderDigest(files);
        if (_state.LoadFolder(relative) is { } saved && saved.Digest == digest)
        {
            return (saved.Hash, null);
        }
        var manifest = ManifestOf(files, relative);
        var hash = ContentHash.Of(manifest.ToBytes());
        _state.SaveFolder(relative, digest, hash);
        return (hash, manifest);
    }

    /// <summary>A hash of every file's relative path, size, mtime and inode, in order.</summary>
    private static string FolderDigest(List<(string Full, string Relative, long Size, FileStamp Stamp)> files)
    {
        using var sha = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        Span<byte> numbers = stackalloc byte[24];
        var name = new byte[1024];
        foreach (var file in files)
        {
            var length = System.Text.Encoding.UTF8.GetByteCount(file.Relative);
            if (length + 1 > name.Length)
            {
                name = new byte[length * 2];
            }
            System.Text.Encoding.UTF8.GetBytes(file.Relative, name);
            name[length] = 0;
            sha.AppendData(name, 0, length + 1);
            System.Buffers.Binary.BinaryPrimitives.WriteInt64LittleEndian(numbers, file.Stamp.Size);
            System.Buffers.Binary.BinaryPrimitives.WriteInt64LittleEndian(numbers[8..], file.Stamp.MtimeNanoseconds);
            System.Buffers.Binary.BinaryPrimitives.WriteInt64LittleEndian(numbers[16..], file.Stamp.Inode);
            sha.AppendData(numbers);
        }
        return Convert.ToHexString(sha.GetHashAndReset());
    }

    private ContentHash CurrentHash(string full, string relative) =>
        CurrentHashes([(full, relative, FileSystemCalls.Stamp(full))], _state.LoadUnder(relative))[0].Hash;

    private DirectoryManifest ManifestOf(List<(string Full, string Relative, long Size, FileStamp Stamp)> files, string relative)
    {
        var hashes = CurrentHashes(files.Select(f => (f.Full, relative + "/" + f.Relative, f.Stamp)).ToList(), _state.LoadUnder(relative));
        return DirectoryManifest.Of(files.Select((f, i) => new ManifestEntry(f.Relative, hashes[i].Hash, f.Size)));
    }

    /// <summary>Hashes of files, from the state cache when size, mtime and inode are unchanged; both cores hash the rest.</summary>
    private List<(ContentHash Hash, long Size)> CurrentHashes(IReadOnlyList<(string Full, string Relative, FileStamp Stamp)> files,
        Dictionary<string, (FileStamp Stamp, ContentHash Hash)> known)
    {
        var result = new (ContentHash, long)[files.Count];
        var fresh = new ConcurrentBag<(string, FileStamp, ContentHash)>();
        Parallelism.ForEach(Enumerable.Range(0, files.Count), i =>
        {
            var (full, relative, stamp) = files[i];
            if (known.TryGetValue(relative, out var k) && k.Stamp == stamp)
            {
                result[i] = (k.Hash, stamp.Size);
                return;
            }
            var hash = _tree.IsCacheLink(full, out var linked) ? linked : ContentHash.OfFile(full);
            result[i] = (hash, stamp.Size);
            fresh.Add((relative, stamp, hash));
        });
        if (!fresh.IsEmpty)
        {
            _state.Save(fresh);
        }
        return [.. result];
    }

    private static IReadOnlyList<string> ChangedFiles(DirectoryManifest before, DirectoryManifest after)
    {
        var old = before.Entries.ToDictionary(e => e.Path, e => e.Hash, StringComparer.Ordinal);
        var now = after.Entries.ToDictionary(e => e.Path, e => e.Hash, StringComparer.Ordinal);
        return old.Keys.Union(now.Keys).Order(StringComparer.Ordinal)
            .Where(p => !old.TryGetValue(p, out var a) || !now.TryGetValue(p, out var b) || a != b)
            .Select(p => !old.ContainsKey(p) ? $"added {p}" : !now.ContainsKey(p) ? $"deleted {p}" : $"modified {p}")
            .ToList();
    }

    // ---- diff -----------------------------------------------------------------------------------------------

    /// <summary>Versioned paths whose pointer differs between a git revision (default HEAD) and the work tree.</summary>
    public IReadOnlyList<DataChange> Diff(string revision = "HEAD")
    {
        var before = PointersAt(revision).ToDictionary(p => p.Path, StringComparer.Ordinal);
        var after = _tree.Pointers(null).ToDictionary(p => p.Relative, p => Recorded(p.Relative, p.Pointer), StringComparer.Ordinal);
        var changes = new List<DataChange>();
        foreach (var path in before.Keys.Union(after.Keys).Order(StringComparer.Ordinal))
        {
            var (b, a) = (before.GetValueOrDefault(path), after.GetValueOrDefault(path));
            if (b is not null && a is not null && b.Hash == a.Hash)
            {
                continue;
            }
            IReadOnlyList<string> files = [];
            if (b is { IsDirectory: true } && a is { IsDirectory: true } && Cache.Contains(b.Hash) && Cache.Contains(a.Hash))
            {
                files = ChangedFiles(ReadManifest(b.Hash), ReadManifest(a.Hash));
            }
            changes.Add(new DataChange(path, b is null ? ChangeKind.Added : a is null ? ChangeKind.Removed : ChangeKind.Modified, b, a, files));
        }
        return changes;
    }

    /// <summary>The data versions that pointer files record at a git revision.</summary>
    public IReadOnlyList<DataVersion> PointersAt(string revision)
    {
        if (revision.StartsWith('-') || GitCli.TryRun(Root, "rev-parse", "--verify", "--quiet", revision + "^{commit}") is null)
        {
            throw new MlopsException($"'{revision}' is not a revision of the git repository at {Root}.",
                "Name a commit, branch or tag (e.g. HEAD, main, HEAD~1).");
        }
        var listing = GitCli.TryRun(Root, "ls-tree", "-r", "-z", "--name-only", revision) ?? "";
        var versions = new List<DataVersion>();
        foreach (var file in listing.Split('\0', StringSplitOptions.RemoveEmptyEntries).Where(f => f.EndsWith(DataPointer.Extension, StringComparison.Ordinal)))
        {
            var text = GitCli.TryRun(Root, "show", $"{revision}:{file}");
            if (text is null)
            {
                continue;
            }
            var pointer = DataPointer.Parse(text, $"{file} at {revision}");
            var folder = Path.GetDirectoryName(file)?.Replace('\\', '/');
            versions.Add(Recorded(string.IsNullOrEmpty(folder) ? pointer.DataName : $"{folder}/{pointer.DataName}", pointer));
        }
        return versions;
    }

    private static DataVersion Recorded(string relative, DataPointer p) => new(relative, p.Hash, p.Size, p.Files, p.IsDirectory);

    /// <summary>A folder's manifest from the cache, verified as it is read.</summary>
    private DirectoryManifest ReadManifest(ContentHash hash) => DirectoryManifest.Parse(Cache.ReadAllBytes(hash), hash);

    // ---- checkout -------------------------------------------------------------------------------------------

    /// <summary>
    /// Puts the data of the pointers (all, or those named) back in the work tree. Data that differs from its pointer is
    /// left alone unless <paramref name="force"/>. All or nothing: every object is verified and staged before the work
    /// tree is touched, so a missing or corrupt object, or a manifest path that is refused, changes nothing.
    /// </summary>
    public IReadOnlyList<DataVersion> Checkout(IEnumerable<string>? paths = null, bool force = false)
    {
        using var cacheUse = CacheLock.Shared(Cache.Root);
        var plan = new List<(string Full, DataStatus Status, DataPointer Pointer)>();
        var refused = new List<string>();
        foreach (var (full, relative, pointer) in _tree.Pointers(paths))
        {
            var status = StatusOf(full, relative, pointer);
            if (status.State == DataState.Unchanged)
            {
                continue;
            }
            if (status.State == DataState.Modified && !force)
            {
                refused.Add(relative);
                continue;
            }
            if (!status.InCache)
            {
                throw new MissingObjectException(pointer.Hash, relative);
            }
            plan.Add((full, status, pointer));
        }
        if (refused.Count > 0)
        {
            throw new MlopsException($"These paths have changes that checkout would overwrite: {string.Join(", ", refused)}.",
                "Version them first with `mlops data add`, or discard the changes with `mlops data checkout --force`.");
        }

        var staged = new ConcurrentBag<(string Temp, string Target, string Relative, ContentHash Hash)>();
        var folders = new List<(string Full, IReadOnlyList<string> Extras)>();
        try
        {
            foreach (var (full, status, pointer) in plan)
            {
                var relative = status.Recorded.Path;
                if (!pointer.IsDirectory)
                {
                    staged.Add((Stage(pointer.Hash), full, relative, pointer.Hash));
                    continue;
                }
                var manifest = ReadManifest(pointer.Hash);
                var present = Directory.Exists(full)
                    ? _tree.ListFiles(full).ToDictionary(f => f.Relative, StringComparer.Ordinal)
                    : [];
                var known = _state.LoadUnder(relative);
                var writes = new List<(ManifestEntry Entry, string Target)>();
                var folder = new SafeFolder(full, $"The folder manifest of {relative}");
                foreach (var entry in manifest.Entries)
                {
                    var target = folder.Inside(entry.Path);
                    var rel = relative + "/" + entry.Path;
                    if (present.TryGetValue(entry.Path, out var file) && known.TryGetValue(rel, out var k) && k.Hash == entry.Hash && k.Stamp == file.Stamp)
                    {
                        continue; // already the right content
                    }
                    writes.Add((entry, target));
                }
                var wanted = manifest.Entries.Select(e => e.Path).ToHashSet(StringComparer.Ordinal);
                folders.Add((full, present.Keys.Where(p => !wanted.Contains(p)).Select(p => present[p].Full).ToList()));
                Parallelism.ForEach(writes, w => staged.Add((Stage(w.Entry.Hash), w.Target, relative + "/" + w.Entry.Path, w.Entry.Hash)));
            }
        }
        catch
        {
            foreach (var item in staged)
            {
                ObjectCache.DeleteQuietly(item.Temp);
            }
            throw;
        }

        // Everything is staged and verified: now the work tree changes.
        foreach (var (full, extras) in folders)
        {
            if (File.Exists(full) || new FileInfo(full).LinkTarget is not null)
            {
                File.Delete(full);
            }
            Directory.CreateDirectory(full);
            foreach (var extra in extras)
            {
                File.Delete(extra);
            }
        }
        var stamps = new List<(string, FileStamp, ContentHash)>();
        foreach (var (temp, target, relative, hash) in staged.OrderBy(s => s.Target, StringComparer.Ordinal))
        {
            if (Directory.Exists(target) && new DirectoryInfo(target).LinkTarget is null)
            {
                Directory.Delete(target, recursive: true); // a folder where the version has a file
            }
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Move(temp, target, overwrite: true);
            stamps.Add((relative, FileSystemCalls.Stamp(target), hash));
        }
        _state.Save(stamps);
        return plan.Select(p => p.Status.Recorded).ToList();
    }

    /// <summary>
    /// An object made ready to move into the work tree: a verified copy, or a link made after verifying the object,
    /// in the cache's temporary folder (same file system as the cache; a killed checkout leaves it for gc).
    /// </summary>
    private string Stage(ContentHash hash)
    {
        var temp = Cache.NewTempPath();
        try
        {
            var link = Config.Link;
            if (link == LinkType.Copy)
            {
                Cache.CopyTo(hash, temp);
                return temp;
            }
            Cache.Verify(hash); // links do not read the object, so check it first
            LinkObject(hash, temp, link);
            return temp;
        }
        catch
        {
            ObjectCache.DeleteQuietly(temp);
            throw;
        }
    }

    /// <summary>Makes <paramref name="path"/> a link of the given type to an object.</summary>
    private void LinkObject(ContentHash hash, string path, LinkType link)
    {
        switch (link)
        {
            case LinkType.Hardlink:
                FileSystemCalls.HardLink(Cache.PathOf(hash), path);
                break;
            case LinkType.Reflink:
                FileSystemCalls.Reflink(Cache.PathOf(hash), path);
                break;
            default:
                File.CreateSymbolicLink(path, Cache.PathOf(hash));
                Cache.Touch(hash); // a new reference: gc's grace period starts again
                break;
        }
    }

    private void ReplaceWithLink(string target, ContentHash hash, LinkType link)
    {
        var temp = $"{target}.mlops-tmp-{Guid.NewGuid():N}";
        LinkObject(hash, temp, link);
        File.Move(temp, target, overwrite: true);
    }

    // ---- push / pull ----------------------------------------------------------------------------------------

    /// <summary>Uploads the objects of the pointers (all, or those named) that the remote lacks, in parallel.</summary>
    public TransferResult Push(string? remoteName = null, IEnumerable<string>? paths = null, CancellationToken cancellationToken = default)
    {
        var remote = OpenRemote(remoteName);
        var wanted = ObjectsOf(_tree.Pointers(paths).Select(p => Recorded(p.Relative, p.Pointer)));
        var local = wanted.Where(Cache.Contains).ToList();
        var unavailable = wanted.Where(h => !Cache.Contains(h)).ToList();
        var (sent, there, bytes) = new ObjectTransfer(Cache, remote).Upload(local, cancellationToken);
        return new TransferResult(sent, there, bytes, unavailable);
    }

    /// <summary>Downloads the objects the cache lacks (verified, atomically), then checks out paths whose data is missing.</summary>
    public TransferResult Pull(string? remoteName = null, IEnumerable<string>? paths = null, CancellationToken cancellationToken = default)
    {
        var remote = OpenRemote(remoteName);
        var pointers = _tree.Pointers(paths).ToList();
        using var cacheUse = CacheLock.Shared(Cache.Root);
        var (transferred, bytes, wanted) = new ObjectTransfer(Cache, remote).Download(pointers.Select(p => p.Pointer), cancellationToken);
        var missingData = pointers.Where(p => !File.Exists(p.Full) && !Directory.Exists(p.Full)).Select(p => p.Full).ToList();
        if (missingData.Count > 0)
        {
            Checkout(missingData);
        }
        return new TransferResult(transferred, wanted.Count - transferred, bytes, wanted.Where(h => !Cache.Contains(h)).ToList());
    }

    /// <summary>Names a remote in mlops.yaml (a URL that <see cref="Remotes"/> takes: a folder path for now) and makes it the default when it is the first.</summary>
    public void AddRemote(string name, string url, bool makeDefault)
    {
        if (!ProjectConfig.IsRemoteName(name))
        {
            throw new InvalidNameException($"'{name}' is not a usable remote name.", "Use letters, digits, '-' and '_'.");
        }
        Remotes.CheckSupported(url);
        var remotes = new SortedDictionary<string, string>(Config.Remotes.ToDictionary(r => r.Key, r => r.Value), StringComparer.Ordinal) { [name] = url };
        Config = Config with { Remotes = remotes, DefaultRemote = makeDefault || Config.DefaultRemote is null ? name : Config.DefaultRemote };
        Config.Save(Root);
    }

    private IRemote OpenRemote(string? name)
    {
        name ??= Config.DefaultRemote ?? throw new MlopsException("No remote is set.",
            "Add one with `mlops remote add <name> <folder>` (it becomes the default), or pass --remote.");
        if (!Config.Remotes.TryGetValue(name, out var url))
        {
            throw new NotFoundException($"No remote named '{name}' in {ProjectConfig.FileName}.", $"Known remotes: {string.Join(", ", Config.Remotes.Keys.DefaultIfEmpty("none"))}.");
        }
        return Remotes.Open(name, url, Root);
    }

    /// <summary>
    /// Every object the pointers need: each file, each folder's manifest and the files it lists. A manifest is read
    /// with <paramref name="read"/> (default: from the cache); one it cannot find contributes only itself.
    /// </summary>
    private List<ContentHash> ObjectsOf(IEnumerable<DataVersion> versions, Func<ContentHash, byte[]?>? read = null)
    {
        read ??= FromCache;
        var hashes = new HashSet<ContentHash>();
        foreach (var version in versions)
        {
            if (hashes.Add(version.Hash) && version.IsDirectory && read(version.Hash) is { } manifest)
            {
                foreach (var entry in DirectoryManifest.Parse(manifest, version.Hash).Entries)
                {
                    hashes.Add(entry.Hash);
                }
            }
        }
        return [.. hashes];
    }

    private byte[]? FromCache(ContentHash hash) => Cache.Contains(hash) ? Cache.ReadAllBytes(hash) : null;

    // ---- gc -------------------------------------------------------------------------------------------------

    /// <summary>How long a new object is safe from gc whatever refers to it (git keeps loose objects two weeks).</summary>
    public static readonly TimeSpan DefaultGcGrace = TimeSpan.FromHours(1);

    /// <summary>
    /// Removes cached objects that nothing refers to. Kept: what a pointer file needs, in the work tree or at the named
    /// git revisions (default HEAD; every branch too with <paramref name="allBranches"/>); what a work-tree file links
    /// to (the symlink link type: the object is the data's only copy); every run artifact and model version (with its
    /// reference for drift) of every tracking store that shares this cache (the stores in .mlops/, whatever store the
    /// command was pointed at); what <paramref name="alsoKeep"/> names; and any object that changed within
    /// <paramref name="grace"/> (default an hour) before gc started, so a command that is adding a reference right now
    /// never loses its object. Adds, checkouts and pulls wait for gc, and gc for them. Temporary files left by killed
    /// commands go too.
    /// </summary>
    public GcResult Gc(IEnumerable<string>? revisions = null, IEnumerable<ContentHash>? alsoKeep = null, bool dryRun = false, TimeSpan? grace = null,
        bool allBranches = false)
    {
        var keepChangedAfter = DateTime.UtcNow - (grace ?? DefaultGcGrace);
        using var exclusive = CacheLock.Exclusive(Cache.Root);
        var live = Referenced(revisions, allBranches, FromCache, namedStore: null);
        live.UnionWith(alsoKeep ?? []);
        var unreferenced = Cache.List().Where(h => !live.Contains(h)).OrderBy(h => h.Hex, StringComparer.Ordinal).ToList();
        var dead = unreferenced.Where(h => Cache.LastChanged(h) < keepChangedAfter).ToList();
        long bytes = 0;
        foreach (var hash in dead)
        {
            bytes += new FileInfo(Cache.PathOf(hash)).Length;
            if (!dryRun)
            {
                Cache.Remove(hash);
            }
        }
        var temps = Cache.RemoveAbandonedTemps(keepChangedAfter, dryRun);
        return new GcResult(dead, live.Count, bytes + temps.Bytes, dryRun) { Young = unreferenced.Count - dead.Count, Temporary = temps.Files };
    }

    /// <summary>
    /// Removes the objects on a remote that nothing refers to, by the rules of <see cref="Gc"/>, with one more store: the
    /// one <paramref name="trackingUri"/> names (else MLOPS_TRACKING_URI), the team store whose runs and models keep
    /// their objects on the remote. Manifests missing from the cache are read from the remote. An object written to the
    /// remote within <paramref name="grace"/> stays whatever refers to it (another clone may be pushing it now). Any
    /// store or manifest that cannot be read stops gc before anything is removed.
    /// </summary>
    public RemoteGcResult GcRemote(string? remoteName, IEnumerable<string>? revisions = null, string? trackingUri = null, bool dryRun = false,
        TimeSpan? grace = null, bool allBranches = false)
    {
        var remote = OpenRemote(remoteName);
        var keepWrittenAfter = DateTimeOffset.UtcNow - (grace ?? DefaultGcGrace);
        var objects = remote.List().OrderBy(o => o.Hash.Hex, StringComparer.Ordinal).ToList();
        HashSet<ContentHash> live;
        using (CacheLock.Shared(Cache.Root))
        {
            live = Referenced(revisions, allBranches, hash => FromCache(hash) ?? FromRemote(remote, hash),
                string.IsNullOrWhiteSpace(trackingUri) ? Environment.GetEnvironmentVariable(TrackingStores.UriVariable) : trackingUri);
        }
        var inUse = objects.Where(o => live.Contains(o.Hash)).ToList();
        var young = objects.Where(o => !live.Contains(o.Hash) && o.LastModified >= keepWrittenAfter).ToList();
        var dead = objects.Where(o => !live.Contains(o.Hash) && o.LastModified < keepWrittenAfter).ToList();
        if (!dryRun)
        {
            foreach (var o in dead)
            {
                remote.Remove(o.Hash);
            }
        }
        return new RemoteGcResult(remote.Name, dead, dryRun)
        {
            InUse = inUse.Count,
            InUseBytes = inUse.Sum(o => o.Size),
            Young = young.Count,
            YoungBytes = young.Sum(o => o.Size),
        };
    }

    /// <summary>An object of the remote, verified, or null when the remote does not have it.</summary>
    private byte[]? FromRemote(IRemote remote, ContentHash hash)
    {
        if (!remote.Has([hash]).Contains(hash))
        {
            return null;
        }
        var temp = Cache.NewTempPath();
        try
        {
            remote.Download(hash, temp, CancellationToken.None);
            var bytes = File.ReadAllBytes(temp);
            var actual = ContentHash.Of(bytes);
            return actual == hash ? bytes : throw new CorruptObjectException(hash, actual, $"remote '{remote.Name}'");
        }
        finally
        {
            ObjectCache.DeleteQuietly(temp);
        }
    }

    /// <summary>Everything gc keeps whatever its age: pointers here and at the revisions, work-tree links, the stores' objects.</summary>
    private HashSet<ContentHash> Referenced(IEnumerable<string>? revisions, bool allBranches, Func<ContentHash, byte[]?> read, string? namedStore)
    {
        var versions = _tree.Pointers(null).Select(p => Recorded(p.Relative, p.Pointer)).ToList();
        var named = revisions?.ToList() ?? [];
        if (allBranches)
        {
            named.AddRange((GitCli.TryRun(Root, "for-each-ref", "--format=%(objectname)", "refs/heads", "refs/remotes") ?? "")
                .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct(StringComparer.Ordinal));
        }
        foreach (var revision in named.Count > 0 ? named : ["HEAD"])
        {
            if (revision == "HEAD" && GitCli.TryRun(Root, "rev-parse", "--verify", "--quiet", "HEAD") is null)
            {
                continue; // a repository with no commit yet
            }
            versions.AddRange(PointersAt(revision));
        }
        var live = ObjectsOf(versions, read).ToHashSet();
        live.UnionWith(_tree.LinksIntoCache());
        live.UnionWith(ReferencedByStores(read, namedStore));
        return live;
    }

    /// <summary>
    /// Run artifacts and model versions (with their references for drift) of the tracking stores whose artifacts go
    /// to this cache: by the location rule, the SQLite stores in .mlops/; and of <paramref name="namedStore"/> when
    /// one is named. A store that cannot be read stops gc, since its objects cannot be known.
    /// </summary>
    private List<ContentHash> ReferencedByStores(Func<ContentHash, byte[]?> read, string? namedStore)
    {
        var stores = new List<string>();
        var folder = Path.GetDirectoryName(Cache.Root)!;
        if (Path.GetFileName(folder) == TrackingStores.StateFolder)
        {
            stores.AddRange(Directory.EnumerateFiles(folder, "*.db").Where(f => Path.GetFileName(f) != StateFileName).Order(StringComparer.Ordinal));
        }
        if (!string.IsNullOrWhiteSpace(namedStore))
        {
            stores.Add(namedStore);
        }
        var hashes = new List<ContentHash>();
        foreach (var store in stores)
        {
            TrackingLocation? location = null;
            try
            {
                location = TrackingStores.OpenForReading(store, Root);
                using var models = location.OpenModelRegistry();
                var named = location.Store.ReferencedHashes().Concat(models.ReferencedHashes()).ToList();
                foreach (var version in models.ListModelVersions(null))
                {
                    if (ContentHash.TryParse(version.ManifestHash, out var manifest) && read(manifest) is { } bytes)
                    {
                        named.AddRange(Registry.ModelRegistry.ObjectsNamedIn(bytes, version.ToString()));
                    }
                }
                hashes.AddRange(named.Select(h => ContentHash.TryParse(h, out var hash) ? hash : default).Where(h => h != default));
            }
            catch (MlopsException e)
            {
                var shown = location?.Store.Location ?? (Path.IsPathRooted(store) ? store : "the tracking store named by --tracking-uri or MLOPS_TRACKING_URI");
                throw new UnavailableException($"gc cannot read the tracking store {shown}, whose objects it would remove: {e.Message}",
                    "Nothing was removed: its run artifacts and model versions would be. Repair or move that store, then run gc again.", e);
            }
            finally
            {
                location?.Store.Dispose();
            }
        }
        return hashes;
    }

    /// <summary>
    /// A user's path as a full path and a repo-relative one. Refused: paths outside the work tree (also through a
    /// symlink), inside .git or .mlops, and pointer files named as data.
    /// </summary>
    public (string Full, string Relative) Resolve(string path, bool mustExist) => _tree.Resolve(path, mustExist);

    public void Dispose() => _state.Dispose();
}
