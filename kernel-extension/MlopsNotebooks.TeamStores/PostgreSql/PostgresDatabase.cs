using System.Data.Common;
using System.Net.Sockets;
using MlopsNotebooks.Storage;
using MlopsNotebooks.Tracking;
using Npgsql;
using NpgsqlTypes;

namespace MlopsNotebooks.TeamStores.PostgreSql;

/// <summary>
/// The tracking store's and model registry's database on a PostgreSQL server, shared by a team and its CI. The schema
/// is SQLite's (<see cref="SqliteDatabase"/>) in PostgreSQL's types: times as BIGINT milliseconds, values as DOUBLE
/// PRECISION with NaN as NULL. Durability is the server's: a write is kept once its transaction commits. A restarted
/// server or a reset connection is reconnected and the write run again; a writer that lost a race runs it again and
/// sees the winner.
/// </summary>
public sealed class PostgresDatabase : SqlDatabase
{
    // Any number the kit's migrations lock on; other applications' advisory locks in the same database are unlikely to use it.
    private const long MigrationLock = 0x6d6c6f7073; // "mlops"

    /// <summary>
    /// From this many points a batch goes in with binary COPY, below it with one INSERT over arrays: on 127.0.0.1 the
    /// INSERT was as fast or faster up to 5,000 points a batch and COPY ahead at 50,000 (bench/team-store.sh).
    /// </summary>
    internal const int CopyFrom = 10_000;

    private readonly PostgresAddress _address;
    private readonly bool _readOnly;
    private readonly TimeSpan _retryFor;

    /// <summary>Opens the database named by a <c>postgresql://</c> URI and brings its schema up to date (read-only opens change nothing).</summary>
    public PostgresDatabase(string uri, bool readOnly = false)
        : this(uri, readOnly, TimeSpan.FromSeconds(30))
    {
    }

    /// <summary>As above, giving up on an unreachable server after <paramref name="retryFor"/> (tests wait less than 30 s).</summary>
    internal PostgresDatabase(string uri, bool readOnly, TimeSpan retryFor)
    {
        _address = PostgresAddress.Parse(uri);
        _readOnly = readOnly;
        _retryFor = retryFor;
        Initialize();
    }

    protected override TimeSpan RetryFor => _retryFor;

    public override string Location => _address.Location;

    protected override bool ReadOnly => _readOnly;

