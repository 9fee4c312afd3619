using Microsoft.Data.Sqlite;

namespace MlopsNotebooks.Versioning;

/// <summary>
/// Remembers the hash of each file by path, size, mtime (ns) and inode, so that unchanged files are not hashed again
/// (DVC's state). Kept in <c>.mlops/state.db</c>; losing it costs only time. Thread-safe.
/// </summary>
internal sealed class StateCache : IDisposable
{
    private readonly SqliteConnection _connection;
    private readonly object _gate = new();

    public StateCache(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        _connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false, DefaultTimeout = 30 }.ToString());
        _connection.Open();
        using var cmd = _connection.CreateCommand();
        cmd.CommandText = """
            PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 30000;
            CREATE TABLE IF NOT EXISTS state (path TEXT PRIMARY KEY, size INTEGER NOT NULL, mtime INTEGER NOT NULL,
                inode INTEGER NOT NULL, hash TEXT NOT NULL) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS folders (path TEXT PRIMARY KEY, digest TEXT NOT NULL, hash TEXT NOT NULL) WITHOUT ROWID;
            """;
        cmd.ExecuteNonQuery();
    }

    /// <summary>Every remembered file under a folder (repo-relative, '/'-separated; "" for all).</summary>
    public Dictionary<string, (FileStamp Stamp, ContentHash Hash)> LoadUnder(string folder)
    {
        var result = new Dictionary<string, (FileStamp, ContentHash)>(StringComparer.Ordinal);
        lock (_gate)
        {
            using var cmd = _connection.CreateCommand();
            if (folder.Length == 0)
            {
                cmd.CommandText = "SELECT path, size, mtime, inode, hash FROM state";
            }
            else
            {
                // Range scan on the primary key: 'dir/' <= path < 'dir0' ('0' follows '/').
                cmd.CommandText = "SELECT path, size, mtime, inode, hash FROM state WHERE (path >= @lo AND path < @hi) OR path = @exact";
                cmd.Parameters.AddWithValue("@lo", folder + "/");
                cmd.Parameters.AddWithValue("@hi", folder + "0");
                cmd.Parameters.AddWithValue("@exact", folder);
            }
            using var reader = cmd.ExecuteReader();
            while (reader.Read())
            {
                if (ContentHash.TryParse(reader.GetString(4), out var hash))
                {
                    result[reader.GetString(0)] = (new FileStamp(reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3)), hash);
                }
            }
        }
        return result;
    }

    public void Save(IEnumerable<(string Path, FileStamp Stamp, ContentHash Hash)> entries)
    {
        lock (_gate)
        {
            using var tx = _connection.BeginTransaction();
            using var cmd = _connection.CreateCommand();
            cmd.Transaction = tx;
            cmd.CommandText = "INSERT OR REPLACE INTO state (path, size, mtime, inode, hash) VALUES (@p, @s, @m, @i, @h)";
            var (p, s, m, i, h) = (cmd.Parameters.Add("@p", SqliteType.Text), cmd.Parameters.Add("@s", SqliteType.Integer),
                cmd.Parameters.Add("@m", SqliteType.Integer), cmd.Parameters.Add("@i", SqliteType.Integer), cmd.Parameters.Add("@h", SqliteType.Text));
            foreach (var entry in entries)
            {
                (p.Value, s.Value, m.Value, i.Value, h.Value) = (entry.Path, entry.Stamp.Size, entry.Stamp.MtimeNanoseconds, entry.Stamp.Inode, entry.Hash.ToString());
                cmd.ExecuteNonQuery();
            }
            tx.Commit();
        }
    }

    /// <summary>
    /// A folder's manifest hash as last computed, with the digest of its files' paths and stamps then: while the digest
    /// is the same, so is the manifest, and status need not look at a single file's state.
    /// </summary>
    public (string Digest, ContentHash Hash)? LoadFolder(string path)
    {
        lock (_gate)
        {
            using var cmd = _connection.CreateCommand();
            cmd.CommandText = "SELECT digest, hash FROM folders WHERE path = @p";
            cmd.Parameters.AddWithValue("@p", path);
            using var reader = cmd.ExecuteReader();
            return reader.Read() && ContentHash.TryParse(reader.GetString(1), out var hash) ? (reader.GetString(0), hash) : null;
        }
    }

    public void SaveFolder(string path, string digest, ContentHash hash)
    {
        lock (_gate)
        {
            using var cmd = _connection.CreateCommand();
            cmd.CommandText = "INSERT OR REPLACE INTO folders (path, digest, hash) VALUES (@p, @d, @h)";
            cmd.Parameters.AddWithValue("@p", path);
            cmd.Parameters.AddWithValue("@d", digest);
            cmd.Parameters.AddWithValue("@h", hash.ToString());
            cmd.ExecuteNonQuery();
        }
    }

    public void Dispose() => _connection.Dispose();
}
