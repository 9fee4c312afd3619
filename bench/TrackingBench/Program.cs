using System.Diagnostics;
using System.Globalization;
using Microsoft.Data.Sqlite;
using MlopsNotebooks.Tracking;

// Metric points per second from one process, three ways, in one run:
//   buffered  - LogMetric calls returned to the caller (points wait in memory for the writer thread);
//   durable   - LogMetric calls plus the Flush that puts them all on disk;
//   reference - a plain Microsoft.Data.Sqlite insert loop (one prepared single-row INSERT per point, one
//               transaction, same WAL/synchronous settings, same table shape) into a bare table.
// Usage: TrackingBench [points] [repeats]
var points = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 2_000_000;
var repeats = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 3;
var dir = Path.Combine(Path.GetTempPath(), "mlops-bench-" + Guid.NewGuid().ToString("N")[..8]);
Directory.CreateDirectory(dir);
Console.WriteLine($"{points:N0} points per measurement, median of {repeats}; {Environment.ProcessorCount} cores; {dir}");

try
{
    Measure(dir, 50_000, "warm-up");
    var results = Enumerable.Range(0, repeats).Select(i => Measure(dir, points, $"#{i + 1}")).ToList();
    double Median(Func<(double Buffered, double Durable, double Reference), double> pick) =>
        results.Select(pick).Order().ElementAt(results.Count / 2);
    var (buffered, durable, reference) = (Median(r => r.Buffered), Median(r => r.Durable), Median(r => r.Reference));
    Console.WriteLine();
    Console.WriteLine("| measure | points/s | vs plain SQLite loop | target |");
    Console.WriteLine("| --- | ---: | ---: | ---: |");
    Console.WriteLine($"| buffered (returned to caller) | {buffered:N0} | {buffered / reference:0.00}x | 1,000,000 |");
    Console.WriteLine($"| durable (on disk after flush) | {durable:N0} | {durable / reference:0.00}x | 200,000 |");
    Console.WriteLine($"| plain SQLite insert loop | {reference:N0} | 1.00x | |");
}
finally
{
    Directory.Delete(dir, recursive: true);
}

static (double Buffered, double Durable, double Reference) Measure(string dir, int points, string label)
{
    var db = Path.Combine(dir, $"{label.Trim('#')}.db");
    double buffered, durable;
    using (var client = new TrackingClient(db))
    {
        var run = client.CreateRun("bench", label);
        var runId = run.RunId;
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < points; i++)
        {
            client.LogMetric(runId, "loss", 1.0 / (i + 1), i);
        }
        var returned = clock.Elapsed.TotalSeconds;
        client.Flush();
        var onDisk = clock.Elapsed.TotalSeconds;
        (buffered, durable) = (points / returned, points / onDisk);
        client.SetTerminated(runId);
        if (client.GetMetricHistory(runId, "loss").Count != points)
        {
            throw new InvalidOperationException("points went missing");
        }
    }

    var plain = Path.Combine(dir, $"{label.Trim('#')}-plain.db");
    using (var connection = new SqliteConnection($"Data Source={plain};Pooling=False"))
    {
        connection.Open();
        using (var setup = connection.CreateCommand())
        {
            setup.CommandText = """
                PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;
                CREATE TABLE metrics (run_id TEXT NOT NULL, key TEXT NOT NULL, value REAL, step INTEGER NOT NULL, timestamp INTEGER NOT NULL);
                """;
            setup.ExecuteNonQuery();
        }
        var clock = Stopwatch.StartNew();
        using var tx = connection.BeginTransaction();
        using var insert = connection.CreateCommand();
        insert.Transaction = tx;
        insert.CommandText = "INSERT INTO metrics (run_id, key, value, step, timestamp) VALUES (@r, @k, @v, @s, @t)";
        var (r, k, v, s, t) = (insert.Parameters.Add("@r", SqliteType.Text), insert.Parameters.Add("@k", SqliteType.Text),
            insert.Parameters.Add("@v", SqliteType.Real), insert.Parameters.Add("@s", SqliteType.Integer), insert.Parameters.Add("@t", SqliteType.Integer));
        insert.Prepare();
        r.Value = "0123456789abcdef0123456789abcdef";
        k.Value = "loss";
        for (var i = 0; i < points; i++)
        {
            v.Value = 1.0 / (i + 1);
            s.Value = (long)i;
            t.Value = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            insert.ExecuteNonQuery();
        }
        tx.Commit();
        var reference = points / clock.Elapsed.TotalSeconds;
        if (label != "warm-up")
        {
            Console.WriteLine($"{label}: buffered {buffered:N0}/s, durable {durable:N0}/s, plain SQLite loop {reference:N0}/s");
        }
        return (buffered, durable, reference);
    }
}
