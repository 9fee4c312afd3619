using System.Text.Json.Nodes;
using MlopsNotebooks.Tests.Packaging;
using MlopsNotebooks.Tests.Support;
using MlopsNotebooks.Tracking;

namespace MlopsNotebooks.Tests.Extension;

/// <summary>
/// The kit in the released .NET Interactive kernel, through Jupyter: the package loads as a user's notebook loads it, and
/// the sample and magic notebooks run there as in the runner.
/// </summary>
[Collection(ToolPackageTests.Packing)]
public sealed class JupyterKernelTests(RealKernel kernel) : IClassFixture<RealKernel>, IDisposable
{
    private readonly GitRepository _git = new();

    public void Dispose() => _git.Dispose();

    private static string TestNotebook(string name) => Path.Combine(Programs.RepositoryRoot, "tests", "notebooks", name);

    private static IEnumerable<JsonNode> Errors(JsonArray cells) =>
        cells.SelectMany(c => c!["outputs"]?.AsArray() ?? []).Where(o => (string?)o!["output_type"] == "error")!;

    private static string Text(JsonNode output) => output["text"] is JsonArray lines ? string.Concat(lines.Select(l => (string)l!))
        : output["data"]?["text/plain"] is JsonArray plain ? string.Concat(plain.Select(l => (string)l!)) : "";

    [Fact]
    public void The_magics_notebook_runs_in_the_kernel_and_its_runs_name_the_notebook()
    {
        var notebook = kernel.LoadingTheKit(TestNotebook("magics.ipynb"), _git.Root);
        _git.Commit("magics");
        var db = Path.Combine(_git.Root, "mlops.db");
        var cells = kernel.Execute(notebook, new Dictionary<string, string?> { ["MLOPS_TRACKING_URI"] = db, ["JPY_SESSION_NAME"] = notebook });

        Assert.Empty(Errors(cells).Select(e => e.ToJsonString()));
        var loaded = cells[0]!["outputs"]!.AsArray();
        Assert.Contains(loaded, o => Text(o!).Contains("MlopsNotebooks loaded", StringComparison.Ordinal));
        Assert.DoesNotContain(loaded, o => Text(o!).Contains("CS1701", StringComparison.Ordinal)); // no warnings from loading the package
        using var client = new TrackingClient(db);
        var runs = client.SearchRuns(["magic-demo"], orderBy: "attributes.start_time ASC");
        Assert.Equal(["first run", "tracked-cell"], runs.Select(r => r.Name));
        Assert.Equal(new Dictionary<string, string> { ["trainer"] = "FastTree", ["trees"] = "100" }, runs[0].Params);
        Assert.Equal((0.91, 3L), (runs[0].Metrics["auc"].Value, runs[0].Metrics["auc"].Step));
        Assert.All(runs, r => Assert.Equal("magics.ipynb", r.Tags[RunContext.SourceName]));
        Assert.All(runs, r => Assert.Equal("NOTEBOOK", r.Tags[RunContext.SourceType]));
        Assert.Equal(0.5, runs[1].Metrics["loss"].Value);
        Assert.Equal(64, runs[1].Tags["mlops.cell.5.sha256"].Length); // the load cell is cell 1 here
    }
}
