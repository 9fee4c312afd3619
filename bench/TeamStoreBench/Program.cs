using System.Diagnostics;
using System.Globalization;
using MlopsNotebooks.Storage;
using MlopsNotebooks.Tracking;
using Npgsql;
using NpgsqlTypes;

// The team store beside the embedded one, in one run (bench/team-store.sh starts the PostgreSQL server):
//   durable points/s - LogMetric calls through TrackingClient's batching, plus the Flush that commits them all;
//   crossover        - one batch of n points as one INSERT over arrays against binary COPY, to place the switch;
//   search           - 100,000 runs (3 params, 2 tags, 3 metrics each), a metric filter and a metric order by,
//                      the 1,000 best runs loaded whole, as `mlops runs search` does.
// Usage: TeamStoreBench <postgresql-uri-of-an-empty-database> <second-empty-database-uri> [points] [runs]
var (uri, searchUri) = (args[0], args[1]);
var points = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 1_000_000;
var runs = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 100_000;
var dir = Path.Combine(Path.GetTempPath(), "mlops-team-bench-" + Guid.NewGuid().ToString("N")[..8]);
Directory.CreateDirectory(dir);
Console.WriteLine($"{points:N0} points per measurement (median of 3), {runs:N0} runs to search; {Environment.ProcessorCount} cores");

try
{
    var pg = Enumerable.Range(0, 3).Select(i => Log(OpenPostgres(uri), points)).Order().ElementAt(1);
    var sqlite = Enumerable.Range(0, 3).Select(i => Log(new SqliteTrackingStore(Path.Combine(dir, $"log-{i}.db")), points)).Order().ElementAt(1);

    Console.WriteLine();
    Console.WriteLine("| batch of points | multi-row INSERT (unnest) | binary COPY |");
    Console.WriteLine("| ---: | ---: | ---: |");
    foreach (var n in new[] { 100, 500, 1_000, 2_000, 5_000, 50_000 })
    {
        var (insert, copy) = Crossover(uri, n);
        Console.WriteLine($"| {n:N0} | {insert:N0}/s | {copy:N0}/s |");
    }

    SeedPostgres(searchUri, runs);
    var pgSearch = Search(OpenPostgres(searchUri));
    var sqlitePath = Path.Combine(dir, "search.db");
    SeedSqlite(sqlitePath, runs);
    var sqliteSearch = Search(new SqliteTrackingStore(sqlitePath));

    Console.WriteLine();
    Console.WriteLine("| measure | PostgreSQL | SQLite | PostgreSQL / SQLite | target |");
    Console.WriteLine("| --- | ---: | ---: | ---: | ---: |");
    Console.WriteLine($"| durable metric points/s (TrackingClient) | {pg:N0} | {sqlite:N0} | {pg / sqlite:0.00}x | 100,000 |");
    Console.WriteLine($"| search {runs:N0} runs, metric filter + order, s | {pgSearch:0.000} | {sqliteSearch:0.000} | {pgSearch / sqliteSearch:0.00}x | 0.5 |");
}
finally
{
    Directory.Delete(dir, recursive: true);
}

ITrackingStore OpenPostgres(string at) =>
    TrackingStores.Registry.For(at)(new StoreAddress(at, dir, ReadOnly: false) { ArtifactUri = Path.Combine(dir, "artifacts") });

static double Log(ITrackingStore store, int points)
{
    using var client = new TrackingClient(store, ArtifactStores.Open(store.ArtifactRoot ?? Path.ChangeExtension(store.Location, ".cache")));
    var run = client.CreateRun("bench", "points");
    var clock = Stopwatch.StartNew();
    for (var i = 0; i < points; i++)
    {
        client.LogMetric(run.RunId, "loss", 1.0 / (i + 1), i);
    }
    client.Flush();
    var perSecond = points / clock.Elapsed.TotalSeconds;
    client.SetTerminated(run.RunId);
    if (client.GetMetricHistory(run.RunId, "loss").Count != points)
    {
        throw new InvalidOperationException("points went missing");
    }
    Console.WriteLine($"{store.GetType().Name} on {(store.Location.StartsWith("postgresql", StringComparison.Ordinal) ? "PostgreSQL" : "SQLite")}: {perSecond:N0} points/s");
    return perSecond;
}

// Best of 5 for each path, on a table of the metrics table's shape, each batch in its own committed transaction.
static (double Insert, double Copy) Crossover(string uri, int n)
{
    var builder = new NpgsqlConnectionStringBuilder(ConnectionString(uri));
    using var connection = new NpgsqlConnection(builder.ConnectionString);
    connection.Open();
    using (var setup = new NpgsqlCommand("CREATE TEMP TABLE IF NOT EXISTS points (run_key BIGINT, key_id BIGINT, value DOUBLE PRECISION, step BIGINT, timestamp BIGINT)", connection))
    {
        setup.ExecuteNonQuery();
    }
    var steps = Enumerable.Range(0, n).Select(i => (long)i).ToArray();
    var values = steps.Select(s => (double?)(1.0 / (s + 1))).ToArray();
    double Best(Action<NpgsqlTransaction> write)
    {
        var best = double.MaxValue;
        for (var i = 0; i < 6; i++)
        {
            var clock = Stopwatch.StartNew();
            using var tx = connection.BeginTransaction();
            write(tx);
            tx.Commit();
            best = i == 0 ? best : Math.Min(best, clock.Elapsed.TotalSeconds); // the first one warms up
        }
        return n / best;
    }
    var insert = Best(tx =>
    {
        using var cmd = new NpgsqlCommand("INSERT INTO points SELECT $1, $2, v, s, s FROM unnest($3::double precision[], $4::bigint[]) AS p (v, s)", connection, tx);
        cmd.Parameters.Add(new NpgsqlParameter<long> { TypedValue = 1 });
        cmd.Parameters.Add(new NpgsqlParameter<long> { TypedValue = 1 });
        cmd.Parameters.Add(new NpgsqlParameter<double?[]> { TypedValue = values });
        cmd.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = steps });
        cmd.ExecuteNonQuery();
    });
    var copy = Best(tx =>
    {
        using var importer = connection.BeginBinaryImport("COPY points FROM STDIN (FORMAT BINARY)");
        foreach (var s in steps)
        {
            importer.StartRow();
            importer.Write(1L, NpgsqlDbType.Bigint);
            importer.Write(1L, NpgsqlDbType.Bigint);
            importer.Write(1.0 / (s + 1), NpgsqlDbType.Double);
            importer.Write(s, NpgsqlDbType.Bigint);
            importer.Write(s, NpgsqlDbType.Bigint);
        }
        importer.Complete();
    });
    return (insert, copy);
}

