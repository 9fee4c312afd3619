using System.Diagnostics;
using System.Globalization;
using MlopsNotebooks.Storage;
using MlopsNotebooks.TeamStores.PostgreSql;
using MlopsNotebooks.Tests.Support;
using MlopsNotebooks.Tracking;

namespace MlopsNotebooks.Tests.Storage;

/// <summary>
/// The PostgreSQL store through faults of a real server: restarted while a client logs, down for longer than the
/// retries, and eight writer processes at once. The restarts use a server of their own, not the shared one.
/// </summary>
public sealed class PostgresFaultTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private Dictionary<string, string?> WorkerEnvironment => new() { [TrackingStores.ArtifactUriVariable] = _dir.File("artifacts") };

    [Fact]
    public void A_server_restarted_mid_write_loses_no_flushed_point_and_the_writer_carries_on()
    {
        using var server = PostgresServer.Start();
        var uri = server.NewDatabase();
        const int points = 300_000;
        using var worker = Programs.Start(Programs.TrackingWorker, [uri, "restart", "survivor", $"{points}", "2000"], environment: WorkerEnvironment);
        var error = worker.StandardError.ReadToEndAsync();
        var runId = worker.StandardOutput.ReadLine()?.Split(' ')[1] ?? throw new Xunit.Sdk.XunitException(error.Result);
        long lastFlushed = -1;
        for (var flushes = 0; flushes < 5;)
        {
            var line = worker.StandardOutput.ReadLine() ?? throw new Xunit.Sdk.XunitException($"the worker stopped early: {error.Result}");
            if (line.StartsWith("flushed ", StringComparison.Ordinal))
            {
                lastFlushed = long.Parse(line["flushed ".Length..], CultureInfo.InvariantCulture);
                flushes++;
            }
        }
        var clock = Stopwatch.StartNew();
        server.Restart();
        var rest = worker.StandardOutput.ReadToEndAsync();
        Assert.True(worker.WaitForExit(120_000), "the worker hung after the restart");
        Assert.True(worker.ExitCode == 0, $"the worker failed after the restart: {error.Result}");
        Assert.Contains("done", rest.Result);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"the worker took {clock.Elapsed} after the restart");
        Assert.True(lastFlushed >= 0);

        using var client = new TrackingClient(uri);
        var run = client.GetRun(runId);
        Assert.Equal(RunStatus.Finished, run.Status);
        // Every point once: none lost across the restart, none written twice by a retry.
        Assert.Equal(Enumerable.Range(0, points).Select(i => (long)i), client.GetMetricHistory(runId, "x").Select(p => p.Step));
    }

    [Fact]
    public void A_server_down_longer_than_the_retries_gives_a_clear_error_naming_the_store_and_the_store_recovers_after()
    {
        using var server = PostgresServer.Start();
        var uri = server.NewDatabase();
        using var db = new PostgresDatabase(uri, readOnly: false, retryFor: TimeSpan.FromSeconds(3));
        using var store = new SqlTrackingStore(db, ownsDatabase: false);
        store.CreateExperiment("before", DateTimeOffset.UtcNow);
        var count = db.Read(() => db.Prepare("SELECT count(*) FROM experiments"));
        server.Control("stop", "-m", "fast", "-w");

        var clock = Stopwatch.StartNew();
        var error = Assert.Throws<EnvironmentException>(() => store.CreateExperiment("during", DateTimeOffset.UtcNow));
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(20));
        Assert.Contains($"The tracking store at {db.Location} stayed out of reach for 3 s", error.Message);
        Assert.Contains("database server is running", error.Hint);
        Assert.DoesNotContain(server.Password, error.Message + error.Hint);

        server.Run();
        store.CreateExperiment("after", DateTimeOffset.UtcNow);
        // A command prepared on the lost connection was prepared again on the new one.
        Assert.Equal(3L, db.Read(() => count.ExecuteScalar()));
        Assert.Equal(["Default", "before", "after"], store.ListExperiments(ViewType.ActiveOnly).Select(e => e.Name));
    }

    [Fact]
    public void Eight_writer_processes_at_once_lose_no_point()
    {
        const int processes = 8;
        const int points = 20_000;
        var uri = PostgresServer.Shared.NewDatabase();
        var workers = Enumerable.Range(0, processes)
            .Select(i => Programs.Start(Programs.TrackingWorker, [uri, "parallel", $"worker-{i}", $"{points}", "1000"], environment: WorkerEnvironment))
            .ToList();
        var errors = workers.Select(w => (Out: w.StandardOutput.ReadToEndAsync(), Err: w.StandardError.ReadToEndAsync())).ToList();
        foreach (var (worker, i) in workers.Select((w, i) => (w, i)))
        {
            Assert.True(worker.WaitForExit(120_000), $"worker {i} hung");
            Assert.True(worker.ExitCode == 0, $"worker {i} failed: {errors[i].Err.Result}");
            worker.Dispose();
        }

        using var client = new TrackingClient(uri);
        var runs = client.SearchRuns(["parallel"]);
        Assert.Equal(processes, runs.Count);
        foreach (var run in runs)
        {
            Assert.Equal(RunStatus.Finished, run.Status);
            Assert.Equal(Enumerable.Range(0, points).Select(i => (long)i), client.GetMetricHistory(run.RunId, "x").Select(p => p.Step));
            Assert.Equal(points - 1, run.Metrics["x"].Value);
        }
    }
}
