namespace MlopsNotebooks.Versioning;

/// <summary>
/// A lock between processes on one file (an advisory flock on Linux and macOS, a share mode on Windows): shared by the
/// commands that add references to a cache (add, checkout, pull), exclusive for gc, so gc never sees a cache halfway
/// through gaining a reference; also used exclusively around read-modify-write of small files such as .gitignore.
/// </summary>
internal static class CacheLock
{
    private static readonly TimeSpan Wait = TimeSpan.FromMinutes(2);

    /// <summary>Held by commands that add objects or references; many at once.</summary>
    public static IDisposable Shared(string cacheRoot) => Acquire(Path.Combine(cacheRoot, "lock"), exclusive: false, "the cache");

    /// <summary>Held by gc: no add, checkout or pull runs meanwhile.</summary>
    public static IDisposable Exclusive(string cacheRoot) => Acquire(Path.Combine(cacheRoot, "lock"), exclusive: true, "the cache");

    /// <summary>An exclusive lock on a lock file of its own (not the file it guards, which is replaced by rename).</summary>
    public static IDisposable Exclusive(string lockFile, string what) => Acquire(lockFile, exclusive: true, what);

    private static IDisposable Acquire(string path, bool exclusive, string what)
    {
        var deadline = DateTime.UtcNow + Wait;
        var delay = 5;
        while (true)
        {
            try
            {
                // .NET takes flock(LOCK_EX) for FileShare.None and flock(LOCK_SH) for a read-only open that shares.
                return exclusive
                    ? new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None)
                    : new FileStream(path, FileMode.OpenOrCreate, FileAccess.Read, FileShare.ReadWrite);
            }
            catch (IOException) when (File.Exists(path) && DateTime.UtcNow < deadline)
            {
                Thread.Sleep(delay);
                delay = Math.Min(delay * 2, 200);
            }
            catch (IOException e) when (File.Exists(path))
            {
                throw new UnavailableException($"Another mlops command has held {what} for {Wait.TotalMinutes:0} minutes ({path}).",
                    "Wait for it to finish (a data gc waits for adds, checkouts and pulls, and they for it), then run this again.", e);
            }
        }
    }
}