static string ConnectionString(string uri)
{
    var u = new Uri(uri);
    return new NpgsqlConnectionStringBuilder { Host = u.Host, Port = u.Port, Username = u.UserInfo.Split(':')[0], Database = u.AbsolutePath.Trim('/'), Pooling = false }.ConnectionString;
}

static double Search(ITrackingStore store)
{
    using var client = new TrackingClient(store, ArtifactStores.Open(store.ArtifactRoot ?? Path.ChangeExtension(store.Location, ".cache")));
    var times = new List<double>();
    for (var i = 0; i < 6; i++)
    {
        var clock = Stopwatch.StartNew();
        var found = client.SearchRuns(["search"], "metrics.acc > 0.9 and params.trainer = 'FastTree'", "metrics.loss ASC");
        times.Add(clock.Elapsed.TotalSeconds);
        if (found.Count != 1000 || found[0].Metrics["loss"].Value > found[^1].Metrics["loss"].Value)
        {
            throw new InvalidOperationException($"the search found {found.Count} runs, not the 1,000 best");
        }
    }
    var median = times.Skip(1).Order().ElementAt(2);
    Console.WriteLine($"search on {(store.Location.StartsWith("postgresql", StringComparison.Ordinal) ? "PostgreSQL" : "SQLite")}: median {median:0.000} s (first {times[0]:0.000} s)");
    return median;
}

// Seeding goes straight to the tables (the same rows on both): it is not what is measured.
static void SeedPostgres(string uri, int runs)
{
    new MlopsNotebooks.TeamStores.PostgreSql.PostgresDatabase(uri).Dispose();
    using var connection = new NpgsqlConnection(ConnectionString(uri));
    connection.Open();
    using var cmd = new NpgsqlCommand(SeedSql("generate_series(1, @n) AS g (i)", "lpad(i::text, 32, '0')", "(i % 1000) / 1000.0", "((i * 7919) % 10007) / 10007.0"), connection);
    cmd.Parameters.AddWithValue("n", runs);
    cmd.ExecuteNonQuery();
    using var analyze = new NpgsqlCommand("ANALYZE", connection);
    analyze.ExecuteNonQuery();
}

static void SeedSqlite(string path, int runs)
{
    new SqliteTrackingStore(path).Dispose();
    using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path};Pooling=False");
    connection.Open();
    using var cmd = connection.CreateCommand();
    var series = "(WITH RECURSIVE s (i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < @n) SELECT i FROM s) AS g";
    cmd.CommandText = "BEGIN; " + SeedSql(series, "printf('%032d', i)", "(i % 1000) / 1000.0", "((i * 7919) % 10007) / 10007.0") + "; COMMIT; ANALYZE;";
    cmd.Parameters.AddWithValue("@n", runs);
    cmd.ExecuteNonQuery();
}

static string SeedSql(string series, string runId, string acc, string loss) => $"""
    INSERT INTO experiments (experiment_id, name, lifecycle_stage, creation_time) VALUES (1, 'search', 'active', 1700000000000);
    INSERT INTO runs (run_id, experiment_id, name, status, start_time, end_time, lifecycle_stage)
        SELECT {runId}, 1, 'run-' || i, 'FINISHED', 1700000000000 + i, 1700000001000 + i, 'active' FROM {series};
    INSERT INTO params (run_id, key, value) SELECT {runId}, 'trainer', CASE WHEN i % 3 = 0 THEN 'LightGbm' ELSE 'FastTree' END FROM {series};
    INSERT INTO params (run_id, key, value) SELECT {runId}, 'lr', '0.' || (i % 10) FROM {series};
    INSERT INTO params (run_id, key, value) SELECT {runId}, 'trees', '' || (i % 500) FROM {series};
    INSERT INTO tags (run_id, key, value) SELECT {runId}, 'team', 'team-' || (i % 7) FROM {series};
    INSERT INTO tags (run_id, key, value) SELECT {runId}, 'mlops.notebook', 'train.ipynb' FROM {series};
    INSERT INTO latest_metrics (run_id, key, value, step, timestamp) SELECT {runId}, 'acc', {acc}, 10, 1700000000000 FROM {series};
    INSERT INTO latest_metrics (run_id, key, value, step, timestamp) SELECT {runId}, 'loss', {loss}, 10, 1700000000000 FROM {series};
    INSERT INTO latest_metrics (run_id, key, value, step, timestamp) SELECT {runId}, 'f1', {acc} / 2, 10, 1700000000000 FROM {series}
    """;
