namespace MlopsNotebooks.Versioning;

/// <summary>
/// Moves objects between the local cache and a remote: uploads only what the remote lacks, each verified first so a
/// corrupt object is never shared; downloads to temporary files that are verified against their hash before they are
/// published, folder manifests last, so an interrupted pull never leaves a manifest whose files are not all there.
/// </summary>
internal sealed class ObjectTransfer(ObjectCache cache, IRemote remote)
{
    /// <summary>Uploads the objects of <paramref name="local"/> (all in the cache) that the remote lacks, in parallel.</summary>
    public (int Sent, int There, long Bytes) Upload(IReadOnlyList<ContentHash> local, CancellationToken cancellationToken)
    {
        var there = remote.Has(local);
        var toSend = local.Where(h => !there.Contains(h)).ToList();
        long bytes = 0;
        Parallelism.ForEach(toSend, 4, cancellationToken, hash =>
        {
            cache.Verify(hash); // a corrupt object is never shared
            remote.Upload(hash, cache.PathOf(hash), cancellationToken);
            Interlocked.Add(ref bytes, new FileInfo(cache.PathOf(hash)).Length);
        });
        return (toSend.Count, there.Count, bytes);
    }

    /// <summary>Fetches one object into the cache when the cache lacks it, verified before it is published.</summary>
    public void Fetch(ContentHash hash, CancellationToken cancellationToken)
    {
        if (cache.Contains(hash))
        {
            return;
        }
        var temp = FetchVerified(hash, cancellationToken);
        try
        {
            cache.Publish(temp, hash);
        }
        finally
        {
            ObjectCache.DeleteQuietly(temp);
        }
    }

    // Downloads to a temporary file in the cache and checks it against its name; the caller publishes it.
    private string FetchVerified(ContentHash hash, CancellationToken cancellationToken)
    {
        var temp = cache.NewTempPath();
        try
        {
            remote.Download(hash, temp, cancellationToken);
            var actual = ContentHash.OfFile(temp);
            if (actual != hash)
            {
                throw new CorruptObjectException(hash, actual, $"remote '{remote.Name}'");
            }
            return temp;
        }
        catch
        {
            ObjectCache.DeleteQuietly(temp);
            throw;
        }
    }

    /// <summary>Downloads every object the pointers need that the cache lacks; returns what it fetched and what was wanted.</summary>
    public (int Transferred, long Bytes, HashSet<ContentHash> Wanted) Download(IEnumerable<DataPointer> pointers, CancellationToken cancellationToken)
    {
        var transferred = 0;
        long bytes = 0;
        string FetchToTemp(ContentHash hash)
        {
            var temp = FetchVerified(hash, cancellationToken);
            Interlocked.Add(ref bytes, new FileInfo(temp).Length);
            Interlocked.Increment(ref transferred);
            return temp;
        }

        // A folder's manifest is read first (it names the files) but published last, after every file it lists:
        // an interrupted pull never leaves a manifest whose files are not all in the cache.
        var wanted = new HashSet<ContentHash>();
        var manifests = new List<(ContentHash Hash, string? Temp)>();
        try
        {
            foreach (var pointer in pointers)
            {
                wanted.Add(pointer.Hash);
                if (!pointer.IsDirectory)
                {
                    continue;
                }
                var temp = cache.Contains(pointer.Hash) ? null : FetchToTemp(pointer.Hash);
                manifests.Add((pointer.Hash, temp));
                var bytesOfManifest = temp is null ? cache.ReadAllBytes(pointer.Hash) : File.ReadAllBytes(temp);
                foreach (var entry in DirectoryManifest.Parse(bytesOfManifest, pointer.Hash).Entries)
                {
                    wanted.Add(entry.Hash);
                }
            }
            var manifestHashes = manifests.Select(m => m.Hash).ToHashSet();
            var missing = wanted.Where(h => !manifestHashes.Contains(h) && !cache.Contains(h)).ToList();
            Parallelism.ForEach(missing, 4, cancellationToken, hash =>
            {
                var temp = FetchToTemp(hash);
                try
                {
                    cache.Publish(temp, hash);
                }
                finally
                {
                    ObjectCache.DeleteQuietly(temp);
                }
            });
            foreach (var (hash, temp) in manifests.Where(m => m.Temp is not null))
            {
                cache.Publish(temp!, hash);
            }
        }
        finally
        {
            foreach (var (_, temp) in manifests)
            {
                if (temp is not null)
                {
                    ObjectCache.DeleteQuietly(temp);
                }
            }
        }
        return (transferred, bytes, wanted);
    }
}
