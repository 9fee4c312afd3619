using System.Diagnostics;
using System.Globalization;
using Microsoft.Data.Sqlite;
using MlopsNotebooks.Cli;
using MlopsNotebooks.Storage;
using MlopsNotebooks.Tests.Support;
using MlopsNotebooks.Tracking;

namespace MlopsNotebooks.Tests.Tracking;

/// <summary>Tracking across real processes sharing one SQLite file: concurrent writers, killed writers.</summary>
public sealed class ProcessTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    private string StoreUri => "sqlite:///" + _dir.File("mlops.db");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Eight_processes_logging_at_once_lose_no_point()
    {
        const int processes = 8;
        const int points = 20_000;
        var workers = Enumerable.Range(0, processes)
            .Select(i => Programs.Start(Programs.TrackingWorker, [StoreUri, "parallel", $"worker-{i}", $"{points}", "1000"]))
            .ToList();
        var outputs = workers.Select(w => (Out: w.StandardOutput.ReadToEndAsync(), Err: w.StandardError.ReadToEndAsync())).ToList();
        foreach (var (worker, i) in workers.Select((w, i) => (w, i)))
        {
            Assert.True(worker.WaitForExit(120_000), $"worker {i} hung");
            Assert.True(worker.ExitCode == 0, $"worker {i} failed: {outputs[i].Err.Result}");
            worker.Dispose();
        }

        using var client = new TrackingClient(StoreUri);
        var runs = client.SearchRuns(["parallel"]);
        Assert.Equal(processes, runs.Count);
        foreach (var run in runs)
        {
            Assert.Equal(RunStatus.Finished, run.Status);
            var history = client.GetMetricHistory(run.RunId, "x");
            Assert.Equal(Enumerable.Range(0, points).Select(i => (long)i), history.Select(p => p.Step));
            Assert.All(history, p => Assert.Equal(p.Step, (long)p.Value));
            Assert.Equal(points - 1, run.Metrics["x"].Value);
        }
    }

    [Fact]
    public void A_writer_killed_with_SIGKILL_leaves_a_clean_store_a_stale_run_and_every_flushed_point()
    {
        using var worker = Programs.Start(Programs.TrackingWorker, [StoreUri, "killed", "victim", "0", "500"]);
        var runId = worker.StandardOutput.ReadLine()!.Split(' ')[1];
        long lastFlushed = -1;
        for (var flushes = 0; flushes < 5;)
        {
            var line = worker.StandardOutput.ReadLine() ?? throw new Xunit.Sdk.XunitException("the worker stopped early");
            if (line.StartsWith("flushed ", StringComparison.Ordinal))
            {
                lastFlushed = long.Parse(line["flushed ".Length..], CultureInfo.InvariantCulture);
                flushes++;
            }
        }
        worker.Kill(); // SIGKILL: no handler runs
        worker.WaitForExit();

        using (var connection = new SqliteConnection($"Data Source={_dir.File("mlops.db")};Pooling=False"))
        {
            connection.Open();
            using var check = connection.CreateCommand();
            check.CommandText = "PRAGMA integrity_check";
            Assert.Equal("ok", check.ExecuteScalar());
        }
        using var client = new TrackingClient(StoreUri);
        var run = client.GetRun(runId);
        Assert.Equal(RunStatus.Running, run.Status); // nothing ended it...
        Assert.True(run.IsStale);                    // ...but its process is gone, and readers say so
        Assert.Equal("RUNNING (stale)", run.DisplayStatus);
        var steps = client.GetMetricHistory(runId, "x").Select(p => p.Step).ToList();
        Assert.True(steps.Count > lastFlushed, $"{steps.Count} points on disk, but step {lastFlushed} had been flushed");
        Assert.Equal(Enumerable.Range(0, steps.Count).Select(i => (long)i), steps);

        var output = new StringWriter();
        Assert.Equal(0, MlopsCli.Run(["runs", "list", "--tracking-uri", StoreUri], output, new StringWriter()));
        Assert.Contains("RUNNING (stale)", output.ToString());
    }

    [Fact]
    public void A_writer_stopped_with_SIGTERM_in_a_tight_logging_loop_ends_its_run_as_killed_with_every_acknowledged_point()
    {
        // No sleeps and no flushes in the loop: the signal lands while LogMetric is being called, every time.
        for (var attempt = 0; attempt < 3; attempt++)
        {
            using var worker = Programs.Start(Programs.TrackingWorker, [StoreUri, "terminated", $"victim-{attempt}", "0", "0", "1000"]);
            var error = worker.StandardError.ReadToEndAsync();
            var runId = worker.StandardOutput.ReadLine()!.Split(' ')[1];
            long Logged(string line) => line.StartsWith("logged ", StringComparison.Ordinal)
                ? long.Parse(line["logged ".Length..], CultureInfo.InvariantCulture)
                : -1;
            var lastLogged = -1L;
            for (var reports = 0; reports < 20 + attempt * 200;)
            {
                var line = worker.StandardOutput.ReadLine() ?? throw new Xunit.Sdk.XunitException($"the worker stopped early: {error.Result}");
                lastLogged = Math.Max(lastLogged, Logged(line));
                reports += line.StartsWith("logged ", StringComparison.Ordinal) ? 1 : 0;
            }
            using (var kill = Process.Start("kill", ["-TERM", worker.Id.ToString(CultureInfo.InvariantCulture)]))
            {
                kill.WaitForExit();
            }
            // The last point the worker was told is logged, even if it said so after the signal.
            lastLogged = worker.StandardOutput.ReadToEnd().Split('\n').Select(Logged).Append(lastLogged).Max();
            Assert.True(worker.WaitForExit(30_000));
            Assert.True(worker.ExitCode == 143, $"attempt {attempt}: exit {worker.ExitCode}: {error.Result}");
            Assert.Equal("", error.Result);

            using var client = new TrackingClient(StoreUri);
            var run = client.GetRun(runId);
            Assert.Equal(RunStatus.Killed, run.Status);
            Assert.False(run.IsStale);
            Assert.NotNull(run.EndTime);
            var steps = client.GetMetricHistory(runId, "x").Select(p => p.Step).ToList();
            Assert.Equal(Enumerable.Range(0, steps.Count).Select(i => (long)i), steps);
            Assert.True(steps.Count > lastLogged && lastLogged > 0, $"attempt {attempt}: {steps.Count} points stored, but step {lastLogged} was acknowledged");
        }
    }

    [Fact]
    public void A_running_run_of_a_live_process_is_not_stale()
    {
        using var client = new TrackingClient(StoreUri);
        var run = client.CreateRun("live");
        Assert.False(client.GetRun(run.RunId).IsStale);
        using var store = new SqliteTrackingStore(_dir.File("mlops.db"));
        Assert.Equal(RunStatus.Running, store.GetRun(run.RunId)!.Status);
    }
}
