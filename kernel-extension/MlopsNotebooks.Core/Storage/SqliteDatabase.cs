using System.Data.Common;
using Microsoft.Data.Sqlite;

namespace MlopsNotebooks.Storage;

/// <summary>
/// The embedded database of the tracking store and the model registry: one SQLite file in WAL mode, so several processes log at once (writers take turns,
/// waiting up to 30 s for the lock) and readers never block writers.
/// Durability: a write is on disk once its transaction commits. With <c>synchronous=NORMAL</c> a committed
/// transaction survives the process being killed; after a power cut the last transactions before it may be lost,
/// but the file is never corrupt.
/// </summary>
public sealed class SqliteDatabase : SqlDatabase
{
    private static readonly byte[] SqliteHeader = "SQLite format 3\0"u8.ToArray();
    private readonly string _path;
    private readonly bool _readOnly;

    /// <summary>Opens (creating when missing) the database at <paramref name="path"/>; read-only opens write nothing.</summary>
    public SqliteDatabase(string path, bool readOnly = false)
    {
        _path = Path.GetFullPath(path);
        _readOnly = readOnly;
        Initialize();
    }

    protected override bool ReadOnly => _readOnly;

    public override string Location => _path;

    protected override DbConnection OpenAndCheck()
    {
        CheckHeader();
        if (_readOnly)
        {
            try
            {
                return Connect(_path, SqliteOpenMode.ReadOnly);
            }
            catch (EnvironmentException e) when (e.InnerException is SqliteException { SqliteErrorCode: 14 })
            {
                // A WAL database on a read-only file system with no -shm file beside it cannot be opened for shared
                // reading; nobody can write it there either, so it is read as an immutable file.
                return Connect(new Uri(_path).AbsoluteUri + "?immutable=1", SqliteOpenMode.ReadOnly);
            }
        }
        Directory.CreateDirectory(Path.GetDirectoryName(_path)!);
        return Connect(_path, SqliteOpenMode.ReadWriteCreate);
    }

