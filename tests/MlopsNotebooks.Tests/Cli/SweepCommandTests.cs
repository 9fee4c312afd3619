using System.Text.Json.Nodes;
using Microsoft.ML;
using MlopsNotebooks.Registry;
using MlopsNotebooks.Tests.Support;
using MlopsNotebooks.Tracking;

namespace MlopsNotebooks.Tests.Cli;

/// <summary>`mlops sweep` end to end: a small notebook as the trial, a small space, a real SQLite store and real processes.</summary>
public sealed class SweepCommandTests : IDisposable
{
    private readonly GitRepository _git = new();

    public void Dispose() => _git.Dispose();

    private string Store => Path.Combine(_git.Root, "sweeps.db");

    // A quick trial: the score peaks at x = 0.3, kind b adds a little; logged by step on the notebook's one run, with a
    // model file so that the best can be registered.
    private const string TrialNotebook = """
        #!csharp

        // parameters
        double x = 0.5;
        string kind = "a";
        int steps = 2;

        #!csharp

        using (var run = Mlops.StartRun("trial"))
        {
            for (var step = 1; step <= steps; step++)
            {
                Mlops.LogMetric("score", 1 - (x - 0.3) * (x - 0.3) + (kind == "b" ? 0.01 : 0) - 0.001 * (steps - step), step);
            }
            Mlops.LogMetric("other", x);
        }
        """;

    private const string Space = """
        metric: score
        direction: maximize
        trials: 2
        tuner: random
        pruner: none
        seed: 3
        parameters:
          x: { float: [0, 1] }
          kind: { choice: [a, b] }
        """;

    private string Write(string name, string text)
    {
        var path = Path.Combine(_git.Root, name);
        File.WriteAllText(path, text);
        return path;
    }

    // A process of its own: the runner changes the current directory while a trial's notebook runs.
    private (int Code, string Out, string Err) Mlops(params string[] args) =>
        Programs.Run(Programs.Mlops, [.. args, "--tracking-uri", Store], workingDirectory: _git.Root, timeoutSeconds: 300);

    private (int Code, string Out, string Err) Sweep(string notebook, string space, params string[] args) =>
        Mlops(["sweep", "--space", Write("space.yaml", space), "--notebook", Write(notebook, TrialNotebook), .. args]);

    private static void AssertClean(int code, string error)
    {
        Assert.DoesNotContain("internal error", error);
        Assert.DoesNotContain("   at ", error);
        Assert.NotEqual(70, code);
    }

    [Fact]
    public void A_sweep_runs_each_trial_as_the_notebook_continuing_its_run_and_prints_the_trials_and_the_best()
    {
        var (code, output, error) = Sweep("train.dib", Space, "--name", "quick");
        Assert.True(code == 0, error + output);

        using var client = new TrackingClient(Store);
        var runs = client.SearchRuns(["Default"], orderBy: "attributes.start_time ASC");
        var parent = Assert.Single(runs, r => r.Name == "quick");
        var trials = runs.Where(r => r.ParentRunId == parent.RunId).OrderBy(r => r.Name).ToList();
        // Each trial is the notebook's one run: no other run was started, and it holds the notebook's metrics by step.
        Assert.Equal(3, runs.Count);
        Assert.Equal(["trial-1", "trial-2"], trials.Select(t => t.Name));
        foreach (var trial in trials)
        {
            Assert.Equal(RunStatus.Finished, trial.Status);
            Assert.Equal("complete", trial.Tags["mlops.sweep.state"]);
            Assert.Equal([1L, 2L], client.GetMetricHistory(trial.RunId, "score").Select(p => p.Step).Distinct());
            Assert.True(trial.Metrics.ContainsKey("other"));
            Assert.Contains(trial.Params["kind"], new[] { "a", "b" });
            var x = double.Parse(trial.Params["x"], System.Globalization.CultureInfo.InvariantCulture);
            var kindBonus = trial.Params["kind"] == "b" ? 0.01 : 0;
            Assert.Equal(1 - (x - 0.3) * (x - 0.3) + kindBonus, trial.Metrics["score"].Value, 9);
            Assert.EndsWith("train.dib", trial.Tags[RunContext.SourceName]);
        }

        var lines = output.Split('\n');
        Assert.StartsWith("trial 1 complete: score ", lines[0]);
        Assert.StartsWith("trial 2 complete: score ", lines[1]);
        Assert.Contains(lines, l => l.StartsWith("TRIAL  STATE", StringComparison.Ordinal) && l.Contains("SCORE"));
        var best = trials.MaxBy(t => t.Metrics["score"].Value)!;
        Assert.Contains($"Best: trial {best.Name!["trial-".Length..]}, score ", output);
        Assert.Contains(best.RunId, output);
    }

