using MlopsNotebooks.Cli;
using MlopsNotebooks.Registry;
using MlopsNotebooks.Storage;
using MlopsNotebooks.Tests.Support;
using MlopsNotebooks.Tracking;
using MlopsNotebooks.Versioning;
using MlopsNotebooks.Views;

namespace MlopsNotebooks.Tests.Storage;

/// <summary>
/// Sync between a laptop's store, a team store whose artifacts live in a remote, and a second clone's store. A remote
/// backend derives one class and gives a fresh remote URL for the team store's artifact root.
/// </summary>
public abstract class StoreSyncContract : IDisposable
{
    protected TempDirectory Dir { get; } = new();

    /// <summary>The URL of a new, empty remote for the team store's artifacts.</summary>
    protected abstract string NewRemoteUrl();

    public void Dispose()
    {
        Dir.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>A new team store (a SQLite file shared by path here) with its artifact root recorded.</summary>
    protected virtual string NewTeamStore()
    {
        var path = Dir.File($"team-{Guid.NewGuid():N}.db");
        new SqliteTrackingStore(path, artifactUri: NewRemoteUrl()).Dispose();
        return path;
    }

    /// <summary>A clone's work tree (its own .mlops/ with store and cache) and its store's URI.</summary>
    private (string Folder, string Store) Clone(string name)
    {
        var folder = Path.Combine(Dir.Path, name);
        Directory.CreateDirectory(Path.Combine(folder, ".git"));
        return (folder, Path.Combine(folder, ".mlops", "mlops.db"));
    }

    private static SyncReport Sync(string from, string to, string folder, bool dryRun = false, params string[] experiments) =>
        StoreSync.Sync(from, to, new SyncOptions(experiments, dryRun), folder);

    private sealed record Logged(string ParentId, string RunId, string DeletedId, ModelVersion Version);

    private static Logged LogOnLaptop((string Folder, string Store) laptop)
    {
        using var client = new TrackingClient(TrackingStores.Open(laptop.Store, laptop.Folder));
        var sweep = client.CreateRun("churn", "sweep");
        var run = client.CreateRun("churn", "sdca", sweep.RunId);
        client.LogBatch(run.RunId, [new Metric("auc", 0.7, 1, 1), new Metric("auc", 0.8, 2, 2), new Metric("auc", 0.85, 3, 3)],
            [new Param("trainer", "sdca")], [new RunTag("team", "churn")]);
        var plot = Path.Combine(laptop.Folder, "roc.txt");
        File.WriteAllText(plot, "roc curve\n");
        client.LogArtifact(run.RunId, plot, "plots/roc.txt");
        var (model, data) = ChurnRows.Train(ChurnRows.Rows(200, seed: 5));
        var version = new ModelRegistry(client).Register(run.RunId, model, data.Schema, "churn", alias: "candidate", referenceData: data);
        client.SetTerminated(run.RunId);
        client.SetTerminated(sweep.RunId);
        var old = client.CreateRun("churn", "old");
        client.SetTerminated(old.RunId, RunStatus.Failed);
        client.DeleteRun(old.RunId);
        return new Logged(sweep.RunId, run.RunId, old.RunId, version);
    }

    [Fact]
    public void A_second_clone_sees_the_first_clones_runs_metrics_artifacts_and_models_after_syncing_through_the_team_store()
    {
        var (laptop, ci) = (Clone("laptop"), Clone("ci"));
        var team = NewTeamStore();
        var logged = LogOnLaptop(laptop);

        var up = Sync(laptop.Store, team, laptop.Folder);
        Assert.Equal((1, 3, 1, 1), (up.Experiments, up.RunsCreated, up.VersionsCreated, up.Aliases));
        Assert.True(up.Objects >= 5, $"artifact, model, manifest, sample and reference objects: {up.Objects}");
        Assert.Empty(up.Conflicts);
        var down = Sync(team, ci.Store, ci.Folder);
        // Reading the team's manifests fills the clone's cache, which is also its store's artifact store: fewer to copy.
        Assert.Equal((3, 1), (down.RunsCreated, down.VersionsCreated));
        Assert.InRange(down.Objects, 1, up.Objects);

        var export = Path.Combine(Dir.Path, "export");
        using (var client = new TrackingClient(TrackingStores.OpenForReading(ci.Store, ci.Folder)))
        {
            var run = client.GetRun(logged.RunId);
            Assert.Equal((RunStatus.Finished, logged.ParentId, "sdca", "churn"), (run.Status, run.ParentRunId, run.Params["trainer"], run.Tags["team"]));
            Assert.Equal([0.7, 0.8, 0.85], client.GetMetricHistory(logged.RunId, "auc").Select(p => p.Value));
            Assert.Equal("roc curve\n", ContentFiles.ReadAll(client.Artifacts.OpenRead(run.Artifacts.Single(a => a.Path == "plots/roc.txt"))));
            Assert.Equal(LifecycleStage.Deleted, client.GetRun(logged.DeletedId).Stage);
            var registry = new ModelRegistry(client);
            var candidate = registry.Get("churn@candidate");
            Assert.Equal((logged.Version.Version, logged.Version.ModelHash, logged.RunId), (candidate.Version, candidate.ModelHash, candidate.RunId));
            Assert.NotNull(registry.Reference(candidate));
            registry.Export("churn@candidate", export);
        }
        Assert.Equal(ContentHash.Parse(logged.Version.ModelHash), ContentHash.OfFile(Path.Combine(export, "model.zip")));
        var (output, error) = (new StringWriter(), new StringWriter());
        Assert.True(MlopsCli.Run(["models", "list", "--tracking-uri", ci.Store], output, error) == 0, error.ToString());
        Assert.Contains("candidate", output.ToString());
        var download = Path.Combine(Dir.Path, "download");
        Assert.True(MlopsCli.Run(["models", "download", "churn@candidate", "--to", download, "--tracking-uri", ci.Store], output, error) == 0, error.ToString());
        Assert.Equal(ContentHash.Parse(logged.Version.SampleHash), ContentHash.OfFile(Path.Combine(download, "sample-input.json")));

        // The team store's own artifact store (the remote) serves another clone that never synced.
        var other = Clone("other");
        using var team2 = new TrackingClient(TrackingStores.OpenForReading(team, other.Folder));
        var teamRun = team2.GetRun(logged.RunId);
        Assert.Equal("roc curve\n", ContentFiles.ReadAll(team2.Artifacts.OpenRead(teamRun.Artifacts.Single(a => a.Path == "plots/roc.txt"))));
    }

    [Fact]
    public void A_second_sync_moves_nothing_and_says_so()
    {
        var laptop = Clone("laptop");
        var team = NewTeamStore();
        LogOnLaptop(laptop);
        Sync(laptop.Store, team, laptop.Folder);
        var again = Sync(laptop.Store, team, laptop.Folder);
        Assert.True(again.NothingToMove);
        Assert.Equal((3, 1, 0, 0L), (again.RunsUnchanged, again.VersionsUnchanged, again.Objects, again.Bytes));
        Assert.Contains("Nothing to move", SyncText.Summary(again));
    }

    [Fact]
    public void A_run_that_went_on_at_the_source_since_the_last_sync_is_brought_up_to_date()
    {
        var laptop = Clone("laptop");
        var team = NewTeamStore();
        string runId;
        using (var client = new TrackingClient(TrackingStores.Open(laptop.Store, laptop.Folder)))
        {
            runId = client.CreateRun("churn", "long").RunId;
            client.LogBatch(runId, [new Metric("loss", 1.0, 1, 1)]);
        }
        Assert.Equal(1, Sync(laptop.Store, team, laptop.Folder).RunsCreated);
        using (var client = new TrackingClient(TrackingStores.Open(laptop.Store, laptop.Folder)))
        {
            client.LogBatch(runId, [new Metric("loss", 0.5, 2, 2), new Metric("loss", 0.25, 3, 3)]);
            client.SetTerminated(runId);
        }
        var again = Sync(laptop.Store, team, laptop.Folder);
        Assert.Equal((0, 1), (again.RunsCreated, again.RunsUpdated));
        using var reader = new TrackingClient(TrackingStores.OpenForReading(team, laptop.Folder));
        Assert.Equal([1.0, 0.5, 0.25], reader.GetMetricHistory(runId, "loss").Select(p => p.Value));
        Assert.Equal(RunStatus.Finished, reader.GetRun(runId).Status);
    }

    [Fact]
    public void A_destination_run_with_other_content_is_reported_and_left_as_it_is_and_the_rest_is_copied()
    {
        var laptop = Clone("laptop");
        var team = NewTeamStore();
        var logged = LogOnLaptop(laptop);
        using (var source = new SqliteTrackingStore(laptop.Store, readOnly: true))
        using (var target = TrackingStores.Open(team, laptop.Folder).Store)
        {
            var history = source.ExportRun(logged.ParentId)!;
            var experiment = target.CreateExperiment("churn", DateTimeOffset.UnixEpoch).ExperimentId;
            target.ImportRun(history with { Run = history.Run with { Params = new Dictionary<string, string> { ["seed"] = "7" } } }, experiment);
        }
        var report = Sync(laptop.Store, team, laptop.Folder);
        var conflict = Assert.Single(report.Conflicts);
        Assert.Equal($"run {logged.ParentId}", conflict.Item);
        Assert.Contains("seed", conflict.Reason);
        Assert.Contains(logged.ParentId, SyncText.Summary(report));
        Assert.Equal((2, 1), (report.RunsCreated, report.VersionsCreated));
        using var reader = TrackingStores.OpenForReading(team, laptop.Folder).Store;
        Assert.Equal("7", reader.GetRun(logged.ParentId)!.Params["seed"]);
        Assert.False(reader.GetRun(logged.ParentId)!.Params.ContainsKey("trainer"));
        Assert.NotNull(reader.GetRun(logged.RunId));
    }

    [Fact]
    public void A_dry_run_says_what_would_move_and_writes_nothing()
    {
        var laptop = Clone("laptop");
        var team = NewTeamStore();
        LogOnLaptop(laptop);
        // A team store in a file is compared byte for byte; in a database, by what it holds (below).
        var before = File.Exists(team) ? File.ReadAllBytes(team) : null;
        var dry = Sync(laptop.Store, team, laptop.Folder, dryRun: true);
        Assert.Equal((true, 1, 3, 1, 1), (dry.DryRun, dry.Experiments, dry.RunsCreated, dry.VersionsCreated, dry.Aliases));
        Assert.True(dry.Objects >= 5);
        Assert.StartsWith("Dry run", SyncText.Summary(dry));
        Assert.Equal(before, File.Exists(team) ? File.ReadAllBytes(team) : null);
        using var reader = TrackingStores.OpenForReading(team, laptop.Folder).Store;
        Assert.Equal(["Default"], reader.ListExperiments(ViewType.All).Select(e => e.Name));
        Assert.Empty(reader.ReferencedHashes());
        var real = Sync(laptop.Store, team, laptop.Folder);
        Assert.Equal((dry.RunsCreated, dry.VersionsCreated, dry.Objects), (real.RunsCreated, real.VersionsCreated, real.Objects));
        Assert.InRange(dry.Bytes, 1, real.Bytes);
    }

    [Fact]
    public void Only_the_named_experiments_are_copied_with_the_models_of_their_runs()
    {
        var laptop = Clone("laptop");
        var team = NewTeamStore();
        LogOnLaptop(laptop);
        using (var client = new TrackingClient(TrackingStores.Open(laptop.Store, laptop.Folder)))
        {
            client.SetTerminated(client.CreateRun("fraud", "x").RunId);
        }
        var report = Sync(laptop.Store, team, laptop.Folder, experiments: "fraud");
        Assert.Equal((1, 1, 0), (report.Experiments, report.RunsCreated, report.VersionsCreated));
        var unknown = Assert.Throws<ExperimentNotFoundException>(() => Sync(laptop.Store, team, laptop.Folder, experiments: "nope"));
        Assert.Contains("nope", unknown.Message);
    }
}

/// <summary>Sync with the team store's artifacts on a directory remote.</summary>
public sealed class DirectoryRemoteStoreSyncTests : StoreSyncContract
{
    protected override string NewRemoteUrl() => DirectoryRemoteUrl.For(Path.Combine(Dir.Path, "remotes", Guid.NewGuid().ToString("N")));
}

/// <summary>`mlops sync` as a process: its summary, exit codes, bad input, and a sync killed part way.</summary>
public sealed class SyncCommandTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private (int Code, string Out, string Err) Mlops(params string[] args) => Programs.Run(Programs.Mlops, args, _dir.Path);

