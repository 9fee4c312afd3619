using System.Data;
using System.Data.Common;
using System.Globalization;

namespace MlopsNotebooks.Storage;

/// <summary>
/// One database that the SQL stores share: the tracking store's tables and the model registry's live in it together,
/// so a model version can point at its run, and one list of migrations brings the whole schema up to date. A backend
/// (SQLite now, PostgreSQL later) supplies the connection, its migrations and how it detects a foreign database.
/// One connection, used under a lock: a client's caller and its flusher thread share it. A backend over a network
/// says which failures are passing (<see cref="Classify"/>): those reconnect or run the transaction again.
/// </summary>
public abstract class SqlDatabase : IDisposable
{
    private readonly object _gate = new();
    private readonly List<DbCommand> _prepared = [];
    private DbConnection? _connection;
    private bool _disposed;
    private DbCommand? _insertMetric;

    /// <summary>Where the database is, for messages (never with a password).</summary>
    public abstract string Location { get; }

    /// <summary>Schema migrations in order; the schema version is the number applied.</summary>
    protected abstract IReadOnlyList<string[]> Migrations { get; }

    /// <summary>Opens the connection and checks that it is ours (or empty) before anything is written.</summary>
    protected abstract DbConnection OpenAndCheck();

    protected abstract bool SchemaTableExists(DbConnection connection, DbTransaction transaction);

    private DbConnection Connection => _connection ?? throw new ObjectDisposedException(GetType().Name);

    // A connection lost when the retries ran out is opened again by the next operation.
    private void EnsureConnected()
    {
        if (_connection is null && !_disposed)
        {
            Reopen();
        }
    }

    /// <summary>How long a write or read keeps trying through passing failures before it gives up.</summary>
    protected virtual TimeSpan RetryFor => TimeSpan.FromSeconds(30);

    /// <summary>What a failure of a read or a write means for trying again.</summary>
    protected enum Fault
    {
        /// <summary>A real error: it is reported at once.</summary>
        None,

        /// <summary>The connection is gone (server restarted, connection reset): reconnect, then run it all again.</summary>
        Connection,

        /// <summary>Another writer won a race (unique key, serialization, deadlock): run the transaction again.</summary>
        Race,
    }

    /// <summary>Whether <paramref name="e"/> is worth trying again; an embedded database has no passing failures.</summary>
    protected virtual Fault Classify(Exception e) => Fault.None;

    /// <summary>Runs first in the migration transaction, e.g. to take a lock so that two processes never both migrate.</summary>
    protected virtual void BeforeMigrate(DbTransaction transaction)
    {
    }

    /// <summary>
    /// Called just before a write commits: a token that <see cref="Committed"/> can later look up, for a backend that can
    /// tell whether a transaction committed after its connection dropped during COMMIT; null when it cannot.
    /// </summary>
    protected virtual object? CommitToken(DbTransaction transaction) => null;

    /// <summary>On a new connection: whether the transaction of <paramref name="token"/> committed, or null if unknown.</summary>
    protected virtual bool? Committed(object token) => null;

    /// <summary>Opens a connection again after one was lost; by default the same way as the first.</summary>
    protected virtual DbConnection Reconnect() => OpenAndCheck();

    /// <summary>Opened only to read: nothing is created, migrated or written.</summary>
    protected virtual bool ReadOnly => false;

    /// <summary>Whether the database was opened only to read.</summary>
    public bool IsReadOnly => ReadOnly;

    /// <summary>Opens the database and brings its schema up to date. Call once from the backend's constructor.</summary>
    protected void Initialize()
    {
        _connection = OpenAndCheck();
        try
        {
            Migrate();
        }
        catch (Exception e)
        {
            _connection.Dispose();
            _connection = null;
            if (e is DbException && EnvironmentException.From(e, Location) is { } failure)
            {
                throw failure;
            }
            throw;
        }
    }