    [Fact]
    public void Its_json_is_the_sweep_with_every_trial_and_the_best()
    {
        var (code, output, error) = Sweep("train.dib", Space, "--json");
        Assert.True(code == 0, error);
        var json = JsonNode.Parse(output)!;
        Assert.Equal("train", (string)json["name"]!);
        Assert.Equal("score", (string)json["metric"]!);
        var trials = json["trials"]!.AsArray();
        Assert.Equal([1, 2], trials.Select(t => (int)t!["number"]!));
        Assert.All(trials, t => Assert.Equal("complete", (string)t!["state"]!));
        Assert.Equal(trials.Max(t => (double)t!["value"]!), (double)json["best"]!["value"]!);
        // Progress went to stderr, so stdout is JSON alone.
        Assert.Contains("trial 2 complete", error);
    }

    [Fact]
    public void Flags_override_the_sweep_files_settings()
    {
        var (code, output, error) = Sweep("train.dib", Space.Replace("trials: 2", "trials: 5"), "--trials", "1", "--metric", "other", "--name", "flagged", "--json");
        Assert.True(code == 0, error);
        var json = JsonNode.Parse(output)!;
        Assert.Equal("flagged", (string)json["name"]!);
        Assert.Equal("other", (string)json["metric"]!);
        var trial = Assert.Single(json["trials"]!.AsArray())!;
        Assert.Equal((double)trial["values"]!["x"]!, (double)trial["value"]!, 9); // "other" is x itself
    }

    [Fact]
    public void A_parameters_cell_that_does_not_declare_a_hyperparameter_is_refused_by_name_before_any_run()
    {
        var (code, _, error) = Sweep("train.dib", Space + "\n  depth: { int: [1, 4] }\n  rate: { float: [0.1, 0.2] }\n");
        Assert.Equal(1, code);
        AssertClean(code, error);
        Assert.Contains("does not declare depth, rate", error);
        Assert.Contains("int depth = 1;", error);
        Assert.False(File.Exists(Store));
    }

    [Fact]
    public void A_parameter_declared_with_a_type_that_cannot_hold_the_spaces_values_is_refused()
    {
        var (code, _, error) = Sweep("train.dib", Space.Replace("kind: { choice: [a, b] }", "kind: { int: [1, 3] }").Replace("x: { float: [0, 1] }", "steps: { float: [1, 2] }"));
        Assert.Equal(1, code);
        Assert.Contains("steps as int", error);
        Assert.Contains("kind as string", error);
        Assert.False(File.Exists(Store));
    }

    [Theory]
    [InlineData("metric: score\ndirection: maximize\nparameters:\n  x: { float: [1, 0] }\n", "--trials=1", 1, "space.yaml")]
    [InlineData("metric: score\ndirection: maximize\ntrials: 2\nparameters:\n  x: { float: [0, 1] }\n  y: { what: 1 }\n", "--trials=1", 1, "space.yaml:6: 'parameters.y.what' is not a key")]
    [InlineData("metric: score\ndirection: maximize\ntrials: 2\ntuner: annealing\nparameters:\n  x: { float: [0, 1] }\n", "--trials=1", 1, "tuner")]
    [InlineData(Space, "--tuner=annealing", 2, "annealing")]
    [InlineData(Space, "--pruner=hyperband", 2, "hyperband")]
    [InlineData(Space, "--trials=0", 2, "--trials must be a positive number")]
    [InlineData(Space, "--budget=5x", 2, "is not a duration")]
    [InlineData(Space, "--budget=0", 2, "--budget must be longer than 0")]
    [InlineData(Space, "--name=bad\u0007name", 1, "name")]
    public void Bad_sweep_files_and_flags_are_a_message_and_an_exit_code_and_write_nothing(string space, string flag, int expected, string message)
    {
        var (code, _, error) = Sweep("train.dib", space, flag);
        Assert.Equal(expected, code);
        AssertClean(code, error);
        Assert.Contains(message, error);
        Assert.False(File.Exists(Store));
        Assert.False(Directory.Exists(Path.Combine(_git.Root, ".mlops")));
    }

