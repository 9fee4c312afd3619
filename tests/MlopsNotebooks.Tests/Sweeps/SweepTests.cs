using System.Globalization;
using Microsoft.ML;
using MlopsNotebooks.Registry;
using MlopsNotebooks.Sweeps;
using MlopsNotebooks.Tests.Support;
using MlopsNotebooks.Tracking;

namespace MlopsNotebooks.Tests.Sweeps;

/// <summary>Sweeps in one process on a real SQLite file: the search, its cap and budget, pruning, failures, resumption.</summary>
public sealed class SweepTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly MlopsSession _session;

    public SweepTests() => _session = new MlopsSession(trackingUri: _dir.File("mlops.db"));

    public void Dispose()
    {
        _session.Dispose();
        _dir.Dispose();
    }

    private TrackingClient Client => _session.Client;

    private static SearchSpace Line => new SearchSpace().Float("x", 0, 1);

    private static SweepOptions Options(string name, int? trials = 5) => new() { Name = name, Experiment = "search", Metric = "score", Trials = trials, Seed = 7 };

    private SweepResult Sweep(SearchSpace space, Func<Trial, double> evaluate, SweepOptions options, CancellationToken cancellation = default)
    {
        using (MlopsSession.Use(_session))
        {
            return Mlops.Sweep(space, evaluate, options, cancellation);
        }
    }

    private SweepResult Sweep(SearchSpace space, ISweepEvaluation evaluation, SweepOptions options)
    {
        using (MlopsSession.Use(_session))
        {
            return Mlops.Sweep(space, evaluation, options);
        }
    }

    private List<Run> Trials(SweepResult result) =>
        Client.SearchRuns(["search"], $"parent_run_id = '{result.RunId}'").OrderBy(r => r.StartTime).ThenBy(r => r.Name).ToList();

    [Fact]
    public void A_random_search_over_a_known_function_finds_a_value_near_its_optimum_within_forty_trials()
    {
        var space = new SearchSpace().Float("x", 0, 1).Choice("shape", "bowl", "tilted");
        var result = Sweep(space, t => -Math.Pow(t.Get<double>("x") - 0.3, 2) - (t.Get<string>("shape") == "tilted" ? 0.5 : 0), Options("known", 40));

        Assert.Equal(SweepStop.TrialsReached, result.Stop);
        Assert.Equal(40, result.Trials.Count);
        var best = result.Best!;
        Assert.Equal("bowl", best.Values["shape"]);
        Assert.InRange((double)best.Values["x"], 0.25, 0.35);
        Assert.Equal(result.Trials.Max(t => t.Value), best.Value);
        var run = Client.GetRun(best.RunId);
        Assert.Equal(((double)best.Values["x"]).ToString("R", CultureInfo.InvariantCulture), run.Params["x"]);
        Assert.Equal("bowl", run.Params["shape"]);
        Assert.Equal(best.Value, run.Metrics["score"].Value);
        Assert.Equal(("complete", $"{best.Number}"), (run.Tags["mlops.sweep.state"], run.Tags["mlops.sweep.trial"]));
        Assert.Equal($"trial-{best.Number}", run.Name);
    }

    [Fact]
    public void The_cap_holds_its_trials_are_numbered_once_and_the_parent_records_the_settings_and_finishes()
    {
        var result = Sweep(Line, t => t.Get<double>("x"), Options("capped", 5));

        var trials = Trials(result);
        Assert.Equal(Enumerable.Range(1, 5).Select(i => $"trial-{i}"), trials.Select(t => t.Name));
        Assert.All(trials, t => Assert.Equal(RunStatus.Finished, t.Status));
        var parent = Client.GetRun(result.RunId);
        Assert.Equal(("capped", RunStatus.Finished), (parent.Name, parent.Status));
        Assert.Equal(("score", "maximize", "random", "5"), (parent.Params["metric"], parent.Params["direction"], parent.Params["tuner"], parent.Params["trials"]));
        Assert.StartsWith("sha256:", parent.Params["space"]);
        Assert.Contains(parent.Artifacts, a => a.Path == "sweep/space.json");
        Assert.Equal((true, false), (parent.Tags.ContainsKey(RunContext.SourceType), parent.Tags.ContainsKey(RunContext.ProcessId)));

        var again = Sweep(Line, _ => throw new InvalidOperationException("no trial should run"), Options("capped", 5));
        Assert.Equal((SweepStop.TrialsReached, 5), (again.Stop, again.Trials.Count));
    }

    [Fact]
    public void A_worker_with_other_settings_than_the_sweep_it_names_is_refused_and_changes_nothing()
    {
        Sweep(Line, t => t.Get<double>("x"), Options("settled", 2));
        var parentBefore = Client.SearchRuns(["search"], "run_name = 'settled'").Single();

        var otherMetric = Assert.Throws<ConflictException>(() => Sweep(Line, _ => 1, Options("settled", 2) with { Metric = "auc" }));
        Assert.Contains("metric score (this worker: auc)", otherMetric.Message);
        Assert.Contains("same settings", otherMetric.Hint);
        var otherSpace = Assert.Throws<ConflictException>(() => Sweep(new SearchSpace().Float("x", 0, 2), _ => 1, Options("settled", 2)));
        Assert.Contains("space sha256:", otherSpace.Message);

        Assert.Equal(2, Client.SearchRuns(["search"], $"parent_run_id = '{parentBefore.RunId}'").Count);
        Assert.Equal(RunStatus.Finished, Client.GetRun(parentBefore.RunId).Status);
    }

    [Theory]
    [InlineData(0, null, "trial cap must be at least 1")]
    [InlineData(null, null, "neither a trial cap nor a time budget")]
    [InlineData(3, -1.0, "time budget must be positive")]
    public void Bad_options_are_refused_before_anything_is_written(int? trials, double? budgetSeconds, string expected)
    {
        var options = Options("bad", trials) with { Budget = budgetSeconds is { } b ? TimeSpan.FromSeconds(b) : null };
        var error = Assert.Throws<MlopsException>(() => Sweep(Line, _ => 1, options));
        Assert.Contains(expected, error.Message);
        Assert.NotNull(error.Hint);
        Assert.Throws<MlopsException>(() => Sweep(new SearchSpace(), _ => 1, Options("empty")));
        Assert.Throws<InvalidNameException>(() => Sweep(Line, _ => 1, Options("bad") with { Metric = "" }));
        Assert.Null(Client.Store.GetExperimentByName("search"));
    }

    [Fact]
    public void A_lagging_trial_is_pruned_whether_it_reports_or_logs_the_metric_by_step_and_its_run_shows_it()
    {
        var result = Sweep(Line, t =>
        {
            // Trial 1 leads at every step; trial 2 reports through the trial, trial 3 logs through Mlops, both lag.
            var level = t.Number == 1 ? 1.0 : 0.1;
            for (var step = 1; step <= 3; step++)
            {
                if (t.Number == 3)
                {
                    Mlops.LogMetric("score", level * step, step);
                }
                else
                {
                    t.Report(level * step, step);
                }
            }
            return level * 3;
        }, Options("pruned", 3) with { Pruner = new BehindTheLeader() });

        Assert.Equal([TrialState.Complete, TrialState.Pruned, TrialState.Pruned], result.Trials.Select(t => t.State));
        foreach (var pruned in result.Trials.Skip(1))
        {
            var run = Client.GetRun(pruned.RunId);
            Assert.Equal((RunStatus.Finished, "pruned", "1"), (run.Status, run.Tags["mlops.sweep.state"], run.Tags["mlops.sweep.pruned_step"]));
            Assert.Equal([1L], Client.GetMetricHistory(run.RunId, "score").Select(m => m.Step));
            Assert.Equal("pruned at step 1", pruned.Note);
            Assert.Equal(0.1, pruned.Value);
        }
        Assert.Equal(1, result.Best!.Number);
    }

    [Fact]
    public void An_evaluation_that_throws_or_returns_NaN_fails_only_its_own_trial()
    {
        var result = Sweep(Line, t => t.Number switch
        {
            2 => throw new InvalidOperationException("the data set is empty"),
            3 => double.NaN,
            _ => t.Get<double>("x"),
        }, Options("failing", 4));

        Assert.Equal([TrialState.Complete, TrialState.Failed, TrialState.Failed, TrialState.Complete], result.Trials.Select(t => t.State));
        var failed = Client.GetRun(result.Trials[1].RunId);
        Assert.Equal(RunStatus.Failed, failed.Status);
        Assert.Equal("InvalidOperationException: the data set is empty", failed.Tags["mlops.sweep.error"]);
        Assert.Contains("NaN", Client.GetRun(result.Trials[2].RunId).Tags["mlops.sweep.error"]);
        Assert.Contains(result.Best!.Number, new[] { 1, 4 });
    }

    [Fact]
    public void The_trial_is_the_active_run_while_the_evaluation_runs_so_its_logs_and_nested_runs_go_to_it()
    {
        string? nested = null;
        var result = Sweep(Line, t =>
        {
            Assert.Equal(t.RunId, Mlops.ActiveRun!.RunId);
            Mlops.LogMetric("loss", 0.5);
            Mlops.SetTag("note", "from the evaluation");
            using (var fold = Mlops.StartRun("fold-1", nested: true))
            {
                nested = fold.RunId;
            }
            return 1;
        }, Options("active", 1));

        var trial = Client.GetRun(result.Trials[0].RunId);
        Assert.Equal((RunStatus.Finished, 0.5, "from the evaluation"), (trial.Status, trial.Metrics["loss"].Value, trial.Tags["note"]));
        Assert.Equal(trial.RunId, Client.GetRun(nested!).ParentRunId);
        Assert.Null(_session.ActiveRun);
    }

    [Fact]
    public void A_time_budget_stops_new_trials_once_spent_and_a_trial_running_then_finishes()
    {
        var started = DateTimeOffset.UtcNow;
        var result = Sweep(Line, _ => { Thread.Sleep(400); return 1; }, Options("timed", trials: null) with { Budget = TimeSpan.FromSeconds(1.5) });

        Assert.Equal(SweepStop.BudgetSpent, result.Stop);
        var deadline = result.Status.Deadline!.Value;
        Assert.InRange(deadline, started.AddSeconds(1.5), DateTimeOffset.UtcNow);
        var trials = Trials(result);
        Assert.InRange(trials.Count, 2, 5);
        Assert.All(trials, t => Assert.True(t.StartTime <= deadline, $"{t.Name} started after the deadline"));
        Assert.All(trials, t => Assert.Equal(RunStatus.Finished, t.Status));
    }

    [Fact]
    public void A_sweep_stopped_part_way_resumes_keeping_its_trials_redoing_the_stopped_one_and_running_only_the_rest()
    {
        using var stop = new CancellationTokenSource();
        double? stoppedX = null;
        var first = Sweep(Line, t =>
        {
            if (t.Number == 3)
            {
                stoppedX = t.Get<double>("x");
                stop.Cancel();
                t.Report(0, 1); // a trial that reports notices the stop at once
            }
            return t.Get<double>("x");
        }, Options("resumable", 5), stop.Token);

        Assert.Equal(SweepStop.Cancelled, first.Stop);
        Assert.Equal([TrialState.Complete, TrialState.Complete, TrialState.Lost], first.Trials.Select(t => t.State));
        Assert.Equal(RunStatus.Killed, Client.GetRun(first.RunId).Status);

        var ran = new List<int>();
        var second = Sweep(Line, t => { ran.Add(t.Number); return t.Get<double>("x"); }, Options("resumable", 5));

        Assert.Equal(SweepStop.TrialsReached, second.Stop);
        Assert.Equal(first.RunId, second.RunId);
        Assert.Equal([4, 5, 6], ran);
        Assert.Equal(first.Trials.Take(2).Select(t => t.RunId), second.Trials.Take(2).Select(t => t.RunId));
        var redo = second.Trials[3];
        Assert.Equal(stoppedX, (double)redo.Values["x"]);
        Assert.Equal(first.Trials[2].RunId, Client.GetRun(redo.RunId).Tags["mlops.sweep.retry_of"]);
        Assert.Equal("lost; redone as trial 4", second.Trials[2].Note);
        Assert.Equal(5, second.Trials.Count(t => t.State != TrialState.Lost));
        Assert.Equal(RunStatus.Finished, Client.GetRun(second.RunId).Status);
        Assert.Equal(second.Trials.Select(t => (t.Number, t.State)), SweepResult.Load(Client, "search", "resumable").Trials.Select(t => (t.Number, t.State)));
    }

    [Fact]
    public void The_best_trial_s_logged_model_is_registered_and_without_one_the_evaluation_refits_it()
    {
        var logged = Sweep(Line, t =>
        {
            var (model, data) = TinyModel.Fit();
            Mlops.Models.Register(t.RunId, model, data.Schema, $"scratch-{t.Number}");
            return t.Get<double>("x");
        }, Options("with-model", 2));
        var version = logged.RegisterBest("churn", alias: "candidate");
        Assert.Equal((logged.Best!.RunId, 1), (version.RunId, version.Version));
        Assert.Equal(version.Version, new ModelRegistry(Client).Get("churn@candidate").Version);

        var refitted = Sweep(Line, new TinyModel(), Options("refit", 2));
        var refit = refitted.RegisterBest("churn");
        var refitRun = Client.GetRun(refit.RunId!);
        Assert.Equal((refitted.Best!.RunId, RunStatus.Finished), (refitRun.ParentRunId, refitRun.Status));
        Assert.Equal(Client.GetRun(refitted.Best.RunId).Params["x"], refitRun.Params["x"]);

        var noModel = Sweep(Line, t => t.Get<double>("x"), Options("no-model", 1));
        Assert.Contains("logged no model", Assert.Throws<MlopsException>(() => noModel.RegisterBest("churn")).Message);
        var noneComplete = Sweep(Line, _ => double.NaN, Options("none-complete", 1));
        Assert.Contains("has no complete trial", Assert.Throws<MlopsException>(() => noneComplete.RegisterBest("churn")).Message);
        Assert.Equal(2, new ModelRegistry(Client).Versions("churn").Count);
    }

    [Fact]
    public void Reading_back_a_sweep_that_does_not_exist_is_a_clear_error()
    {
        Client.GetOrCreateExperiment("search");
        var error = Assert.Throws<NotFoundException>(() => SweepResult.Load(Client, "search", "nothing"));
        Assert.Contains("no sweep named 'nothing'", error.Message);
        Assert.Throws<NotFoundException>(() => SweepResult.Load(Client, "no-experiment", "nothing"));
    }

    [Fact]
    public void A_session_given_a_host_s_run_continues_it_once_and_leaves_ending_it_to_the_host()
    {
        var host = Client.CreateRun("search", "hosted");
        using (var session = new MlopsSession(new Provenance(RunId: host.RunId), _dir.File("mlops.db")))
        using (MlopsSession.Use(session))
        {
            using (var run = Mlops.StartRun("ignored", tags: new Dictionary<string, string> { ["cell"] = "1" }))
            {
                Assert.Equal(host.RunId, run.RunId);
                Mlops.LogParam("trees", 100);
                Mlops.LogMetric("auc", 0.9);
            }
            using var next = Mlops.StartRun("next");
            Assert.NotEqual(host.RunId, next.RunId);
        }

        var continued = Client.GetRun(host.RunId);
        Assert.Equal((RunStatus.Running, "hosted", "100", 0.9, "1"),
            (continued.Status, continued.Name, continued.Params["trees"], continued.Metrics["auc"].Value, continued.Tags["cell"]));
        Assert.Equal(host.RunId, new Provenance(RunId: host.RunId).ToEnvironment()[RunContext.RunIdVariable]);

        Client.SetTerminated(host.RunId);
        using var late = new MlopsSession(new Provenance(RunId: host.RunId), _dir.File("mlops.db"));
        Assert.Throws<RunNotActiveException>(() => late.StartRun());
    }

    /// <summary>Prunes a trial whose value at its latest step is below another trial's at that step.</summary>
    private sealed class BehindTheLeader : IPruner
    {
        public bool ShouldPrune(TrialResult trial, IReadOnlyList<TrialResult> others, Direction direction)
        {
            var (step, value) = trial.Steps[^1];
            return others.SelectMany(o => o.Steps).Any(s => s.Step == step && s.Value > value);
        }
    }

    /// <summary>A model small enough to fit in every trial: a copy of one column.</summary>
    private sealed class TinyModel : ISweepEvaluation
    {
        public double Evaluate(Trial trial) => trial.Get<double>("x");

        public (ITransformer Model, IDataView Data)? Fit(IReadOnlyDictionary<string, object> values) => Fit();

        public static (ITransformer Model, IDataView Data) Fit()
        {
            var ml = new MLContext(seed: 0);
            var data = ml.Data.LoadFromEnumerable(new[] { new Row { Tenure = 1 }, new Row { Tenure = 5 } });
            return (ml.Transforms.CopyColumns("Months", nameof(Row.Tenure)).Fit(data), data);
        }

        private sealed class Row
        {
            public float Tenure { get; set; }
        }
    }
}
