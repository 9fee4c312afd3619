using System.Diagnostics;
using System.Security.Cryptography;
using MlopsNotebooks.Storage;
using MlopsNotebooks.Tests.Support;
using MlopsNotebooks.Tracking;

namespace MlopsNotebooks.Tests.Tracking;

public sealed class TrackingClientTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    private TrackingClient Client(TimeSpan? flushInterval = null) =>
        new(_dir.File("mlops.db"), new WriterOptions { FlushInterval = flushInterval ?? TimeSpan.FromMinutes(10) });

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Metric_points_wait_in_memory_until_a_flush()
    {
        using var client = Client();
        var run = client.CreateRun("churn", "buffered");
        for (var step = 0; step < 1000; step++)
        {
            client.LogMetric(run.RunId, "loss", 1.0 / (step + 1), step);
        }
        using var reader = new SqliteTrackingStore(_dir.File("mlops.db"));
        Assert.Empty(reader.GetMetricHistory(run.RunId, "loss"));
        client.Flush();
        Assert.Equal(1000, reader.GetMetricHistory(run.RunId, "loss").Count);
    }

    [Fact]
    public void Points_reach_the_store_within_the_flush_interval_without_a_flush()
    {
        using var client = Client(TimeSpan.FromMilliseconds(100));
        var run = client.CreateRun("churn", "interval");
        client.LogMetric(run.RunId, "auc", 0.5, 1);
        using var reader = new SqliteTrackingStore(_dir.File("mlops.db"));
        var clock = Stopwatch.StartNew();
        while (reader.GetMetricHistory(run.RunId, "auc").Count == 0)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), "the background writer never wrote the point");
            Thread.Sleep(20);
        }
        Assert.Equal(0.5, reader.GetMetricHistory(run.RunId, "auc").Single().Value);
    }

    [Fact]
    public void Ending_a_run_writes_its_buffered_points_first()
    {
        using var client = Client();
        var run = client.CreateRun("churn");
        client.LogMetric(run.RunId, "auc", 0.7, 0);
        client.LogMetric(run.RunId, "auc", 0.8, 1);
        client.SetTerminated(run.RunId);
        var ended = client.GetRun(run.RunId);
        Assert.Equal(RunStatus.Finished, ended.Status);
        Assert.NotNull(ended.EndTime);
        Assert.Equal(0.8, ended.Metrics["auc"].Value);
    }

    [Fact]
    public void Logging_to_a_finished_run_is_refused_at_the_call()
    {
        using var client = Client();
        var run = client.CreateRun("churn");
        client.SetTerminated(run.RunId);
        var error = Assert.Throws<RunNotActiveException>(() => client.LogMetric(run.RunId, "auc", 1));
        Assert.Contains("finished", error.Message);
        Assert.Throws<RunNotActiveException>(() => client.LogParam(run.RunId, "p", "1"));
        Assert.Throws<RunNotActiveException>(() => client.SetTag(run.RunId, "t", "1"));
        Assert.Empty(client.GetRun(run.RunId).Metrics);
    }

    [Fact]
    public void A_run_ended_by_another_process_makes_the_buffered_points_fail_loudly_at_the_next_flush()
    {
        using var client = Client();
        var run = client.CreateRun("churn");
        client.LogMetric(run.RunId, "auc", 0.5);
        using (var other = new SqliteTrackingStore(_dir.File("mlops.db")))
        {
            other.SetRunStatus(run.RunId, RunStatus.Killed, DateTimeOffset.UtcNow);
        }
        var error = Assert.Throws<ConflictException>(client.Flush);
        Assert.Contains("could not be written", error.Message);
        Assert.Contains("killed", error.Message);
        client.Flush(); // reported once
    }

    [Fact]
    public void Invalid_keys_are_refused_before_anything_is_buffered()
    {
        using var client = Client();
        var run = client.CreateRun("churn");
        Assert.Throws<InvalidNameException>(() => client.LogMetric(run.RunId, "../x", 1));
        Assert.Throws<InvalidNameException>(() => client.LogParam(run.RunId, "", "1"));
        Assert.Throws<InvalidNameException>(() => client.SetTag(run.RunId, "a//b", "1"));
        Assert.Throws<InvalidNameException>(() => client.CreateRun("churn", runName: "bad\u0000name"));
        client.Flush();
        var after = client.GetRun(run.RunId);
        Assert.Empty(after.Metrics);
        Assert.Empty(after.Params);
    }

    [Fact]
    public void Runs_are_found_by_a_unique_prefix_and_ambiguity_is_an_error()
    {
        using var client = Client();
        var runs = Enumerable.Range(0, 40).Select(_ => client.CreateRun("churn")).ToList();
        Assert.Equal(runs[0].RunId, client.GetRun(runs[0].RunId[..10].ToUpperInvariant()).RunId);
        var ambiguous = Assert.Throws<RunNotFoundException>(() => client.ResolveRunId(""));
        Assert.Contains("not a run id", ambiguous.Message);
        // 40 random ids share some first hex digit.
        var shared = runs.GroupBy(r => r.RunId[0]).First(g => g.Count() > 1).Key.ToString();
        Assert.Contains("More than one", Assert.Throws<RunNotFoundException>(() => client.ResolveRunId(shared)).Message);
        Assert.Contains("No run", Assert.Throws<RunNotFoundException>(() => client.ResolveRunId("0123456789abcdef0123456789abcdef")).Message);
        Assert.Contains("not a run id", Assert.Throws<RunNotFoundException>(() => client.ResolveRunId("../etc")).Message);
    }

    [Fact]
    public void A_run_records_its_source_and_platform_without_being_asked()
    {
        using var repo = new TempDirectory();
        Git(repo.Path, "init", "-q");
        File.WriteAllText(Path.Combine(repo.Path, "train.ipynb"), "{}");
        Git(repo.Path, "add", "train.ipynb");
        Git(repo.Path, "-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-qm", "first");
        var head = Git(repo.Path, "rev-parse", "HEAD");

        var tags = RunContext.Capture(new Provenance(Path.Combine(repo.Path, "train.ipynb")), repo.Path).ToDictionary(t => t.Key, t => t.Value);
        Assert.Equal("train.ipynb", tags[RunContext.SourceName]);
        Assert.Equal("NOTEBOOK", tags[RunContext.SourceType]);
        Assert.Equal(head, tags[RunContext.GitCommit]);
        Assert.Equal("false", tags[RunContext.GitDirty]);
        Assert.Equal(Environment.Version.ToString(), tags[RunContext.DotnetVersion]);
        Assert.Equal(Environment.ProcessId.ToString(), tags[RunContext.ProcessId]);
        Assert.False(string.IsNullOrEmpty(tags[RunContext.Os]));

        File.WriteAllText(Path.Combine(repo.Path, "train.ipynb"), "{\"changed\": true}");
        var dirty = RunContext.Capture(new Provenance(Path.Combine(repo.Path, "train.ipynb")), repo.Path).ToDictionary(t => t.Key, t => t.Value);
        Assert.Equal("true", dirty[RunContext.GitDirty]);
    }

    [Fact]
    public void Artifacts_are_copied_with_their_sha256_and_a_folder_keeps_its_layout()
    {
        using var client = Client();
        var run = client.CreateRun("churn");
        var file = _dir.File("model.zip");
        File.WriteAllBytes(file, Enumerable.Range(0, 300_000).Select(i => (byte)i).ToArray());
        var logged = Assert.Single(client.LogArtifact(run.RunId, file, "model/model.zip"));
        Assert.Equal("sha256:" + Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(file))).ToLowerInvariant(), logged.Hash);
        Assert.Equal(300_000, logged.Size);
        using (var stored = client.OpenArtifact(run.RunId, "model/model.zip"))
        using (var copy = new MemoryStream())
        {
            stored.CopyTo(copy);
            Assert.Equal(File.ReadAllBytes(file), copy.ToArray());
        }

        var plots = Directory.CreateDirectory(_dir.File("plots"));
        File.WriteAllText(Path.Combine(plots.FullName, "b.txt"), "b");
        Directory.CreateDirectory(Path.Combine(plots.FullName, "roc"));
        File.WriteAllText(Path.Combine(plots.FullName, "roc", "a.txt"), "a");
        client.LogArtifact(run.RunId, plots.FullName, "plots");
        Assert.Equal(["model/model.zip", "plots/b.txt", "plots/roc/a.txt"], client.GetRun(run.RunId).Artifacts.Select(a => a.Path));
    }

    [Theory]
    [InlineData("../escape.txt")]
    [InlineData("a/../../escape.txt")]
    [InlineData("/tmp/escape.txt")]
    public void Artifact_paths_that_leave_the_run_are_refused_and_nothing_is_written(string artifactPath)
    {
        using var client = Client();
        var run = client.CreateRun("churn");
        var file = _dir.File("f.txt");
        File.WriteAllText(file, "x");
        Assert.Throws<InvalidNameException>(() => client.LogArtifact(run.RunId, file, artifactPath));
        Assert.Empty(client.GetRun(run.RunId).Artifacts);
        Assert.False(File.Exists(_dir.File("escape.txt")));
        Assert.False(File.Exists(Path.Combine(_dir.Path, "artifacts", "escape.txt")));
    }

    [Fact]
    public void A_missing_artifact_file_says_so()
    {
        using var client = Client();
        var run = client.CreateRun("churn");
        var error = Assert.Throws<NotFoundException>(() => client.LogArtifact(run.RunId, _dir.File("nope.bin")));
        Assert.Contains("no file or folder", error.Message);
    }

    [Fact]
    public void Comparing_shows_only_params_that_differ_and_every_metric()
    {
        using var client = Client();
        var a = client.CreateRun("churn", "a");
        var b = client.CreateRun("churn", "b");
        client.LogBatch(a.RunId, [new Metric("auc", 0.9, 0, 1)], [new Param("seed", "1"), new Param("trees", "100")]);
        client.LogBatch(b.RunId, [new Metric("f1", 0.7, 0, 1)], [new Param("seed", "1"), new Param("trees", "200")]);
        var comparison = client.CompareRuns([a.RunId, b.RunId[..12]]);
        Assert.Equal(["trees"], comparison.DifferingParams);
        Assert.Equal(["auc", "f1"], comparison.MetricKeys);
        Assert.Equal(0.9, comparison.Metric(comparison.Runs[0], "auc"));
        Assert.True(double.IsNaN(comparison.Metric(comparison.Runs[1], "auc")));
        Assert.Throws<MlopsException>(() => client.CompareRuns([a.RunId]));
    }

    [Fact]
    public void Search_resolves_experiment_names_and_rejects_bad_limits()
    {
        using var client = Client();
        client.CreateRun("churn", "c1");
        client.CreateRun("fraud", "f1");
        Assert.Equal(["c1"], client.SearchRuns(["churn"]).Select(r => r.Name));
        Assert.Equal(2, client.SearchRuns().Count);
        Assert.Throws<ExperimentNotFoundException>(() => client.SearchRuns(["nope"]));
        Assert.Throws<MlopsException>(() => client.SearchRuns(maxResults: 0));
    }

    [Fact]
    public void The_default_store_lives_in_dot_mlops_at_the_git_root_with_an_ignore_rule()
    {
        using var repo = new TempDirectory();
        Git(repo.Path, "init", "-q");
        var nested = Directory.CreateDirectory(Path.Combine(repo.Path, "notebooks", "churn")).FullName;
        var path = TrackingStores.ResolveSqlitePath(null, nested);
        Assert.Equal(Path.Combine(repo.Path, ".mlops", "mlops.db"), path);
        Assert.Equal("*", File.ReadAllLines(Path.Combine(repo.Path, ".mlops", ".gitignore")).Last());
        // git agrees that nothing under .mlops/ is to be committed.
        File.WriteAllText(path, "");
        Assert.Equal("", Git(repo.Path, "status", "--porcelain", "--untracked-files=all"));
    }

    [Theory]
    [InlineData("sqlite:///rel/x.db", "rel/x.db")]
    [InlineData("sqlite:////abs/x.db", "/abs/x.db")]
    [InlineData("plain.db", "plain.db")]
    public void Tracking_uris_name_sqlite_files(string uri, string expected)
    {
        Assert.Equal(Path.GetFullPath(expected, _dir.Path), TrackingStores.ResolveSqlitePath(uri, _dir.Path));
    }

    [Fact]
    public void An_unknown_tracking_uri_scheme_is_refused_with_the_forms_that_work()
    {
        var error = Assert.Throws<MlopsException>(() => TrackingStores.ResolveSqlitePath("mysql://host/db", _dir.Path));
        Assert.Contains("'mysql' is not supported", error.Message);
        Assert.Contains("sqlite:///", error.Hint);
    }

    internal static string Git(string directory, params string[] args)
    {
        var (code, output, error) = Programs.RunTool("git", args, directory);
        Assert.True(code == 0, $"git {string.Join(' ', args)} failed: {error}");
        return output.Trim();
    }
}