    [Fact]
    public void Without_a_space_or_a_notebook_it_is_bad_usage()
    {
        var (code, _, error) = Mlops("sweep", "--space", Write("space.yaml", Space));
        Assert.Equal(2, code);
        Assert.Contains("Give the search space and the notebook", error);
        var (missing, _, notFound) = Mlops("sweep", "--space", Write("space.yaml", Space), "--notebook", "nowhere.ipynb");
        Assert.Equal(1, missing);
        Assert.Contains("There is no notebook at nowhere.ipynb", notFound);
        Assert.False(File.Exists(Store));
    }

    [Fact]
    public void A_failing_notebook_fails_its_trial_with_the_cell_and_line_and_no_complete_trial_exits_1()
    {
        var notebook = Write("broken.dib", TrialNotebook.Replace("Mlops.LogMetric(\"other\", x);", "Mlops.LogMetric(\"other\", x);\n    throw new InvalidOperationException(\"the data is gone\");"));
        var (code, output, error) = Mlops("sweep", "--space", Write("space.yaml", Space), "--notebook", notebook);
        Assert.Equal(1, code);
        AssertClean(code, error);
        Assert.Contains("trial 1 failed", output);
        Assert.Matches(@"broken\.dib, cell 2, line \d+: System\.InvalidOperationException: the data is gone", output);
        Assert.Contains("No trial of sweep broken completed.", error);
        using var client = new TrackingClient(Store);
        Assert.All(client.SearchRuns(["Default"], "attributes.run_name LIKE 'trial-%'"), t => Assert.Equal(RunStatus.Failed, t.Status));
    }

    [Fact]
    public void A_notebook_that_logs_no_metric_fails_its_trial_saying_so()
    {
        var (code, output, error) = Sweep("train.dib", Space, "--metric", "accuracy");
        Assert.Equal(1, code);
        Assert.Contains("train.dib logged no 'accuracy' on the trial's run", output);
        Assert.Matches("It logged (other, score|score, other)", output);
        AssertClean(code, error);
    }

    [Fact]
    public void Two_sweep_processes_on_one_store_are_one_sweeps_workers()
    {
        var space = Write("space.yaml", Space.Replace("trials: 2", "trials: 4"));
        var notebook = Write("train.dib", TrialNotebook);
        string[] args = ["sweep", "--space", space, "--notebook", notebook, "--name", "shared", "--tracking-uri", Store];
        // Both start at once, as matrix jobs do; MLOPS_DEBUG=1 gives a failure's stack.
        var workers = Enumerable.Range(0, 2).Select(_ => Task.Run(() => Programs.Run(Programs.Mlops, args, workingDirectory: _git.Root, timeoutSeconds: 300, environment: new Dictionary<string, string?> { ["MLOPS_DEBUG"] = "1" }))).ToList();
        Task.WaitAll([.. workers]);
        foreach (var (code, _, error) in workers.Select(w => w.Result))
        {
            Assert.True(code == 0, error);
        }
        using var client = new TrackingClient(Store);
        var runs = client.SearchRuns(["Default"]);
        var parent = Assert.Single(runs, r => r.Name == "shared");
        var trials = runs.Where(r => r.ParentRunId == parent.RunId).ToList();
        // The cap holds across both: four trials in all, each number once, and both workers ran some.
        Assert.Equal(["trial-1", "trial-2", "trial-3", "trial-4"], trials.Select(t => t.Name).Order());
        Assert.All(trials, t => Assert.Equal("complete", t.Tags["mlops.sweep.state"]));
        Assert.Equal(2, trials.Select(t => t.Tags[RunContext.ProcessId]).Distinct().Count());
    }

    [Fact]
    public void Redirected_progress_is_one_plain_line_per_trial()
    {
        var (code, output, error) = Programs.Run(Programs.Mlops,
            ["sweep", "--space", Write("space.yaml", Space), "--notebook", Write("train.dib", TrialNotebook), "--tracking-uri", Store], workingDirectory: _git.Root, timeoutSeconds: 300);
        Assert.True(code == 0, error);
        Assert.DoesNotContain('\r', output);
        Assert.DoesNotContain('\u001b', output);
        var lines = output.Split('\n');
        Assert.True(lines.Length > 2, output);
        Assert.Matches(@"^trial 1 complete: score [0-9.]+ \[kind=[ab], x=[0-9.E-]+\] in [0-9.]+s; 1/2 done, best score [0-9.]+ \(trial 1\)$", lines[0]);
        Assert.StartsWith("trial 2 complete: ", lines[1]);
    }

