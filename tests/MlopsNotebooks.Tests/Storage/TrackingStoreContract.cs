using MlopsNotebooks.Registry;
using MlopsNotebooks.Search;
using MlopsNotebooks.Storage;
using MlopsNotebooks.Tracking;

namespace MlopsNotebooks.Tests.Storage;

/// <summary>
/// What every tracking store backend must do. Written once; each backend's test class derives from it and says how
/// to open a fresh store.
/// </summary>
public abstract class TrackingStoreContract : IDisposable
{
    private readonly List<ITrackingStore> _opened = [];
    private static readonly DateTimeOffset T0 = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000);

    /// <summary>A new, empty store.</summary>
    protected abstract ITrackingStore CreateStore();

    protected ITrackingStore Open()
    {
        var store = CreateStore();
        _opened.Add(store);
        return store;
    }

    public virtual void Dispose()
    {
        foreach (var store in _opened)
        {
            store.Dispose();
        }
        GC.SuppressFinalize(this);
    }

    private static Run NewRun(ITrackingStore store, string experimentId = "0", string? name = null, string? parent = null,
        DateTimeOffset? start = null, params RunTag[] tags) =>
        store.CreateRun(new NewRun(Guid.NewGuid().ToString("N"), experimentId, name, parent, start ?? T0, tags));

    private static Metric Point(string key, double value, long step, long offsetMs = 0) =>
        new(key, value, step, T0.ToUnixTimeMilliseconds() + offsetMs);

    [Fact]
    public void A_new_store_has_the_default_experiment()
    {
        var store = Open();
        var experiments = store.ListExperiments(ViewType.ActiveOnly);
        Assert.Equal(["Default"], experiments.Select(e => e.Name));
        Assert.Equal("0", experiments[0].ExperimentId);
    }

    [Fact]
    public void Experiments_get_increasing_ids_and_unique_names()
    {
        var store = Open();
        var a = store.CreateExperiment("churn", T0);
        var b = store.CreateExperiment("fraud", T0);
        Assert.Equal("1", a.ExperimentId);
        Assert.Equal("2", b.ExperimentId);
        Assert.Equal(a, store.GetExperimentByName("churn"));
        Assert.Equal(b, store.GetExperiment("2"));
        Assert.Null(store.GetExperiment("99"));
        Assert.Null(store.GetExperiment("not-a-number"));
        var duplicate = Assert.Throws<ExperimentExistsException>(() => store.CreateExperiment("churn", T0));
        Assert.Contains("already exists", duplicate.Message);
        Assert.Equal(3, store.ListExperiments(ViewType.All).Count);
    }

    [Fact]
    public void A_run_starts_running_with_its_tags_and_ends_with_a_status_and_end_time()
    {
        var store = Open();
        var run = NewRun(store, name: "baseline", tags: new RunTag("team", "churn"));
        Assert.Equal(RunStatus.Running, run.Status);
        Assert.Equal("baseline", run.Name);
        Assert.Equal(T0, run.StartTime);
        Assert.Null(run.EndTime);
        Assert.Equal("churn", run.Tags["team"]);

        var end = T0.AddSeconds(5);
        store.SetRunStatus(run.RunId, RunStatus.Failed, end);
        var ended = store.GetRun(run.RunId)!;
        Assert.Equal(RunStatus.Failed, ended.Status);
        Assert.Equal(end, ended.EndTime);
    }

    [Fact]
    public void A_nested_run_records_its_parent_and_a_missing_parent_is_refused()
    {
        var store = Open();
        var parent = NewRun(store);
        var child = NewRun(store, parent: parent.RunId);
        Assert.Equal(parent.RunId, store.GetRun(child.RunId)!.ParentRunId);
        Assert.Throws<RunNotFoundException>(() => NewRun(store, parent: "0123456789abcdef0123456789abcdef"));
    }

    [Fact]
    public void A_run_in_an_unknown_experiment_is_refused()
    {
        var store = Open();
        Assert.Throws<NotFoundException>(() => NewRun(store, experimentId: "42"));
    }

    [Fact]
    public void Metric_history_keeps_every_point_in_step_order_and_latest_follows_the_highest_step()
    {
        var store = Open();
        var run = NewRun(store);
        store.LogBatch(run.RunId, [Point("loss", 0.9, 0), Point("loss", 0.5, 2), Point("auc", 0.7, 0)], [], []);
        store.LogBatch(run.RunId, [Point("loss", 0.7, 1, offsetMs: 10)], [], []);

        var history = store.GetMetricHistory(run.RunId, "loss");
        Assert.Equal([0L, 1L, 2L], history.Select(m => m.Step));
        Assert.Equal([0.9, 0.7, 0.5], history.Select(m => m.Value));

        // Step 1 was logged last, but step 2 is the latest point of the series.
        var latest = store.GetRun(run.RunId)!.Metrics;
        Assert.Equal(0.5, latest["loss"].Value);
        Assert.Equal(2, latest["loss"].Step);
        Assert.Equal(0.7, latest["auc"].Value);
    }

    [Fact]
    public void NaN_and_infinities_round_trip()
    {
        var store = Open();
        var run = NewRun(store);
        store.LogBatch(run.RunId, [Point("a", double.NaN, 0), Point("b", double.PositiveInfinity, 0), Point("c", double.NegativeInfinity, 0)], [], []);
        var metrics = store.GetRun(run.RunId)!.Metrics;
        Assert.True(double.IsNaN(metrics["a"].Value));
        Assert.Equal(double.PositiveInfinity, metrics["b"].Value);
        Assert.Equal(double.NegativeInfinity, metrics["c"].Value);
        Assert.True(double.IsNaN(store.GetMetricHistory(run.RunId, "a").Single().Value));
    }

    [Fact]
    public void Many_points_in_one_batch_all_arrive()
    {
        var store = Open();
        var run = NewRun(store);
        var points = Enumerable.Range(0, 1234).Select(i => Point("x", i * 0.5, i)).ToList();
        store.LogBatch(run.RunId, points, [], []);
        Assert.Equal(points.Select(p => p.Value), store.GetMetricHistory(run.RunId, "x").Select(m => m.Value));
        Assert.Equal(1233, store.GetRun(run.RunId)!.Metrics["x"].Step);
    }

    [Fact]
    public void A_param_logged_again_with_the_same_value_is_accepted()
    {
        var store = Open();
        var run = NewRun(store);
        store.LogBatch(run.RunId, [], [new Param("trees", "100")], []);
        store.LogBatch(run.RunId, [], [new Param("trees", "100")], []);
        Assert.Equal("100", store.GetRun(run.RunId)!.Params["trees"]);
    }

    [Fact]
    public void A_param_logged_again_with_another_value_is_refused_and_the_whole_batch_is_left_out()
    {
        var store = Open();
        var run = NewRun(store);
        store.LogBatch(run.RunId, [], [new Param("trees", "100")], []);

        var error = Assert.Throws<ParamConflictException>(() =>
            store.LogBatch(run.RunId, [Point("auc", 0.8, 0)], [new Param("leaves", "20"), new Param("trees", "200")], [new RunTag("t", "v")]));
        Assert.Equal("trees", error.Key);
        Assert.Contains("'100'", error.Message);
        Assert.Contains("'200'", error.Message);

        var after = store.GetRun(run.RunId)!;
        Assert.Equal("100", after.Params["trees"]);
        Assert.False(after.Params.ContainsKey("leaves"));
        Assert.Empty(after.Metrics);
        Assert.False(after.Tags.ContainsKey("t"));
        Assert.Empty(store.GetMetricHistory(run.RunId, "auc"));
    }

    [Fact]
    public void Tags_can_be_overwritten()
    {
        var store = Open();
        var run = NewRun(store);
        store.LogBatch(run.RunId, [], [], [new RunTag("stage", "draft")]);
        store.LogBatch(run.RunId, [], [], [new RunTag("stage", "final")]);
        Assert.Equal("final", store.GetRun(run.RunId)!.Tags["stage"]);
    }

    [Theory]
    [InlineData(RunStatus.Finished)]
    [InlineData(RunStatus.Failed)]
    [InlineData(RunStatus.Killed)]
    public void Logging_to_an_ended_run_is_refused_and_writes_nothing(RunStatus status)
    {
        var store = Open();
        var run = NewRun(store);
        store.SetRunStatus(run.RunId, status, T0);
        var error = Assert.Throws<RunNotActiveException>(() =>
            store.LogBatch(run.RunId, [Point("auc", 1, 0)], [new Param("p", "1")], [new RunTag("t", "1")]));
        Assert.Contains(status.ToName().ToLowerInvariant(), error.Message);
        var after = store.GetRun(run.RunId)!;
        Assert.Empty(after.Metrics);
        Assert.Empty(after.Params);
        Assert.False(after.Tags.ContainsKey("t"));
    }

    [Fact]
    public void Logging_to_an_unknown_run_is_refused()
    {
        var store = Open();
        Assert.Throws<RunNotFoundException>(() => store.LogBatch("0123456789abcdef0123456789abcdef", [Point("a", 1, 0)], [], []));
        Assert.Null(store.GetRun("0123456789abcdef0123456789abcdef"));
        Assert.Throws<RunNotFoundException>(() => store.SetRunStatus("0123456789abcdef0123456789abcdef", RunStatus.Finished, T0));
    }

    [Fact]
    public void Deleted_runs_are_hidden_from_searches_until_restored()
    {
        var store = Open();
        var keep = NewRun(store);
        var gone = NewRun(store);
        store.SetRunStage(gone.RunId, LifecycleStage.Deleted);
        RunQuery Query(ViewType view) => new() { ExperimentIds = ["0"], ViewType = view };

        Assert.Equal([keep.RunId], store.SearchRuns(Query(ViewType.ActiveOnly)).Select(r => r.RunId));
        Assert.Equal([gone.RunId], store.SearchRuns(Query(ViewType.DeletedOnly)).Select(r => r.RunId));
        Assert.Equal(2, store.SearchRuns(Query(ViewType.All)).Count);
        Assert.Throws<RunNotActiveException>(() => store.LogBatch(gone.RunId, [Point("a", 1, 0)], [], []));

        store.SetRunStage(gone.RunId, LifecycleStage.Active);
        Assert.Equal(2, store.SearchRuns(Query(ViewType.ActiveOnly)).Count);
    }

    [Fact]
    public void Run_ids_are_found_by_prefix()
    {
        var store = Open();
        var run = NewRun(store);
        Assert.Equal([run.RunId], store.FindRunIds(run.RunId[..6], 2));
        Assert.Empty(store.FindRunIds("%", 2));
        Assert.Empty(store.FindRunIds("_", 2));
    }

    [Fact]
    public void Artifacts_are_recorded_with_hash_and_size()
    {
        var store = Open();
        var run = NewRun(store);
        store.LogArtifact(run.RunId, new ArtifactInfo("model/model.zip", "sha256:ab", 10));
        store.LogArtifact(run.RunId, new ArtifactInfo("a.txt", "sha256:cd", 3));
        store.LogArtifact(run.RunId, new ArtifactInfo("a.txt", "sha256:ef", 4));
        Assert.Equal(
            [new ArtifactInfo("a.txt", "sha256:ef", 4), new ArtifactInfo("model/model.zip", "sha256:ab", 10)],
            store.GetRun(run.RunId)!.Artifacts);
    }

    // Search: three runs with different trainers, metrics and tags.
    private (ITrackingStore Store, Run FastTree, Run Sdca, Run LightGbm) SearchFixture()
    {
        var store = Open();
        var fastTree = NewRun(store, name: "fasttree-100", start: T0.AddMinutes(1));
        store.LogBatch(fastTree.RunId, [Point("auc", 0.91, 0), Point("f1 score", 0.8, 0)], [new Param("trainer", "FastTree")], [new RunTag("team", "Churn")]);
        var sdca = NewRun(store, name: "sdca", start: T0.AddMinutes(2));
        store.LogBatch(sdca.RunId, [Point("auc", 0.84, 0)], [new Param("trainer", "Sdca")], [new RunTag("team", "churn")]);
        var lightGbm = NewRun(store, name: "lightgbm", start: T0.AddMinutes(3));
        store.LogBatch(lightGbm.RunId, [], [new Param("trainer", "LightGbm")], []);
        store.SetRunStatus(sdca.RunId, RunStatus.Finished, T0.AddMinutes(4));
        return (store, fastTree, sdca, lightGbm);
    }

    private static List<string> Names(ITrackingStore store, string? filter, string? orderBy = null, int max = 100) =>
        store.SearchRuns(new RunQuery { ExperimentIds = ["0"], Filter = RunFilter.Parse(filter), OrderBy = OrderBy.ParseList(orderBy), MaxResults = max })
            .Select(r => r.Name!).ToList();

    [Theory]
    [InlineData(null, "lightgbm,sdca,fasttree-100")]
    [InlineData("metrics.auc > 0.85", "fasttree-100")]
    [InlineData("metrics.auc >= 0.84", "sdca,fasttree-100")]
    [InlineData("metrics.auc != 0.84", "fasttree-100")]
    [InlineData("metrics.`f1 score` < 1", "fasttree-100")]
    [InlineData("params.trainer = 'Sdca'", "sdca")]
    [InlineData("params.trainer != 'Sdca'", "lightgbm,fasttree-100")]
    [InlineData("params.trainer LIKE 'Fast%'", "fasttree-100")]
    [InlineData("params.trainer LIKE 'fast%'", "")]
    [InlineData("params.trainer ILIKE 'fast%'", "fasttree-100")]
    [InlineData("params.trainer IN ('Sdca', 'LightGbm')", "lightgbm,sdca")]
    [InlineData("params.trainer NOT IN ('Sdca')", "lightgbm,fasttree-100")]
    [InlineData("tags.team = 'churn'", "sdca")]
    [InlineData("tags.team ILIKE 'churn'", "sdca,fasttree-100")]
    [InlineData("attributes.status = 'FINISHED'", "sdca")]
    [InlineData("status = 'running'", "lightgbm,fasttree-100")]
    [InlineData("attributes.run_name LIKE '%t%'", "lightgbm,fasttree-100")]
    [InlineData("metrics.auc > 0.8 and params.trainer = 'FastTree' and tags.team = 'Churn'", "fasttree-100")]
    [InlineData("params.missing = 'x'", "")]
    public void Search_filters_runs_like_mlflow(string? filter, string expected)
    {
        var (store, _, _, _) = SearchFixture();
        Assert.Equal(expected, string.Join(",", Names(store, filter)));
    }

    [Fact]
    public void Search_orders_by_metric_with_runs_missing_it_last_and_caps_the_count()
    {
        var (store, _, _, _) = SearchFixture();
        Assert.Equal(["fasttree-100", "sdca", "lightgbm"], Names(store, null, "metrics.auc DESC"));
        Assert.Equal(["sdca", "fasttree-100", "lightgbm"], Names(store, null, "metrics.auc ASC"));
        Assert.Equal(["fasttree-100", "lightgbm", "sdca"], Names(store, null, "params.trainer"));
        Assert.Equal(["fasttree-100", "sdca"], Names(store, null, "attributes.start_time", max: 2));
    }

    [Fact]
    public void Search_finds_runs_across_the_named_experiments_only()
    {
        var store = Open();
        var other = store.CreateExperiment("other", T0);
        NewRun(store, name: "in-default");
        NewRun(store, experimentId: other.ExperimentId, name: "in-other");
        var inOther = store.SearchRuns(new RunQuery { ExperimentIds = [other.ExperimentId] });
        Assert.Equal(["in-other"], inOther.Select(r => r.Name));
        Assert.Equal(2, store.SearchRuns(new RunQuery { ExperimentIds = ["0", other.ExperimentId] }).Count);
        Assert.Empty(store.SearchRuns(new RunQuery { ExperimentIds = [] }));
    }

    [Fact]
    public void A_second_store_on_the_same_location_sees_what_the_first_wrote()
    {
        var first = Open();
        var run = NewRun(first);
        first.LogBatch(run.RunId, [Point("auc", 0.9, 3)], [new Param("p", "1")], []);
        var second = Reopen(first);
        var seen = second.GetRun(run.RunId)!;
        Assert.Equal(0.9, seen.Metrics["auc"].Value);
        Assert.Equal("1", seen.Params["p"]);
    }

    /// <summary>A second store on the same location as <paramref name="store"/>.</summary>
    private static RunHistory Logged(ITrackingStore store)
    {
        var parent = NewRun(store, name: "sweep");
        var run = NewRun(store, name: "trial", parent: parent.RunId, tags: new RunTag("team", "churn"));
        store.LogBatch(run.RunId, [Point("auc", 0.5, 1), Point("auc", 0.5, 1), Point("auc", double.NaN, 2, 5), Point("loss", 1.5, 1)],
            [new Param("trees", "100")], []);
        store.LogArtifact(run.RunId, new ArtifactInfo("model/model.zip", "sha256:" + new string('a', 64), 8));
        store.LogInputs(run.RunId, [new DataInput("data/train.csv", "sha256:" + new string('b', 64), 10, 1)]);
        return store.ExportRun(run.RunId)!;
    }

    [Fact]
    public void An_exported_run_carries_every_metric_point_and_imports_into_another_store_whole_with_its_id()
    {
        var source = Open();
        var history = Logged(source);
        Assert.Equal(4, history.Points.Count);
        Assert.Null(source.ExportRun("no-such-run"));

        var target = Open();
        var experiment = target.CreateExperiment("copied", T0).ExperimentId;
        Assert.Equal(ImportOutcome.Created, target.ImportRun(source.ExportRun(history.Run.ParentRunId!)!, experiment).Outcome);
        Assert.Equal(ImportOutcome.Created, target.ImportRun(history, experiment).Outcome);
        var copy = target.ExportRun(history.Run.RunId)!;
        Assert.Equal(history.Run with { ExperimentId = experiment }, copy.Run with { Params = history.Run.Params, Tags = history.Run.Tags,
            Metrics = history.Run.Metrics, Artifacts = history.Run.Artifacts, Inputs = history.Run.Inputs });
        Assert.Equal(history.Run.Params, copy.Run.Params);
        Assert.Equal(history.Run.Tags, copy.Run.Tags);
        Assert.Equal(history.Run.Artifacts, copy.Run.Artifacts);
        Assert.Equal(history.Run.Inputs, copy.Run.Inputs);
        Assert.Equal(history.Points.Select(p => p.ToString()), copy.Points.Select(p => p.ToString()));
        Assert.Equal(double.NaN, copy.Run.Metrics["auc"].Value);
        Assert.Equal(new[] { history.Run.ParentRunId!, history.Run.RunId }.Order(), target.ListRunIds(experiment).Order());
        Assert.Equal(ImportOutcome.Unchanged, target.ImportRun(history, experiment).Outcome);
    }

    [Fact]
    public void Importing_a_run_that_went_on_brings_it_up_to_date_and_a_run_with_other_content_is_left_as_it_is()
    {
        var source = Open();
        var history = Logged(source);
        var target = Open();
        target.ImportRun(source.ExportRun(history.Run.ParentRunId!)!, "0");
        target.ImportRun(history, "0");

        source.LogBatch(history.Run.RunId, [Point("auc", 0.9, 3)], [], [new RunTag("stage", "done")]);
        source.SetRunStatus(history.Run.RunId, RunStatus.Finished, T0.AddMinutes(1));
        source.SetRunStage(history.Run.RunId, LifecycleStage.Deleted);
        var later = source.ExportRun(history.Run.RunId)!;
        Assert.Equal(ImportOutcome.Updated, target.ImportRun(later, "0").Outcome);
        var copy = target.ExportRun(history.Run.RunId)!;
        Assert.Equal((RunStatus.Finished, LifecycleStage.Deleted, 5, "done"), (copy.Run.Status, copy.Run.Stage, copy.Points.Count, copy.Run.Tags["stage"]));
        Assert.Equal(later.DeletedTime, copy.DeletedTime);
        Assert.Equal(0.9, target.GetRun(history.Run.RunId)!.Metrics["auc"].Value);

        var other = later with { Run = later.Run with { Params = new Dictionary<string, string> { ["trees"] = "200" } } };
        var refused = target.ImportRun(other, "0");
        Assert.Equal(ImportOutcome.Conflict, refused.Outcome);
        Assert.Contains("trees", refused.Conflict);
        Assert.Equal("100", target.GetRun(history.Run.RunId)!.Params["trees"]);
        Assert.Equal(ImportOutcome.Conflict, target.ImportRun(history with { Points = history.Points.Take(1).ToList() }, "0").Outcome);
        Assert.Equal(5, target.ExportRun(history.Run.RunId)!.Points.Count);
    }

    // Coordination of a sweep's workers: compare-and-set of a status, children admitted in one transaction.

    [Fact]
    public void Setting_a_status_only_from_the_expected_one_lets_one_of_two_racers_win()
    {
        var first = Open();
        var run = NewRun(first);
        var stores = new[] { first, Reopen(first) };
        using var gate = new Barrier(2);
        var won = stores.AsParallel().WithDegreeOfParallelism(2).Select(store =>
        {
            gate.SignalAndWait(TimeSpan.FromSeconds(30));
            return store.TrySetRunStatus(run.RunId, RunStatus.Running, RunStatus.Killed, T0.AddSeconds(1));
        }).ToList();

        Assert.Single(won, w => w);
        var killed = first.GetRun(run.RunId)!;
        Assert.Equal((RunStatus.Killed, T0.AddSeconds(1)), (killed.Status, killed.EndTime));
        Assert.False(first.TrySetRunStatus(run.RunId, RunStatus.Running, RunStatus.Finished, T0.AddSeconds(2)));
        Assert.Equal(RunStatus.Killed, first.GetRun(run.RunId)!.Status);
        Assert.True(first.TrySetRunStatus(run.RunId, RunStatus.Killed, RunStatus.Running, null));
        Assert.Null(first.GetRun(run.RunId)!.EndTime);
        Assert.Throws<RunNotFoundException>(() => first.TrySetRunStatus("no-such-run", RunStatus.Running, RunStatus.Killed, T0));
    }

    [Fact]
    public void A_child_is_admitted_from_the_statuses_of_its_siblings_and_null_creates_none()
    {
        var store = Open();
        var parent = NewRun(store, name: "sweep");
        var template = new NewRun("", "0", null, parent.RunId, T0, []);
        NewRun Child(string name) => new(Guid.NewGuid().ToString("N"), "0", name, parent.RunId, T0, [new RunTag("kind", "trial")]);
        var seen = new List<IReadOnlyList<RunStatus>>();

        var one = store.CreateChildRun(template, statuses => { seen.Add(statuses); return Child($"trial-{statuses.Count + 1}"); })!;
        store.SetRunStatus(one.RunId, RunStatus.Killed, T0);
        var two = store.CreateChildRun(template, statuses => { seen.Add(statuses); return Child($"trial-{statuses.Count + 1}"); })!;
        var none = store.CreateChildRun(template, statuses => { seen.Add(statuses); return null; });

        Assert.Equal(("trial-1", "trial-2", parent.RunId), (one.Name, two.Name, two.ParentRunId));
        Assert.Equal("trial", two.Tags["kind"]);
        Assert.Null(none);
        Assert.Equal([[], [RunStatus.Killed], [RunStatus.Killed, RunStatus.Running]], seen.Select(s => s.ToList()));
        Assert.Equal(3, store.ListRunIds("0").Count);
        Assert.Throws<RunNotFoundException>(() => store.CreateChildRun(template with { ParentRunId = "no-such-run" }, _ => Child("x")));
    }

    [Fact]
    public void Eight_callers_at_once_under_a_cap_of_five_make_exactly_five_children_numbered_once()
    {
        var first = Open();
        var parent = NewRun(first, name: "sweep");
        var stores = Enumerable.Range(0, 8).Select(i => i == 0 ? first : Reopen(first)).ToList();
        using var gate = new Barrier(stores.Count);
        var threads = stores.Select(store => new Thread(() =>
        {
            gate.SignalAndWait(TimeSpan.FromSeconds(30));
            store.CreateChildRun(new NewRun("", "0", null, parent.RunId, T0, []), statuses =>
                statuses.Count(s => s != RunStatus.Killed) >= 5 ? null
                    : new NewRun(Guid.NewGuid().ToString("N"), "0", $"trial-{statuses.Count + 1}", parent.RunId, T0, []));
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => Assert.True(t.Join(TimeSpan.FromSeconds(60))));

        var children = first.SearchRuns(new RunQuery { ExperimentIds = ["0"] }).Where(r => r.ParentRunId == parent.RunId).ToList();
        Assert.Equal(Enumerable.Range(1, 5).Select(i => $"trial-{i}"), children.Select(c => c.Name!).Order(StringComparer.Ordinal));
    }

    protected abstract ITrackingStore Reopen(ITrackingStore store);

    /// <summary>The model registry store that lives beside <paramref name="store"/> (its versions point at its runs).</summary>
    protected abstract IModelRegistryStore ModelRegistryBeside(ITrackingStore store);

    // Purging deleted runs (mlops runs gc). Cutoffs around "now" stand for "deleted long enough ago" and "just deleted".
    private static DateTimeOffset Later => DateTimeOffset.UtcNow.AddMinutes(1);

    private static DateTimeOffset Earlier => DateTimeOffset.UtcNow.AddMinutes(-1);

    private static IEnumerable<string> Ids(IEnumerable<PurgedRun> runs) => runs.Select(r => r.RunId);

    private static void RegisterVersion(IModelRegistryStore models, string runId) => models.CreateModelVersion(new NewModelVersion(
        "churn", runId, "sha256:" + new string('a', 64), "sha256:" + new string('b', 64), "sha256:" + new string('c', 64), T0));

    [Fact]
    public void Purging_removes_runs_deleted_before_the_cutoff_with_everything_logged_to_them()
    {
        var store = Open();
        var kept = NewRun(store, name: "kept");
        var gone = NewRun(store, name: "gone");
        foreach (var run in new[] { kept, gone })
        {
            store.LogBatch(run.RunId, [Point("loss", 0.5, 0), Point("loss", 0.25, 1)], [new Param("lr", "0.1")], [new RunTag("team", "churn")]);
            store.LogArtifact(run.RunId, new ArtifactInfo("model.zip", $"sha256:{run.Name}", 10));
            store.LogInputs(run.RunId, [new DataInput("data/train.csv", $"sha256:{run.Name}-data", 5, 1)]);
        }
        store.SetRunStage(gone.RunId, LifecycleStage.Deleted);

        Assert.Empty(store.PurgeDeletedRuns(Earlier, null, dryRun: false).Purged); // deleted just now: too young
        var purge = store.PurgeDeletedRuns(Later, null, dryRun: false);

        Assert.Equal([gone.RunId], Ids(purge.Purged));
        Assert.Equal(("0", "gone"), (purge.Purged[0].ExperimentId, purge.Purged[0].Name));
        Assert.Empty(purge.Kept);
        Assert.False(purge.DryRun);
        Assert.Null(store.GetRun(gone.RunId));
        Assert.Empty(store.FindRunIds(gone.RunId, 10));
        Assert.Empty(store.GetMetricHistory(gone.RunId, "loss"));
        Assert.Equal(["sha256:kept"], store.ReferencedHashes());
        var survivor = store.GetRun(kept.RunId)!;
        Assert.Equal((2, 0.25, "0.1", "churn"), (store.GetMetricHistory(kept.RunId, "loss").Count, survivor.Metrics["loss"].Value, survivor.Params["lr"], survivor.Tags["team"]));
        Assert.Single(survivor.Inputs);
        Assert.Empty(store.PurgeDeletedRuns(Later, null, dryRun: false).Purged);
    }

    [Fact]
    public void A_dry_run_purge_reports_the_same_runs_and_removes_nothing()
    {
        var store = Open();
        var run = NewRun(store);
        store.LogBatch(run.RunId, [Point("auc", 0.9, 0)], [], []);
        store.SetRunStage(run.RunId, LifecycleStage.Deleted);

        var dry = store.PurgeDeletedRuns(Later, null, dryRun: true);

        Assert.True(dry.DryRun);
        Assert.Equal([run.RunId], Ids(dry.Purged));
        Assert.Equal(0.9, store.GetRun(run.RunId)!.Metrics["auc"].Value);
        Assert.Equal(Ids(dry.Purged), Ids(store.PurgeDeletedRuns(Later, null, dryRun: false).Purged));
    }

    [Fact]
    public void A_restored_run_is_not_purged_and_deleting_it_again_starts_its_time_afresh()
    {
        var store = Open();
        var run = NewRun(store);
        store.SetRunStage(run.RunId, LifecycleStage.Deleted);
        store.SetRunStage(run.RunId, LifecycleStage.Active);
        Assert.Empty(store.PurgeDeletedRuns(Later, null, dryRun: false).Purged);

        var before = DateTimeOffset.UtcNow.AddMilliseconds(-1);
        store.SetRunStage(run.RunId, LifecycleStage.Deleted);
        Assert.Empty(store.PurgeDeletedRuns(before, null, dryRun: true).Purged);
        Assert.Equal([run.RunId], Ids(store.PurgeDeletedRuns(Later, null, dryRun: false).Purged));
    }

    [Fact]
    public void A_deleted_run_that_a_model_version_points_at_is_kept_and_says_so()
    {
        var store = Open();
        using var models = ModelRegistryBeside(store);
        var registered = NewRun(store);
        var plain = NewRun(store);
        RegisterVersion(models, registered.RunId);
        store.SetRunStage(registered.RunId, LifecycleStage.Deleted);
        store.SetRunStage(plain.RunId, LifecycleStage.Deleted);

        var purge = store.PurgeDeletedRuns(Later, null, dryRun: false);

        Assert.Equal([plain.RunId], Ids(purge.Purged));
        var kept = Assert.Single(purge.Kept);
        Assert.Equal(registered.RunId, kept.RunId);
        Assert.Equal("model version churn/1 points at it", kept.Reason);
        Assert.NotNull(store.GetRun(registered.RunId));
        Assert.Equal(registered.RunId, models.GetModelVersion("churn", 1)!.RunId);
    }

    [Fact]
    public void A_deleted_parent_stays_while_a_child_stays_and_goes_with_its_deleted_children()
    {
        var store = Open();
        var parent = NewRun(store, name: "parent");
        var activeChild = NewRun(store, parent: parent.RunId);
        var grandparent = NewRun(store, name: "grandparent");
        var middle = NewRun(store, parent: grandparent.RunId);
        var leaf = NewRun(store, parent: middle.RunId);
        var lone = NewRun(store, parent: NewRun(store).RunId); // a deleted child of an active parent
        foreach (var run in new[] { parent, grandparent, middle, leaf, lone })
        {
            store.SetRunStage(run.RunId, LifecycleStage.Deleted);
        }

        var purge = store.PurgeDeletedRuns(Later, null, dryRun: false);

        Assert.Equal(new[] { grandparent, middle, leaf, lone }.Select(r => r.RunId).Order(StringComparer.Ordinal), Ids(purge.Purged));
        var kept = Assert.Single(purge.Kept);
        Assert.Equal((parent.RunId, $"its child run {activeChild.RunId} is not purged"), (kept.RunId, kept.Reason));
        Assert.Equal(parent.RunId, store.GetRun(activeChild.RunId)!.ParentRunId);
    }

    [Fact]
    public void A_kept_child_keeps_every_deleted_ancestor()
    {
        var store = Open();
        using var models = ModelRegistryBeside(store);
        var top = NewRun(store);
        var middle = NewRun(store, parent: top.RunId);
        var registered = NewRun(store, parent: middle.RunId);
        RegisterVersion(models, registered.RunId);
        foreach (var run in new[] { registered, top, middle })
        {
            store.SetRunStage(run.RunId, LifecycleStage.Deleted);
        }

        var purge = store.PurgeDeletedRuns(Later, null, dryRun: false);

        Assert.Empty(purge.Purged);
        Assert.Equal(new[] { top, middle, registered }.Select(r => r.RunId).Order(StringComparer.Ordinal), purge.Kept.Select(k => k.RunId));
        Assert.Equal($"its child run {middle.RunId} is kept", purge.Kept.Single(k => k.RunId == top.RunId).Reason);
    }

    [Fact]
    public void Purging_one_experiment_leaves_the_deleted_runs_of_the_others()
    {
        var store = Open();
        var churn = store.CreateExperiment("churn", T0);
        var inChurn = NewRun(store, churn.ExperimentId);
        var inDefault = NewRun(store);
        store.SetRunStage(inChurn.RunId, LifecycleStage.Deleted);
        store.SetRunStage(inDefault.RunId, LifecycleStage.Deleted);

        Assert.Equal([inChurn.RunId], Ids(store.PurgeDeletedRuns(Later, [churn.ExperimentId], dryRun: false).Purged));
        Assert.NotNull(store.GetRun(inDefault.RunId));
    }
}
