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
}
