using System.Buffers;
using System.Security.Cryptography;

namespace MlopsNotebooks.Versioning;

/// <summary>
/// The local content-addressed object store: every object is named by its hash and kept where
/// <see cref="ObjectLayout"/> says (<c>objects/sha256/ab/cdef...</c>). Objects are written to a temporary file and renamed into
/// place, so no reader ever sees half an object; a write is skipped when the object is there; objects are read-only on
/// disk; reads verify the hash and throw <see cref="CorruptObjectException"/> on a mismatch.
/// Objects are not fsynced one by one (that made adding 100,000 small files take 38 s instead of a few): a killed
/// process leaves no object behind its rename, and an object torn by a power cut fails verification when read, so it is
/// never used — it is fetched again.
/// </summary>
public sealed class ObjectCache : IObjectStore
{
    private const int BlockSize = 1 << 20;

    private readonly string _tempFolder;

    public ObjectCache(string root)
    {
        Root = Path.GetFullPath(root);
        Layout = new ObjectLayout(Root, Path.DirectorySeparatorChar);
        _tempFolder = Layout.TempFolder;
        Directory.CreateDirectory(Layout.ObjectsOf(ContentHash.Sha256));
        Directory.CreateDirectory(_tempFolder);
    }

    public string Root { get; }

    public ObjectLayout Layout { get; }

    public string PathOf(ContentHash hash) => Layout.PathOf(hash);

    public bool Contains(ContentHash hash) => File.Exists(PathOf(hash));

    /// <summary>Adds bytes (e.g. a manifest) and returns their hash.</summary>
    public ContentHash AddBytes(ReadOnlySpan<byte> content)
    {
        var hash = ContentHash.Of(content);
        if (!Contains(hash))
        {
            var temp = NewTempPath();
            using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
            {
                file.Write(content);
            }
            Publish(temp, hash);
        }
        return hash;
    }