    private SqliteConnection Connect(string dataSource, SqliteOpenMode mode)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = dataSource,
            Mode = mode,
            Pooling = false,
            DefaultTimeout = 30,
        }.ToString());
        try
        {
            connection.Open();
            // Look before writing: a database of someone else's is refused untouched (no WAL switch, no tables).
            var tables = new List<string>();
            using (var cmd = connection.CreateCommand())
            {
                cmd.CommandText = "SELECT name FROM sqlite_master WHERE type = 'table'";
                using var reader = cmd.ExecuteReader();
                while (reader.Read())
                {
                    tables.Add(reader.GetString(0));
                }
            }
            if (tables.Count > 0 && !tables.Contains("mlops_schema"))
            {
                throw NotOurs($"it is a SQLite database with other tables ({string.Join(", ", tables.Take(5))})");
            }
            using (var cmd = connection.CreateCommand())
            {
                // case_sensitive_like: LIKE matches case as PostgreSQL's does; ILIKE is the case-blind one.
                cmd.CommandText = """
                    PRAGMA busy_timeout = 30000;
                    PRAGMA synchronous = NORMAL;
                    PRAGMA foreign_keys = ON;
                    PRAGMA case_sensitive_like = ON;
                    """ + (mode == SqliteOpenMode.ReadOnly ? "" : "PRAGMA journal_mode = WAL;");
                cmd.ExecuteNonQuery();
            }
            return connection;
        }
        catch (SqliteException e) when (e.SqliteErrorCode is 26 or 11)
        {
            connection.Dispose();
            throw NotOurs("SQLite says it is not a database or is corrupt", e);
        }
        catch (Exception e) when (EnvironmentException.From(e, _path) is { } failure)
        {
            connection.Dispose();
            throw failure;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    private void CheckHeader()
    {
        if (Directory.Exists(_path))
        {
            throw new TrackingStoreException($"The tracking store path {_path} is a directory.",
                "Point MLOPS_TRACKING_URI at a file, e.g. sqlite:///path/to/mlops.db.");
        }
        if (!File.Exists(_path) || new FileInfo(_path).Length == 0)
        {
            return;
        }
        var header = new byte[SqliteHeader.Length];
        using (var file = new FileStream(_path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
        {
            file.ReadAtLeast(header, header.Length, throwOnEndOfStream: false);
        }
        if (!header.AsSpan().SequenceEqual(SqliteHeader))
        {
            throw NotOurs("it is not a SQLite database");
        }
    }

    private TrackingStoreException NotOurs(string why, Exception? inner = null) => new(
        $"{_path} is not an MlopsNotebooks tracking store: {why}. It was left as it is.",
        "Point MLOPS_TRACKING_URI (or --tracking-uri) at another file, or move this one away.", inner);

    protected override bool SchemaTableExists(DbConnection connection, DbTransaction transaction) =>
        Scalar(transaction, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'mlops_schema'") is not null;

    protected override IReadOnlyList<string[]> Migrations { get; } =
    [
        // 1: experiments, runs, params, tags, metric series with their latest points, artifacts.
        [
            "CREATE TABLE mlops_schema (version INTEGER NOT NULL)",
            """
            CREATE TABLE experiments (
                experiment_id INTEGER PRIMARY KEY,
                name TEXT NOT NULL UNIQUE,
                lifecycle_stage TEXT NOT NULL,
                creation_time INTEGER NOT NULL)
            """,
            "INSERT INTO experiments (experiment_id, name, lifecycle_stage, creation_time) VALUES (0, 'Default', 'active', CAST(unixepoch('subsec') * 1000 AS INTEGER))",
            """
            CREATE TABLE runs (
                run_key INTEGER PRIMARY KEY,
                run_id TEXT NOT NULL UNIQUE,
                experiment_id INTEGER NOT NULL REFERENCES experiments (experiment_id),
                name TEXT,
                parent_run_id TEXT REFERENCES runs (run_id),
                status TEXT NOT NULL,
                start_time INTEGER NOT NULL,
                end_time INTEGER,
                lifecycle_stage TEXT NOT NULL,
                heartbeat_time INTEGER)
            """,
            "CREATE INDEX runs_by_experiment ON runs (experiment_id, start_time)",
            "CREATE TABLE params (run_id TEXT NOT NULL REFERENCES runs (run_id), key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (run_id, key))",
            "CREATE TABLE tags (run_id TEXT NOT NULL REFERENCES runs (run_id), key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (run_id, key))",
            // Metric series hold the bulk of the rows: small integer keys keep rows and index small and inserts fast.
            "CREATE TABLE metric_keys (key_id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE)",
            "CREATE TABLE metrics (run_key INTEGER NOT NULL REFERENCES runs (run_key), key_id INTEGER NOT NULL REFERENCES metric_keys (key_id), step INTEGER NOT NULL, timestamp INTEGER NOT NULL, value REAL)",
            "CREATE INDEX metrics_by_series ON metrics (run_key, key_id, step)",
            """
            CREATE TABLE latest_metrics (
                run_id TEXT NOT NULL REFERENCES runs (run_id), key TEXT NOT NULL, value REAL,
                step INTEGER NOT NULL, timestamp INTEGER NOT NULL, PRIMARY KEY (run_id, key))
            """,
            "CREATE TABLE artifacts (run_id TEXT NOT NULL REFERENCES runs (run_id), path TEXT NOT NULL, hash TEXT NOT NULL, size INTEGER NOT NULL, PRIMARY KEY (run_id, path))",
        ],
        // 2: lineage (the data versions a run used) and the model registry.
        [
            "CREATE TABLE run_inputs (run_id TEXT NOT NULL REFERENCES runs (run_id), path TEXT NOT NULL, hash TEXT NOT NULL, size INTEGER NOT NULL, files INTEGER NOT NULL, PRIMARY KEY (run_id, path))",
            "CREATE TABLE registered_models (name TEXT PRIMARY KEY, creation_time INTEGER NOT NULL)",
            """
            CREATE TABLE model_versions (
                name TEXT NOT NULL REFERENCES registered_models (name), version INTEGER NOT NULL,
                run_id TEXT REFERENCES runs (run_id), model_hash TEXT NOT NULL, manifest_hash TEXT NOT NULL,
                sample_hash TEXT NOT NULL, creation_time INTEGER NOT NULL, PRIMARY KEY (name, version))
            """,
            """
            CREATE TABLE model_aliases (
                name TEXT NOT NULL, alias TEXT NOT NULL, version INTEGER NOT NULL, PRIMARY KEY (name, alias),
                FOREIGN KEY (name, version) REFERENCES model_versions (name, version))
            """,
        ],
        // 3: when a run was deleted (runs gc purges those deleted long enough ago) and the store's own settings (the
        // artifact root of a team store).
        [
            "ALTER TABLE runs ADD COLUMN deleted_time INTEGER",
            "CREATE TABLE mlops_settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
            // Runs deleted before the column existed count from the upgrade: gc never purges them sooner than asked.
            "UPDATE runs SET deleted_time = CAST(unixepoch('subsec') * 1000 AS INTEGER) WHERE lifecycle_stage = 'deleted'",
        ],
    ];
}