    private string Laptop()
    {
        var path = _dir.File("laptop.db");
        using var client = new TrackingClient(path);
        var run = client.CreateRun("churn", "sdca");
        client.LogBatch(run.RunId, [new Metric("auc", 0.8, 1, 1)], [new Param("trainer", "sdca")]);
        client.SetTerminated(run.RunId);
        return path;
    }

    [Fact]
    public void Sync_prints_what_it_copied_as_text_and_json_and_a_second_sync_says_nothing_moved()
    {
        var laptop = Laptop();
        var (code, output, error) = Mlops("sync", "--from", laptop, "--to", "team.db", "--json");
        Assert.True(code == 0, error);
        using (var json = System.Text.Json.JsonDocument.Parse(output))
        {
            Assert.Equal(1, json.RootElement.GetProperty("runs").GetProperty("created").GetInt32());
            Assert.Equal(0, json.RootElement.GetProperty("conflicts").GetArrayLength());
        }
        (code, output, _) = Mlops("sync", "--from", laptop, "--to", "team.db");
        Assert.Equal(0, code);
        Assert.Contains("Nothing to move", output);
        (code, output, _) = Mlops("runs", "list", "--tracking-uri", "team.db");
        Assert.Equal(0, code);
        Assert.Contains("sdca", output);
    }