    [Fact]
    public void Show_prints_a_sweeps_trials_and_best_registers_the_model_the_best_trial_logged()
    {
        // An ML.NET model made here; each trial's notebook logs it as its model.
        var ml = new MLContext(0);
        var data = ml.Data.LoadFromEnumerable(new[] { new Row { X = 1f } });
        var modelFile = Path.Combine(_git.Root, "model.zip");
        ml.Model.Save(ml.Transforms.CopyColumns("Y", "X").Fit(data), data.Schema, modelFile);
        var notebook = Write("train.dib", TrialNotebook.Replace("""    Mlops.LogMetric("other", x);""", $"""
                Mlops.LogMetric("other", x);
                Mlops.LogArtifact(@"{modelFile}", "model/model.zip");
            """));
        var (code, _, error) = Mlops("sweep", "--space", Write("space.yaml", Space), "--notebook", notebook, "--name", "kept", "-e", "sweeps");
        Assert.True(code == 0, error);

        var (shown, table, showError) = Mlops("sweep", "show", "kept");
        Assert.True(shown == 0, showError);
        Assert.StartsWith("Sweep kept (", table);
        Assert.Contains("2/2 trials done", table);
        var (registered, text, registerError) = Mlops("sweep", "best", "kept", "--register", "scorer", "--alias", "candidate");
        Assert.True(registered == 0, registerError);
        Assert.Contains("scorer/1", text);
        using var client = new TrackingClient(Store);
        var best = client.SearchRuns(["sweeps"], "attributes.run_name LIKE 'trial-%'", "metrics.score DESC").First();
        Assert.Equal(best.RunId, new ModelRegistry(client).Get("scorer@candidate").RunId);

        var (missing, _, missingError) = Mlops("sweep", "show", "absent");
        Assert.Equal(1, missing);
        Assert.Contains("There is no sweep named 'absent'", missingError);
    }

    [Fact]
    public void The_sweep_action_runs_two_jobs_as_one_sweeps_workers_and_a_third_registers_the_best_without_running_a_trial()
    {
        var ml = new MLContext(0);
        var data = ml.Data.LoadFromEnumerable(new[] { new Row { X = 1f } });
        var modelFile = Path.Combine(_git.Root, "model.zip");
        ml.Model.Save(ml.Transforms.CopyColumns("Y", "X").Fit(data), data.Schema, modelFile);
        Write("train.dib", TrialNotebook.Replace("""    Mlops.LogMetric("other", x);""", $"""
                Mlops.LogMetric("other", x);
                Mlops.LogArtifact(@"{modelFile}", "model/model.zip");
            """));
        // A trial value is someone else's input: it reaches the job summary escaped.
        Write("space.yaml", Space.Replace("kind: { choice: [a, b] }", "kind: { choice: [a, '<b>|x'] }"));
        var store = new Dictionary<string, string?> { ["MLOPS_TRACKING_URI"] = Store };
        ActionStep.Result Step(Dictionary<string, string?> inputs) => ActionStep.Run("sweep", _git.Root, _git.Root, inputs, store);
        var workerInputs = new Dictionary<string, string?>
        {
            ["space"] = "space.yaml", ["notebook"] = "train.dib", ["sweep-name"] = "churn-1234", ["trials"] = "4",
        };
        var workers = Enumerable.Range(0, 2).Select(_ => Task.Run(() => Step(workerInputs))).ToList();
        Task.WaitAll([.. workers]);
        foreach (var worker in workers.Select(w => w.Result))
        {
            Assert.True(worker.Code == 0, worker.Stderr + worker.Stdout);
            Assert.Equal("4", worker.Outputs["trials"]);
        }

        var register = Step(new() { ["space"] = "space.yaml", ["sweep-name"] = "churn-1234", ["register"] = "scorer", ["alias"] = "candidate" });
        Assert.True(register.Code == 0, register.Stderr + register.Stdout);
        using var client = new TrackingClient(Store);
        var trials = client.SearchRuns(["Default"], "attributes.run_name LIKE 'trial-%'", "metrics.score DESC");
        Assert.Equal(4, trials.Count); // the register step ran none
        Assert.Equal(trials[0].RunId, register.Outputs["best-run-id"]);
        Assert.Equal("1", register.Outputs["version"]);
        Assert.Equal(trials[0].RunId, new ModelRegistry(client).Get("scorer@candidate").RunId);
        Assert.Contains("| 1 | complete", register.Summary);
        Assert.Contains(@"\<b\>\|x", register.Summary);
        Assert.DoesNotContain("<b>", register.Summary);

        var stray = Step(new() { ["space"] = "space.yaml", ["sweep-name"] = "churn-1234", ["alias"] = "candidate" });
        Assert.Equal(1, stray.Code);
        Assert.Contains("'register' is not set", stray.Stdout + stray.Stderr);
        var trialsInput = Step(new() { ["space"] = "space.yaml", ["notebook"] = "train.dib", ["trials"] = "many" });
        Assert.Equal(1, trialsInput.Code);
        Assert.Contains("Input 'trials' is not a whole number: many.", trialsInput.Stdout + trialsInput.Stderr);
        Assert.Equal(4, client.SearchRuns(["Default"], "attributes.run_name LIKE 'trial-%'").Count);
    }