    private void Migrate()
    {
        var migrations = Migrations;
        using var tx = Connection.BeginTransaction();
        BeforeMigrate(tx);
        var version = 0;
        if (SchemaTableExists(Connection, tx))
        {
            version = Convert.ToInt32(Scalar(tx, "SELECT version FROM mlops_schema"), CultureInfo.InvariantCulture);
        }
        if (version > migrations.Count)
        {
            throw new TrackingStoreException(
                $"The tracking store at {Location} has schema version {version}; this version of MlopsNotebooks knows up to {migrations.Count}.",
                "Upgrade the MlopsNotebooks package (or the mlops tool) to use this store.");
        }
        if (version == migrations.Count)
        {
            return;
        }
        if (ReadOnly)
        {
            throw version == 0
                ? new TrackingStoreException($"There is no tracking store at {Location}: the database is empty.",
                    "Runs are recorded by Mlops.StartRun or `mlops notebook run`; check --tracking-uri or MLOPS_TRACKING_URI.")
                : new TrackingStoreException($"The tracking store at {Location} has schema version {version}, older than this version's {migrations.Count}.",
                    "Run a command that writes to it once (e.g. from a notebook) to upgrade it; reading does not change it.");
        }
        for (var i = version; i < migrations.Count; i++)
        {
            foreach (var statement in migrations[i])
            {
                Execute(tx, statement);
            }
        }
        Execute(tx, "DELETE FROM mlops_schema");
        Execute(tx, "INSERT INTO mlops_schema (version) VALUES (@v)", ("v", migrations.Count));
        tx.Commit();
    }

    // Every operation holds the lock; writes run in one transaction that rolls back on any exception.

    public T Read<T>(Func<T> read)
    {
        lock (_gate)
        {
            return WithRetries(read);
        }
    }

    public T Write<T>(Func<DbTransaction, T> write)
    {
        lock (_gate)
        {
            // When the connection drops during COMMIT the outcome is unknown: the server may have committed. Running the
            // transaction again could write it twice (a metric point twice, a second model version), giving up could lose
            // points the caller was told are safe. So the backend's commit token is asked on the new connection: committed
            // means done, not committed means run it again, and where it cannot tell, the write fails naming the store.
            object? token = null;
            var committing = false;
            var result = default(T)!;
            return WithRetries(() =>
            {
                if (committing && token is not null)
                {
                    switch (Committed(token))
                    {
                        case true:
                            return result;
                        case null:
                            throw new EnvironmentException(
                                $"The connection to the tracking store at {Location} dropped while a write was committing; whether it was recorded is unknown.",
                                "Check the latest records (e.g. `mlops runs list`) before repeating it.");
                    }
                }
                (token, committing) = (null, false);
                using var tx = Connection.BeginTransaction();
                result = write(tx);
                token = CommitToken(tx);
                committing = true;
                tx.Commit();
                return result;
            });
        }
    }