    protected override DbConnection OpenAndCheck()
    {
        NpgsqlConnection connection;
        try
        {
            connection = Connect();
        }
        catch (Exception e) when (Failure(e) is { } failure)
        {
            throw failure;
        }
        try
        {
            // Look before writing: a database with someone else's tables is refused untouched. pg_class, not
            // information_schema, which hides the tables this user has no privilege on.
            using var cmd = connection.CreateCommand();
            cmd.CommandText = Relations;
            var tables = ReadStrings(cmd);
            if (tables.Count > 0 && !tables.Contains("mlops_schema"))
            {
                throw new TrackingStoreException(
                    $"{Location} is not an MlopsNotebooks tracking store: the database has other tables ({string.Join(", ", tables.Take(5))}). It was left as it is.",
                    "Point MLOPS_TRACKING_URI (or --tracking-uri) at a database of its own (CREATE DATABASE mlops).");
            }
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    // After a lost connection the failures of reconnecting are the retry loop's to judge (the server may be starting).
    protected override DbConnection Reconnect() => Connect();

    private NpgsqlConnection Connect()
    {
        var connection = new NpgsqlConnection(_address.ConnectionString(_readOnly, "mlops"));
        try
        {
            connection.Open();
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    // What a user can fix, said without the password (Npgsql's own messages never carry it either).
    private TrackingStoreException? Failure(Exception e)
    {
        var server = $"{_address.Host}:{_address.Port}";
        var user = _address.User ?? "the default user";
        return e switch
        {
            PostgresException { SqlState: PostgresErrorCodes.InvalidPassword } => new(
                $"The PostgreSQL server at {server} refused the password of {user} for {Location}.",
                "Check the password in the URI, in PGPASSWORD, or in the pgpass file (PGPASSFILE or ~/.pgpass).", e),
            PostgresException { SqlState: PostgresErrorCodes.InvalidAuthorizationSpecification } p => new(
                $"The PostgreSQL server at {server} does not let {user} connect to {Location}: {p.MessageText}",
                "Ask the server's administrator for access (pg_hba.conf), or use another user in the URI.", e),
            PostgresException { SqlState: PostgresErrorCodes.InvalidCatalogName } => new(
                $"The database '{_address.Database}' does not exist on the PostgreSQL server at {server}.",
                $"Create it (CREATE DATABASE \"{_address.Database}\" OWNER \"{_address.User ?? "you"}\", or createdb), or fix the database name in the URI.", e),
            NpgsqlException { InnerException: SocketException or TimeoutException } or NpgsqlException { InnerException: IOException } => new(
                $"Nothing answers as PostgreSQL at {server} ({Location}): {e.InnerException!.Message}",
                "Start the server, or fix the host and port in the URI (MLOPS_TRACKING_URI or --tracking-uri).", e),
            // Npgsql's own check, before asking the server: no password in the URI, PGPASSWORD or a pgpass file.
            NpgsqlException when e.Message.Contains("password", StringComparison.OrdinalIgnoreCase) => new(
                $"The PostgreSQL server at {server} asks {user} for a password and none was given for {Location}.",
                "Put it in PGPASSWORD or a pgpass file (PGPASSFILE or ~/.pgpass: host:port:database:user:password), or in the URI.", e),
            PostgresException p => new($"PostgreSQL refused the connection to {Location}: {p.MessageText}",
                "Check the URI and the server's settings.", e),
            _ => null,
        };
    }

    protected override Fault Classify(Exception e) => e switch
    {
        // Another writer won: a unique key (MAX+1 ids, names), a serialization failure, a deadlock.
        PostgresException { SqlState: PostgresErrorCodes.UniqueViolation or PostgresErrorCodes.SerializationFailure or PostgresErrorCodes.DeadlockDetected } => Fault.Race,
        // The server went away: admin shutdown (restart), crash shutdown, starting up, or any connection exception.
        PostgresException { SqlState: PostgresErrorCodes.AdminShutdown or PostgresErrorCodes.CrashShutdown or PostgresErrorCodes.CannotConnectNow } => Fault.Connection,
        PostgresException p when p.SqlState.StartsWith("08", StringComparison.Ordinal) => Fault.Connection,
        PostgresException => Fault.None,
        // Npgsql's own failures: the socket broke or could not connect (the server is restarting).
        NpgsqlException { InnerException: IOException or SocketException or TimeoutException } => Fault.Connection,
        NpgsqlException n when n.IsTransient => Fault.Connection,
        InvalidOperationException when e.Message.Contains("connection is broken", StringComparison.OrdinalIgnoreCase) => Fault.Connection,
        _ => Fault.None,
    };

    // Two processes opening a fresh database at once: the second waits here and then finds the schema up to date.
    protected override void BeforeMigrate(DbTransaction transaction) =>
        Execute(transaction, "SELECT pg_advisory_xact_lock(@k)", ("k", MigrationLock));

    protected override object? CommitToken(DbTransaction transaction) => Scalar(transaction, "SELECT txid_current()");

    // txid_status (PostgreSQL 10+) exists for exactly this: a COMMIT whose connection dropped.
    protected override bool? Committed(object token) =>
        Read(() => Scalar(null, "SELECT txid_status(@x)", ("x", token))) switch
        {
            "committed" => true,
            "aborted" => false,
            _ => null,
        };

    private const string Relations = """
        SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'v', 'm', 'f') ORDER BY c.relname
        """;

    protected override bool SchemaTableExists(DbConnection connection, DbTransaction transaction) =>
        Scalar(transaction, "SELECT to_regclass('mlops_schema')::text") is not null;

    /// <summary>
    /// Metric points as a network backend should send them: one statement for the batch, never one per point. Large
    /// batches go with binary COPY; small ones as one INSERT over arrays (COPY's setup costs more than it saves there).
    /// </summary>
    public override void InsertMetricPoints(DbTransaction tx, long runKey, IReadOnlyList<Metric> metrics, IReadOnlyDictionary<string, long> keyIds)
    {
        var connection = (NpgsqlConnection)tx.Connection!;
        if (metrics.Count >= CopyFrom)
        {
            using var copy = connection.BeginBinaryImport("COPY metrics (run_key, key_id, value, step, timestamp) FROM STDIN (FORMAT BINARY)");
            foreach (var m in metrics)
            {
                copy.StartRow();
                copy.Write(runKey, NpgsqlDbType.Bigint);
                copy.Write(keyIds[m.Key], NpgsqlDbType.Bigint);
                if (double.IsNaN(m.Value))
                {
                    copy.WriteNull();
                }
                else
                {
                    copy.Write(m.Value, NpgsqlDbType.Double);
                }
                copy.Write(m.Step, NpgsqlDbType.Bigint);
                copy.Write(m.Timestamp, NpgsqlDbType.Bigint);
            }
            copy.Complete();
            return;
        }
        var (keys, values, steps, times) = (new long[metrics.Count], new double?[metrics.Count], new long[metrics.Count], new long[metrics.Count]);
        for (var i = 0; i < metrics.Count; i++)
        {
            var m = metrics[i];
            (keys[i], values[i], steps[i], times[i]) = (keyIds[m.Key], double.IsNaN(m.Value) ? null : m.Value, m.Step, m.Timestamp);
        }
        using var insert = new NpgsqlCommand("""
            INSERT INTO metrics (run_key, key_id, value, step, timestamp)
            SELECT $1, k, v, s, t FROM unnest($2::bigint[], $3::double precision[], $4::bigint[], $5::bigint[]) AS p (k, v, s, t)
            """, connection, (NpgsqlTransaction)tx);
        insert.Parameters.Add(new NpgsqlParameter<long> { TypedValue = runKey });
        insert.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = keys });
        insert.Parameters.Add(new NpgsqlParameter<double?[]> { TypedValue = values });
        insert.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = steps });
        insert.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = times });
        insert.ExecuteNonQuery();
    }

    protected override IReadOnlyList<string[]> Migrations { get; } =
    [
        // 1: experiments, runs, params, tags, metric series with their latest points, artifacts.
        [
            "CREATE TABLE mlops_schema (version INTEGER NOT NULL)",
            """
            CREATE TABLE experiments (
                experiment_id BIGINT PRIMARY KEY,
                name TEXT NOT NULL UNIQUE,
                lifecycle_stage TEXT NOT NULL,
                creation_time BIGINT NOT NULL)
            """,
            "INSERT INTO experiments (experiment_id, name, lifecycle_stage, creation_time) VALUES (0, 'Default', 'active', (extract(epoch FROM clock_timestamp()) * 1000)::bigint)",
            """
            CREATE TABLE runs (
                run_key BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
                run_id TEXT NOT NULL UNIQUE,
                experiment_id BIGINT NOT NULL REFERENCES experiments (experiment_id),
                name TEXT,
                parent_run_id TEXT REFERENCES runs (run_id),
                status TEXT NOT NULL,
                start_time BIGINT NOT NULL,
                end_time BIGINT,
                lifecycle_stage TEXT NOT NULL,
                heartbeat_time BIGINT)
            """,
            "CREATE INDEX runs_by_experiment ON runs (experiment_id, start_time)",
            "CREATE TABLE params (run_id TEXT NOT NULL REFERENCES runs (run_id), key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (run_id, key))",
            "CREATE TABLE tags (run_id TEXT NOT NULL REFERENCES runs (run_id), key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (run_id, key))",
            "CREATE TABLE metric_keys (key_id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, key TEXT NOT NULL UNIQUE)",
            // No foreign keys on the bulk table: PostgreSQL checks them with a trigger per row, which held COPY to a
            // third of its speed (measured), and the store checks the run and the keys in the same transaction.
            "CREATE TABLE metrics (run_key BIGINT NOT NULL, key_id BIGINT NOT NULL, step BIGINT NOT NULL, timestamp BIGINT NOT NULL, value DOUBLE PRECISION)",
            "CREATE INDEX metrics_by_series ON metrics (run_key, key_id, step)",
            """
            CREATE TABLE latest_metrics (
                run_id TEXT NOT NULL REFERENCES runs (run_id), key TEXT NOT NULL, value DOUBLE PRECISION,
                step BIGINT NOT NULL, timestamp BIGINT NOT NULL, PRIMARY KEY (run_id, key))
            """,
            "CREATE TABLE artifacts (run_id TEXT NOT NULL REFERENCES runs (run_id), path TEXT NOT NULL, hash TEXT NOT NULL, size BIGINT NOT NULL, PRIMARY KEY (run_id, path))",
        ],
        // 2: lineage (the data versions a run used) and the model registry.
        [
            "CREATE TABLE run_inputs (run_id TEXT NOT NULL REFERENCES runs (run_id), path TEXT NOT NULL, hash TEXT NOT NULL, size BIGINT NOT NULL, files INTEGER NOT NULL, PRIMARY KEY (run_id, path))",
            "CREATE TABLE registered_models (name TEXT PRIMARY KEY, creation_time BIGINT NOT NULL)",
            """
            CREATE TABLE model_versions (
                name TEXT NOT NULL REFERENCES registered_models (name), version INTEGER NOT NULL,
                run_id TEXT REFERENCES runs (run_id), model_hash TEXT NOT NULL, manifest_hash TEXT NOT NULL,
                sample_hash TEXT NOT NULL, creation_time BIGINT NOT NULL, PRIMARY KEY (name, version))
            """,
            """
            CREATE TABLE model_aliases (
                name TEXT NOT NULL, alias TEXT NOT NULL, version INTEGER NOT NULL, PRIMARY KEY (name, alias),
                FOREIGN KEY (name, version) REFERENCES model_versions (name, version))
            """,
            // The registry store's SQL is shared with SQLite, whose GROUP_CONCAT(value, separator) PostgreSQL lacks:
            // the same aggregate here keeps one SQL text for both.
            """
            CREATE FUNCTION mlops_group_concat_step(acc TEXT, value TEXT, separator TEXT) RETURNS TEXT LANGUAGE sql IMMUTABLE
            AS $$ SELECT CASE WHEN value IS NULL THEN acc WHEN acc IS NULL THEN value ELSE acc || separator || value END $$
            """,
            "CREATE AGGREGATE group_concat(TEXT, TEXT) (SFUNC = mlops_group_concat_step, STYPE = TEXT)",
        ],
        // 3: when a run was deleted, and the store's own settings (its artifact root).
        [
            "ALTER TABLE runs ADD COLUMN deleted_time BIGINT",
            "CREATE TABLE mlops_settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
            "UPDATE runs SET deleted_time = (extract(epoch FROM clock_timestamp()) * 1000)::bigint WHERE lifecycle_stage = 'deleted'",
        ],
    ];
}
