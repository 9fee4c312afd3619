using MlopsNotebooks.Versioning;

namespace MlopsNotebooks.TeamStores.Blobs;

/// <summary>
/// A remote in blob storage, objects laid out as the directory remote lays them (<see cref="ObjectLayout"/> with '/':
/// <c>prefix/objects/sha256/ab/cdef...</c>), so a prefix copied to a disk is a directory remote.
/// <para>
/// Why an <see cref="IRemote"/> of its own rather than an <see cref="IFileSystem"/> under a
/// <see cref="FileSystemObjectStore"/>: the file-system seam asks one question per path (one HEAD per object in
/// <see cref="Has"/>) and lists names without sizes or times, while a blob service answers both for a thousand objects
/// per listing page; and its uploads are committed whole by the service (a block list, a completed multipart upload),
/// not written to a temporary name and renamed, which blob storage cannot do atomically.
/// </para>
/// The services differ only in the primitives below; the guarantees (only missing objects move, nothing partial is
/// ever visible, an object is never overwritten, a large one goes up in parallel parts that a later push reuses) and
/// the translation of the SDK's errors into messages that say what to fix are here, once.
/// </summary>
internal abstract class BlobRemote : IRemote
{
    /// <summary>Up to this many hashes, one HEAD each is quicker than listing the prefix (see the remotes benchmark).</summary>
    internal const int HeadLimit = 32;

    /// <summary>Objects larger than this go up in parts of this size, four at a time (S3's parts are 5 MiB at least).</summary>
    internal const int DefaultPartSize = 8 << 20;

    internal const int PartsAtOnce = 4;

    private readonly ObjectLayout _layout;
    private long _bytesSent;

    protected BlobRemote(string name, BlobAddress address, int partSize)
    {
        Name = name;
        Address = address;
        PartSize = partSize;
        Location = $"remote '{name}'";
        // The container is the layout's root so that an empty prefix gives keys without a leading '/'.
        _layout = new ObjectLayout(address.Prefix.Length == 0 ? address.Container : $"{address.Container}/{address.Prefix}", '/');
    }

    public string Name { get; }

    protected BlobAddress Address { get; }

    protected int PartSize { get; }

    /// <summary>What messages call the remote: "remote 'shared'".</summary>
    protected string Location { get; }

    /// <summary>Bytes this remote has sent, parts a resumed upload reused not counted.</summary>
    internal long BytesSent => Interlocked.Read(ref _bytesSent);

    public IReadOnlySet<ContentHash> Has(IReadOnlyCollection<ContentHash> hashes) => Translating(() =>
    {
        if (hashes.Count <= HeadLimit)
        {
            return hashes.Where(h => Exists(KeyOf(h))).ToHashSet();
        }
        var listed = List().Select(o => o.Hash).ToHashSet();
        return hashes.Where(listed.Contains).ToHashSet();
    });

    public void Upload(ContentHash hash, string sourceFile, CancellationToken cancellationToken) => Translating(() =>
    {
        cancellationToken.ThrowIfCancellationRequested();
        var key = KeyOf(hash);
        if (Exists(key))
        {
            return true; // content-addressed: what is there is this object, and it is never overwritten
        }
        var size = new FileInfo(sourceFile).Length;
        if (size <= PartSize)
        {
            UploadWhole(key, sourceFile, cancellationToken);
        }
        else
        {
            UploadInParts(key, sourceFile, Parts(size), cancellationToken);
        }
        return true;
    });

    public void Download(ContentHash hash, string targetFile, CancellationToken cancellationToken) => Translating(() =>
    {
        try
        {
            return DownloadTo(KeyOf(hash), targetFile, cancellationToken) ? true : throw new MissingObjectException(hash, Location);
        }
        catch
        {
            File.Delete(targetFile);
            throw;
        }
    });

    public IEnumerable<RemoteObject> List()
    {
        var prefix = _layout.ObjectsOf(ContentHash.Sha256) + "/";
        foreach (var (key, size, lastModified) in Translating(() => ListKeys(KeyOfPath(prefix)).ToList()))
        {
            if (_layout.TryParse($"{Address.Container}/{key}", out var hash))
            {
                yield return new RemoteObject(hash, size, lastModified);
            }
        }
    }

    public void Remove(ContentHash hash) => Translating(() =>
    {
        Delete(KeyOf(hash));
        return true;
    });

    protected string KeyOf(ContentHash hash) => KeyOfPath(_layout.PathOf(hash));

    protected void Sent(long bytes) => Interlocked.Add(ref _bytesSent, bytes);

    /// <summary>Runs <paramref name="body"/> for each part, <see cref="PartsAtOnce"/> at a time.</summary>
    protected static void ForEachPart(IReadOnlyList<FilePart> parts, CancellationToken cancellationToken, Func<FilePart, CancellationToken, ValueTask> body) =>
        Parallel.ForEachAsync(parts, new ParallelOptions { MaxDegreeOfParallelism = PartsAtOnce, CancellationToken = cancellationToken }, body)
            .GetAwaiter().GetResult();

    /// <summary>Reads one part of a local file.</summary>
    protected static byte[] Read(string file, FilePart part)
    {
        var bytes = new byte[part.Length];
        using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1);
        stream.Position = part.Offset;
        stream.ReadExactly(bytes);
        return bytes;
    }

    protected abstract bool Exists(string key);

    /// <summary>Writes a small object in one request that the service applies whole, unless the key exists.</summary>
    protected abstract void UploadWhole(string key, string sourceFile, CancellationToken cancellationToken);

    /// <summary>
    /// Sends the parts the service does not hold yet for this key (from an interrupted push), then commits them in one
    /// request, which is when the object appears, unless the key exists by then.
    /// </summary>
    protected abstract void UploadInParts(string key, string sourceFile, IReadOnlyList<FilePart> parts, CancellationToken cancellationToken);

    /// <summary>Copies the object to a local file; false when there is no such object.</summary>
    protected abstract bool DownloadTo(string key, string targetFile, CancellationToken cancellationToken);

    protected abstract IEnumerable<(string Key, long Size, DateTimeOffset LastModified)> ListKeys(string prefix);

    protected abstract void Delete(string key);

    /// <summary>The user error an SDK exception means (credentials refused, no such container, unreachable), or null.</summary>
    protected abstract MlopsException? Translate(Exception error);

    private string KeyOfPath(string path) => path[(Address.Container.Length + 1)..];

    private List<FilePart> Parts(long size)
    {
        var parts = new List<FilePart>();
        for (long offset = 0; offset < size; offset += PartSize)
        {
            parts.Add(new FilePart(parts.Count, offset, (int)Math.Min(PartSize, size - offset)));
        }
        return parts;
    }

    // The SDKs' retries end in an AggregateException of the attempts' errors: the first says what went wrong.
    private static Exception Cause(Exception e) => e is AggregateException a && a.Flatten().InnerExceptions is [var first, ..] ? first : e;

    private T Translating<T>(Func<T> body)
    {
        try
        {
            return body();
        }
        catch (Exception e) when (Cause(e) is not (MlopsException or OperationCanceledException) && Translate(Cause(e)) is { } error)
        {
            throw error;
        }
    }
}

/// <summary>One part of a large object: its index from 0, where it starts in the file and how long it is.</summary>
internal readonly record struct FilePart(int Index, long Offset, int Length);