    [Fact]
    public void A_conflict_is_listed_and_exits_1_after_copying_the_rest()
    {
        var laptop = Laptop();
        Assert.Equal(0, Mlops("sync", "--from", laptop, "--to", "team.db").Code);
        string runId;
        using (var source = new SqliteTrackingStore(laptop))
        using (var team = new SqliteTrackingStore(_dir.File("team.db")))
        {
            runId = source.ListRunIds(source.GetExperimentByName("churn")!.ExperimentId).Single();
            var history = team.ExportRun(runId)!;
            team.ImportRun(history with { Run = history.Run with { RunId = "other" }, Points = [] }, history.Run.ExperimentId);
            source.SetRunStatus(runId, RunStatus.Failed, DateTimeOffset.UtcNow); // ended otherwise at the source
        }
        var (code, output, error) = Mlops("sync", "--from", laptop, "--to", "team.db");
        Assert.Equal(1, code);
        Assert.Contains($"run {runId}: it ended as FINISHED here", output);
        Assert.Contains("left as they are", error);
        Assert.DoesNotContain("   at ", error);
        using var reader = new SqliteTrackingStore(_dir.File("team.db"), readOnly: true);
        Assert.Equal(RunStatus.Finished, reader.GetRun(runId)!.Status);
    }

    [Theory]
    [InlineData("same")]
    [InlineData("scheme")]
    [InlineData("missing")]
    public void Bad_stores_are_refused_with_a_message_and_nothing_is_written(string problem)
    {
        var laptop = Laptop();
        var before = File.ReadAllBytes(laptop);
        var (from, to) = problem switch
        {
            "same" => (laptop, "sqlite:///" + laptop),
            "scheme" => (laptop, "mysql://host/db"),
            _ => (_dir.File("nowhere.db"), "team.db"),
        };
        var (code, _, error) = Mlops("sync", "--from", from, "--to", to);
        Assert.Equal(1, code);
        Assert.StartsWith("error: ", error);
        Assert.Contains(problem switch { "same" => "same tracking store", "scheme" => "not supported", _ => "There is no tracking store" }, error);
        Assert.DoesNotContain("   at ", error);
        Assert.False(File.Exists(_dir.File("team.db")));
        Assert.False(File.Exists(_dir.File("nowhere.db")));
        Assert.Equal(before, File.ReadAllBytes(laptop));
    }

