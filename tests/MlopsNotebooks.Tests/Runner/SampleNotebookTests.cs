using System.Text.Json.Nodes;
using MlopsNotebooks.Notebooks;
using MlopsNotebooks.Registry;
using MlopsNotebooks.Tests.Support;
using MlopsNotebooks.Tracking;

namespace MlopsNotebooks.Tests.Runner;

/// <summary>The sample churn notebook, in both formats, run end to end by the runner in a scratch repository.</summary>
public sealed class SampleNotebookTests : IDisposable
{
    private readonly GitRepository _git = new();

    public void Dispose() => _git.Dispose();

    private static string Sample(string name) => Path.Combine(Programs.RepositoryRoot, "notebooks", name);

    [Fact]
    public void The_ipynb_and_dib_samples_hold_the_same_cells()
    {
        var ipynb = Notebook.Read(Sample("churn.ipynb"));
        var dib = Notebook.Read(Sample("churn.dib"));
        Assert.Equal(ipynb.Cells.Select(c => (c.Language, c.Source.TrimEnd())), dib.Cells.Select(c => (c.Language, c.Source.TrimEnd())));
        NbFormat.AssertValid(Sample("churn.ipynb"));
    }

    [Theory]
    [InlineData("churn.ipynb")]
    [InlineData("churn.dib")]
    public void The_churn_sample_runs_tracks_two_runs_versions_its_data_and_registers_a_candidate(string name)
    {
        var notebook = Path.Combine(_git.Root, "notebooks", name);
        Directory.CreateDirectory(Path.GetDirectoryName(notebook)!);
        File.Copy(Sample(name), notebook);
        _git.Commit("sample");
        var output = Path.Combine(_git.Root, "out" + Path.GetExtension(name));
        var (code, _, stderr) = Programs.Run(Programs.Mlops, ["notebook", "run", notebook, "-p", "rows=1500", "-p", "steps=3", "--output", output],
            workingDirectory: _git.Root, timeoutSeconds: 300);
        Assert.True(code == 0, stderr);
        if (name.EndsWith(".ipynb", StringComparison.Ordinal))
        {
            NbFormat.AssertValid(output);
        }

        Assert.True(File.Exists(Path.Combine(_git.Root, "notebooks", "data", "churn.csv.mlops")));
        using var client = new TrackingClient(Path.Combine(_git.Root, ".mlops", "mlops.db"));
        var runs = client.SearchRuns(["churn-demo"]);
        Assert.Equal(["sdca", "fasttree"], runs.Select(r => r.Name));
        foreach (var run in runs)
        {
            Assert.Equal(RunStatus.Finished, run.Status);
            Assert.Equal(3, client.GetMetricHistory(run.RunId, "auc").Count);
            Assert.Equal("notebooks/data/churn.csv", Assert.Single(run.Inputs).Path);
            Assert.Equal($"notebooks/{name}", run.Tags[RunContext.SourceName]);
            Assert.Equal("NOTEBOOK", run.Tags[RunContext.SourceType]);
            Assert.Equal(MlopsNotebooks.Versioning.ContentHash.OfFile(notebook).ToString(), run.Tags[RunContext.NotebookHash]);
            Assert.Equal("1500", (string)JsonNode.Parse(run.Tags[RunContext.NotebookParameters])!["rows"]!);
            Assert.Equal(_git.Git("rev-parse", "HEAD"), run.Tags[RunContext.GitCommit]);
        }
        var candidate = new ModelRegistry(client).Get("churn@candidate");
        Assert.Equal(runs.MaxBy(r => r.Metrics["auc"].Value)!.RunId, candidate.RunId);
        // Its reference is the data the run recorded; the held-out customers, a quarter of that data, do not drift from it
        // (a .dib keeps no outputs, so only the .ipynb shows the report).
        Assert.Equal(1500, new ModelRegistry(client).Reference(candidate)!.Profile.Rows);
        if (name.EndsWith(".ipynb", StringComparison.Ordinal))
        {
            Assert.Contains("healthy (no data drift: ", File.ReadAllText(output));
        }
    }

    [Fact]
    public void The_sweep_sample_searches_in_the_notebook_and_registers_the_best_trials_values_refitted()
    {
        var notebook = Path.Combine(_git.Root, "notebooks", "churn-sweep.ipynb");
        Directory.CreateDirectory(Path.GetDirectoryName(notebook)!);
        File.Copy(Sample("churn-sweep.ipynb"), notebook);
        NbFormat.AssertValid(notebook);
        var output = Path.Combine(_git.Root, "out.ipynb");
        var (code, stdout, stderr) = Programs.Run(Programs.Mlops,
            ["notebook", "run", notebook, "-p", "rows=1500", "-p", "trials=4", "-p", "folds=2", "--output", output],
            workingDirectory: _git.Root, timeoutSeconds: 600);
        Assert.True(code == 0, stderr + stdout);
        NbFormat.AssertValid(output);

        using var client = new TrackingClient(Path.Combine(_git.Root, ".mlops", "mlops.db"));
        var runs = client.SearchRuns(["churn-sweep"]);
        var sweep = Assert.Single(runs, r => r.Name == "churn-4-trials");
        Assert.Equal(RunStatus.Finished, sweep.Status);
        var trials = runs.Where(r => r.ParentRunId == sweep.RunId).ToList();
        Assert.Equal(["trial-1", "trial-2", "trial-3", "trial-4"], trials.Select(t => t.Name).Order());
        Assert.All(trials, t => Assert.Contains(t.Params["trainer"], new[] { "FastTree", "LightGbm", "SdcaLogisticRegression" }));
        var finished = trials.Where(t => t.Tags["mlops.sweep.state"] == "complete").ToList();
        Assert.NotEmpty(finished);
        var best = finished.MaxBy(t => t.Metrics["auc"].Value)!;
        Assert.InRange(best.Metrics["auc"].Value, 0.7, 1);

        // The candidate is the best trial's values, refitted on all the rows in a run nested under that trial.
        var candidate = new ModelRegistry(client).Get("churn-sweep@candidate");
        Assert.Equal(best.RunId, client.GetRun(candidate.RunId!).ParentRunId);
        var shown = File.ReadAllText(output);
        Assert.Contains("4/4 trials done; best auc ", shown);
        Assert.Contains($"registered churn-sweep/{candidate.Version} (candidate) from trial ", shown);
    }
}