    [Fact]
    public void On_a_terminal_the_progress_is_one_bar_redrawn_in_place()
    {
        var writer = new StringWriter();
        var progress = new MlopsNotebooks.Cli.Sweep.SweepProgress(writer, terminal: true, TimeProvider.System);
        var values = new Dictionary<string, object> { ["x"] = 0.5 };
        MlopsNotebooks.Sweeps.SweepStatus Status(params MlopsNotebooks.Sweeps.SweepTrial[] trials) =>
            new("run", "bar", "auc", MlopsNotebooks.Sweeps.Direction.Maximize, trials, Cap: 4, Deadline: null);
        progress.Report(Status(new MlopsNotebooks.Sweeps.SweepTrial(1, "r1", values, MlopsNotebooks.Sweeps.TrialState.Running, null, null)));
        progress.Report(Status(new MlopsNotebooks.Sweeps.SweepTrial(1, "r1", values, MlopsNotebooks.Sweeps.TrialState.Complete, 0.75, TimeSpan.FromSeconds(1)),
            new MlopsNotebooks.Sweeps.SweepTrial(2, "r2", values, MlopsNotebooks.Sweeps.TrialState.Complete, 0.5, TimeSpan.FromSeconds(1))));
        progress.Finish();
        var text = writer.ToString();
        Assert.Equal(2, text.Count(c => c == '\r'));
        Assert.Single(text, c => c == '\n');
        Assert.StartsWith("\r[........................] 0/4 done, no trial complete yet\u001b[K\r[############............] 2/4 done, best auc 0.75 (trial 1), ", text);
        Assert.EndsWith(" left\u001b[K\n", text);
    }

    [Fact]
    public void The_churn_sample_sweeps_with_its_space_and_registers_its_best_model()
    {
        var notebook = Path.Combine(_git.Root, "notebooks", "churn-train.ipynb");
        Directory.CreateDirectory(Path.GetDirectoryName(notebook)!);
        File.Copy(Path.Combine(Programs.RepositoryRoot, "notebooks", "churn-train.ipynb"), notebook);
        File.Copy(Path.Combine(Programs.RepositoryRoot, "notebooks", "churn-sweep.yaml"), Path.Combine(_git.Root, "notebooks", "churn-sweep.yaml"));
        NbFormat.AssertValid(notebook);
        var (code, output, error) = Mlops("sweep", "--space", "notebooks/churn-sweep.yaml", "--notebook", "notebooks/churn-train.ipynb", "--trials", "2", "--seed", "1");
        Assert.True(code == 0, error + output);
        Assert.Contains("2/2 trials done", output);
        var (registered, _, registerError) = Mlops("sweep", "best", "churn", "--register", "churn-sweep", "--alias", "candidate");
        Assert.True(registered == 0, registerError);
        using var client = new TrackingClient(Store);
        var version = new ModelRegistry(client).Get("churn-sweep@candidate");
        var trial = client.GetRun(version.RunId!);
        Assert.StartsWith("trial-", trial.Name);
        Assert.Equal(4, client.GetMetricHistory(trial.RunId, "auc").Select(p => p.Step).Distinct().Count());
        Assert.InRange(trial.Metrics["auc"].Value, 0.6, 1);
    }

    private sealed class Row
    {
        public float X { get; set; }
    }
}