    [Fact]
    public void Sync_without_a_destination_is_a_usage_error()
    {
        var (code, _, error) = Mlops("sync", "--from", Laptop());
        Assert.Equal(2, code);
        Assert.Contains("--to", error);
    }

    [Fact]
    public void A_relative_artifact_root_is_recorded_as_an_absolute_path_so_every_client_finds_the_same_folder()
    {
        var laptop = Laptop();
        var work = Path.Combine(_dir.Path, "work");
        Directory.CreateDirectory(work);
        var (code, _, error) = Programs.Run(Programs.Mlops, ["sync", "--from", laptop, "--to", "../team.db"], work,
            new Dictionary<string, string?> { ["MLOPS_ARTIFACT_URI"] = "shared-artifacts" });
        Assert.True(code == 0, error);
        using var team = new SqliteTrackingStore(_dir.File("team.db"), readOnly: true);
        Assert.Equal(Path.Combine(work, "shared-artifacts"), team.ArtifactRoot);
    }

    [Fact]
    public void A_sync_killed_part_way_leaves_only_runs_whose_objects_are_there_and_the_next_sync_finishes_it()
    {
        const int runs = 300;
        var laptop = _dir.File("big.db");
        var random = new Random(4);
        using (var store = new SqliteTrackingStore(laptop))
        {
            var artifacts = new CachedArtifactStore(_dir.File("big.cache"));
            var file = _dir.File("artifact.bin");
            for (var i = 0; i < runs; i++)
            {
                var run = store.CreateRun(new NewRun($"run{i:D4}", "0", null, null, DateTimeOffset.FromUnixTimeMilliseconds(i), []));
                store.LogBatch(run.RunId, Enumerable.Range(0, 2000).Select(s => new Metric("loss", random.NextDouble(), s, s)).ToList(), [], []);
                var bytes = new byte[65536];
                random.NextBytes(bytes);
                File.WriteAllBytes(file, bytes);
                store.LogArtifact(run.RunId, artifacts.Put(file, "blob.bin"));
                store.SetRunStatus(run.RunId, RunStatus.Finished, DateTimeOffset.FromUnixTimeMilliseconds(i + 1));
            }
        }
        var team = _dir.File("team.db");
        using (var process = Programs.Start(Programs.Mlops, ["sync", "--from", laptop, "--to", team], _dir.Path))
        {
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (CountRuns(team) == 0 && !process.HasExited && DateTime.UtcNow < deadline)
            {
                Thread.Sleep(10);
            }
            Assert.False(process.HasExited, "the sync ended before it could be killed: make the source bigger");
            process.Kill();
            process.WaitForExit();
        }
        var copied = CountRuns(team);
        Assert.InRange(copied, 1, runs - 1);
        var teamArtifacts = new CachedArtifactStore(Path.ChangeExtension(team, ".cache"));
        using (var reader = new SqliteTrackingStore(team, readOnly: true))
        {
            foreach (var id in reader.ListRunIds("0"))
            {
                var run = reader.GetRun(id)!;
                Assert.Equal(ContentHash.Parse(run.Artifacts.Single().Hash), Assert.Single(teamArtifacts.Has([ContentHash.Parse(run.Artifacts.Single().Hash)])));
                Assert.Equal(2000, reader.GetMetricHistory(id, "loss").Count);
            }
        }

        var (code, output, error) = Mlops("sync", "--from", laptop, "--to", team, "--json");
        Assert.True(code == 0, error);
        using var json = System.Text.Json.JsonDocument.Parse(output);
        Assert.Equal(runs - copied, json.RootElement.GetProperty("runs").GetProperty("created").GetInt32());
        Assert.Equal(runs, CountRuns(team));
        Assert.Contains("Nothing to move", Mlops("sync", "--from", laptop, "--to", team).Out);
    }

    private static int CountRuns(string path)
    {
        if (!File.Exists(path))
        {
            return 0;
        }
        try
        {
            using var store = new SqliteTrackingStore(path, readOnly: true);
            return store.ListRunIds("0").Count;
        }
        catch (MlopsException)
        {
            return 0; // still being created
        }
    }
}