    /// <summary>
    /// Adds a file by copying it in, hashing while copying (one read of the source). When the object is already there,
    /// the copy is dropped.
    /// </summary>
    public ContentHash AddCopy(string source)
    {
        var temp = NewTempPath();
        try
        {
            ContentHash hash;
            using (var input = new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan))
            using (var output = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1))
            using (var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256))
            {
                if (input.Length > 0)
                {
                    output.SetLength(input.Length); // one allocation instead of many extensions
                }
                var buffer = ArrayPool<byte>.Shared.Rent(BlockSize);
                try
                {
                    int read;
                    while ((read = input.Read(buffer, 0, BlockSize)) > 0)
                    {
                        sha.AppendData(buffer, 0, read);
                        output.Write(buffer, 0, read);
                    }
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }
                output.SetLength(output.Position);
                hash = ContentHash.FromSha256(sha.GetHashAndReset());
            }
            if (!Contains(hash))
            {
                Publish(temp, hash);
            }
            return hash;
        }
        finally
        {
            DeleteQuietly(temp);
        }
    }

    /// <summary>Adds a copy of a file whose hash the caller vouches for (reads verify it); skipped when present.</summary>
    public void Put(ContentHash hash, string localFile, CancellationToken cancellationToken)
    {
        if (Contains(hash))
        {
            return;
        }
        var temp = NewTempPath();
        try
        {
            using (var input = new FileStream(localFile, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan))
            using (var output = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1))
            {
                input.CopyToAsync(output, BlockSize, cancellationToken).GetAwaiter().GetResult();
            }
            Publish(temp, hash);
        }
        finally
        {
            DeleteQuietly(temp);
        }
    }

    /// <summary>
    /// Adds a file whose hash is already known without copying it: the object becomes a hard link to (or a reflink of)
    /// the source. The caller vouches for the hash (it has just hashed the file, or the state cache knows its unchanged
    /// stamp); reads verify objects anyway, so a wrong one is caught when used, never served.
    /// </summary>
    public void AddLinked(string source, ContentHash hash, LinkType link)
    {
        if (Contains(hash))
        {
            return;
        }
        var temp = NewTempPath();
        try
        {
            switch (link)
            {
                case LinkType.Hardlink:
                    FileSystemCalls.HardLink(source, temp);
                    break;
                case LinkType.Reflink:
                    FileSystemCalls.Reflink(source, temp);
                    break;
                default:
                    throw new ArgumentOutOfRangeException(nameof(link), link, "copy and symlink go through AddCopy");
            }
            Publish(temp, hash);
        }
        finally
        {
            DeleteQuietly(temp);
        }
    }

    /// <summary>Opens an object for reading, verifying its content as it is read to the end.</summary>
    public Stream OpenRead(ContentHash hash)
    {
        var path = PathOf(hash);
        if (!File.Exists(path))
        {
            throw new MissingObjectException(hash, "this object");
        }
        return new VerifyingStream(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan), hash, path);
    }

    /// <summary>
    /// Writes an object to a path outside the cache, verified as it is copied and renamed into place, so the target is
    /// either the whole, right content or untouched. A corrupt object is moved aside and the copy refused.
    /// </summary>
    public void CopyTo(ContentHash hash, string target)
    {
        var temp = $"{target}.mlops-tmp-{Guid.NewGuid():N}";
        try
        {
            using (var input = OpenRead(hash))
            using (var output = new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
            {
                input.CopyTo(output, BlockSize);
            }
            File.Move(temp, target, overwrite: true);
        }
        catch (CorruptObjectException)
        {
            Quarantine(hash);
            throw;
        }
        finally
        {
            DeleteQuietly(temp);
        }
    }

    /// <summary>Reads a small object whole, verified.</summary>
    public byte[] ReadAllBytes(ContentHash hash)
    {
        using var stream = OpenRead(hash);
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    /// <summary>Checks an object's content against its name; a corrupt object is moved out of the way.</summary>
    public void Verify(ContentHash hash)
    {
        var path = PathOf(hash);
        if (!File.Exists(path))
        {
            throw new MissingObjectException(hash, "this object");
        }
        var actual = ContentHash.OfFile(path);
        if (actual != hash)
        {
            Quarantine(hash);
            throw new CorruptObjectException(hash, actual, path);
        }
    }

    /// <summary>Moves a corrupt object aside (never deleted silently: someone may want to look at it).</summary>
    public void Quarantine(ContentHash hash)
    {
        var path = PathOf(hash);
        var aside = Path.Combine(Root, "corrupt");
        Directory.CreateDirectory(aside);
        if (File.Exists(path))
        {
            File.Move(path, Path.Combine(aside, $"{hash.Hex}.{DateTime.UtcNow.Ticks}"), overwrite: true);
        }
    }

    /// <summary>Every object in the cache.</summary>
    public IEnumerable<ContentHash> List()
    {
        var folder = Layout.ObjectsOf(ContentHash.Sha256);
        foreach (var fan in Directory.EnumerateDirectories(folder))
        {
            var prefix = Path.GetFileName(fan);
            foreach (var file in Directory.EnumerateFiles(fan))
            {
                if (ContentHash.TryParse($"{ContentHash.Sha256}:{prefix}{Path.GetFileName(file)}", out var hash))
                {
                    yield return hash;
                }
            }
        }
    }

    /// <summary>
    /// When the object last gained a reference or its content: the inode's change time (set by the rename into place,
    /// by a hard link, and by <see cref="Touch"/>); gc keeps objects younger than its grace period.
    /// </summary>
    public DateTime LastChanged(ContentHash hash)
    {
        var path = PathOf(hash);
        var ctime = FileSystemCalls.Stamp(path).CtimeNanoseconds;
        if (ctime > 0)
        {
            return DateTime.UnixEpoch.AddTicks(ctime / 100);
        }
        var info = new FileInfo(path);
        return info.LastWriteTimeUtc > info.CreationTimeUtc ? info.LastWriteTimeUtc : info.CreationTimeUtc;
    }

    /// <summary>Marks an object as just referenced (a chmod to its own read-only mode moves its change time).</summary>
    public void Touch(ContentHash hash)
    {
        if (Contains(hash))
        {
            MakeReadOnly(PathOf(hash));
        }
    }

    /// <summary>
    /// Removes temporary files that no live process is writing: their process is gone (the name starts with its id), or
    /// they have not changed since <paramref name="olderThan"/>. A killed add leaves such a file; it is never an object.
    /// </summary>
    public (int Files, long Bytes) RemoveAbandonedTemps(DateTime olderThan, bool dryRun)
    {
        var (files, bytes) = (0, 0L);
        foreach (var temp in Directory.EnumerateFiles(_tempFolder))
        {
            var name = Path.GetFileName(temp);
            var dash = name.IndexOf('-');
            var owner = dash > 0 && int.TryParse(name[..dash], out var pid) ? pid : -1;
            var info = new FileInfo(temp);
            var ownerAlive = owner == Environment.ProcessId || (owner > 0 && Tracking.RunLiveness.IsAlive(owner));
            if (ownerAlive && info.LastWriteTimeUtc >= olderThan)
            {
                continue;
            }
            files++;
            bytes += info.Exists ? info.Length : 0;
            if (!dryRun)
            {
                DeleteQuietly(temp);
            }
        }
        return (files, bytes);
    }

    public void Remove(ContentHash hash)
    {
        var path = PathOf(hash);
        if (File.Exists(path))
        {
            File.SetAttributes(path, FileAttributes.Normal);
            File.Delete(path);
        }
    }

    /// <summary>A temporary path inside the cache (same file system, so the final rename is atomic).</summary>
    public string NewTempPath() => Path.Combine(_tempFolder, ObjectLayout.NewTempName());

    /// <summary>Renames a finished temporary file into place as the object <paramref name="hash"/>, read-only.</summary>
    public void Publish(string temp, ContentHash hash)
    {
        var target = PathOf(hash);
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        MakeReadOnly(temp);
        try
        {
            // No overwrite: if another process published the same object meanwhile, theirs is as good as ours.
            File.Move(temp, target, overwrite: false);
        }
        catch (IOException) when (File.Exists(target))
        {
        }
    }

    internal static void MakeReadOnly(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            File.SetAttributes(path, File.GetAttributes(path) | FileAttributes.ReadOnly);
        }
        else
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        }
    }

    internal static void DeleteQuietly(string path)
    {
        try
        {
            if (File.Exists(path))
            {
                File.SetAttributes(path, FileAttributes.Normal);
                File.Delete(path);
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