    // A passing failure runs the whole operation again: after a reconnect (with bounded backoff, prepared commands made
    // again on the new connection) or at once after a lost race, where the next attempt sees the winner's rows. Outside
    // the transaction's scope: it has rolled back by now, so a failure that is reported changed nothing.
    private T WithRetries<T>(Func<T> operation)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var delay = TimeSpan.FromMilliseconds(50);
        for (var races = 0; ; )
        {
            try
            {
                EnsureConnected();
                return operation();
            }
            catch (DbException e) when (EnvironmentException.From(e, Location) is { } failure)
            {
                // A database error that is the machine's (disk full, read-only, not a database), naming the store.
                throw failure;
            }
            catch (Exception e) when (e is not MlopsException && Classify(e) == Fault.Race && ++races < 20)
            {
            }
            catch (Exception e) when (e is not MlopsException && Classify(e) == Fault.Connection)
            {
                while (true)
                {
                    if (clock.Elapsed >= RetryFor)
                    {
                        throw new EnvironmentException(
                            $"The tracking store at {Location} stayed out of reach for {RetryFor.TotalSeconds:0} s: {Reason(e)}",
                            "Check that the database server is running and reachable, then run the command again.", e);
                    }
                    Thread.Sleep(delay);
                    delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(2).Ticks));
                    try
                    {
                        Reopen();
                        break;
                    }
                    catch (Exception again) when (again is not MlopsException && Classify(again) == Fault.Connection)
                    {
                        e = again;
                    }
                }
            }
        }
    }

    /// <summary>Why an attempt failed, for the message: the provider's text, which never holds the password.</summary>
    private static string Reason(Exception e) => e.InnerException is { } inner && e.Message.Length == 0 ? inner.Message : e.Message;

    private void Reopen()
    {
        _connection?.Dispose();
        _connection = null;
        _connection = Reconnect();
        foreach (var cmd in _prepared)
        {
            cmd.Connection = _connection;
            cmd.Transaction = null;
            cmd.Prepare();
        }
    }

    public DbCommand Command(DbTransaction? tx, string sql, params (string Name, object? Value)[] args)
    {
        var cmd = Connection.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        foreach (var (name, value) in args)
        {
            var p = cmd.CreateParameter();
            p.ParameterName = "@" + name;
            p.Value = value ?? DBNull.Value;
            cmd.Parameters.Add(p);
        }
        return cmd;
    }

    /// <summary>
    /// A prepared command with typed parameters (the provider skips inferring the type of every value it binds), kept
    /// for reuse until the database is closed. Call it inside <see cref="Read{T}"/> or <see cref="Write{T}"/>.
    /// </summary>
    public DbCommand Prepare(string sql, params (string Name, DbType Type)[] parameters)
    {
        var cmd = Connection.CreateCommand();
        cmd.CommandText = sql;
        foreach (var (name, type) in parameters)
        {
            var p = cmd.CreateParameter();
            p.ParameterName = name;
            p.DbType = type;
            cmd.Parameters.Add(p);
        }
        cmd.Prepare();
        _prepared.Add(cmd);
        return cmd;
    }

    /// <summary>
    /// Appends metric points of one run to the <c>metrics</c> table inside <paramref name="tx"/>. The default is one
    /// prepared single-row insert, reused: with ADO.NET providers binding many named parameters per statement costs
    /// more than the statements it saves (measured: 218k vs 540k rows/s on SQLite). A backend over a network overrides
    /// it with its bulk path, since there each statement is a round trip.
    /// </summary>
    public virtual void InsertMetricPoints(DbTransaction tx, long runKey, IReadOnlyList<Tracking.Metric> metrics, IReadOnlyDictionary<string, long> keyIds)
    {
        var insert = _insertMetric ??= Prepare("INSERT INTO metrics (run_key, key_id, value, step, timestamp) VALUES (@r, @k, @v, @s, @t)",
            ("@r", DbType.Int64), ("@k", DbType.Int64), ("@v", DbType.Double), ("@s", DbType.Int64), ("@t", DbType.Int64));
        insert.Transaction = tx;
        var p = insert.Parameters;
        p[0].Value = runKey;
        foreach (var m in metrics)
        {
            p[1].Value = keyIds[m.Key];
            p[2].Value = StoredValue(m.Value);
            p[3].Value = m.Step;
            p[4].Value = m.Timestamp;
            insert.ExecuteNonQuery();
        }
    }

    /// <summary>A metric value as the stores keep it: NaN as NULL (SQLite makes it NULL on its own), on every backend.</summary>
    public static object StoredValue(double value) => double.IsNaN(value) ? DBNull.Value : value;

    public int Execute(DbTransaction tx, string sql, params (string, object?)[] args)
    {
        using var cmd = Command(tx, sql, args);
        return cmd.ExecuteNonQuery();
    }

    public object? Scalar(DbTransaction? tx, string sql, params (string, object?)[] args)
    {
        using var cmd = Command(tx, sql, args);
        var value = cmd.ExecuteScalar();
        return value is DBNull ? null : value;
    }

    public static List<string> ReadStrings(DbCommand cmd)
    {
        using var reader = cmd.ExecuteReader();
        var result = new List<string>();
        while (reader.Read())
        {
            result.Add(reader.GetString(0));
        }
        return result;
    }

    /// <summary>The sorted map for <paramref name="id"/> in a map of maps, added when missing.</summary>
    public static SortedDictionary<string, T> Bucket<T>(Dictionary<string, SortedDictionary<string, T>> map, string id)
    {
        if (!map.TryGetValue(id, out var bucket))
        {
            map[id] = bucket = new SortedDictionary<string, T>(StringComparer.Ordinal);
        }
        return bucket;
    }

    /// <summary>The list of <paramref name="id"/>'s rows in <paramref name="map"/>, made on first use.</summary>
    public static List<T> Rows<T>(Dictionary<string, List<T>> map, string id) =>
        System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(map, id, out _) ??= [];

    public void Dispose()
    {
        lock (_gate)
        {
            foreach (var cmd in _prepared)
            {
                cmd.Dispose();
            }
            _prepared.Clear();
            _insertMetric = null;
            _connection?.Dispose();
            _connection = null;
            _disposed = true;
        }
        GC.SuppressFinalize(this);
    }
}
