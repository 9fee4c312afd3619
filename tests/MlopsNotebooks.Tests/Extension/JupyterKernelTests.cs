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
public sealed partial class JupyterKernelTests(RealKernel kernel) : IClassFixture<RealKernel>, IDisposable
{
    private readonly GitRepository _git = new();

    public void Dispose() => _git.Dispose();

    private static string TestNotebook(string name) => Path.Combine(Programs.RepositoryRoot, "tests", "notebooks", name);

    private static IEnumerable<JsonNode> Errors(JsonArray cells) =>
        cells.SelectMany(c => c!["outputs"]?.AsArray() ?? []).Where(o => (string?)o!["output_type"] == "error")!;

    private static string Text(JsonNode output) => NbFormat.Text(output["text"] ?? output["data"]?["text/plain"]);

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
        var runs = MagicsNotebook.AssertTracked(client);
        Assert.All(runs, r => Assert.Equal("magics.ipynb", r.Tags[RunContext.SourceName]));
        Assert.All(runs, r => Assert.Equal("NOTEBOOK", r.Tags[RunContext.SourceType]));
        Assert.Equal(64, runs[1].Tags["mlops.cell.5.sha256"].Length); // the load cell is cell 1 here
    }

    [Fact]
    public void The_churn_sample_trains_the_same_models_in_the_kernel_as_in_the_runner()
    {
        Directory.CreateDirectory(Path.Combine(_git.Root, "notebooks"));
        var notebook = kernel.LoadingTheKit(Path.Combine(Programs.RepositoryRoot, "notebooks", "churn.ipynb"), Path.Combine(_git.Root, "notebooks"));
        // Smaller, as the runner's own test runs it; the same file goes to both hosts (the kernel takes no parameters).
        File.WriteAllText(notebook, File.ReadAllText(notebook).Replace("int rows = 6000;", "int rows = 1500;").Replace("int steps = 8;", "int steps = 3;"));
        _git.Commit("churn");
        var runnerDb = Path.Combine(_git.Root, "runner.db");
        var (code, _, stderr) = Programs.Run(Programs.Mlops, ["notebook", "run", notebook, "--output", Path.Combine(_git.Root, "runner.ipynb")],
            workingDirectory: _git.Root, environment: new Dictionary<string, string?> { ["MLOPS_TRACKING_URI"] = runnerDb }, timeoutSeconds: 600);
        Assert.True(code == 0, stderr);
        var kernelDb = Path.Combine(_git.Root, "kernel.db");
        var cells = kernel.Execute(notebook, new Dictionary<string, string?> { ["MLOPS_TRACKING_URI"] = kernelDb, ["JPY_SESSION_NAME"] = notebook });
        Assert.Empty(Errors(cells).Select(e => e.ToJsonString()));

        using var inRunner = new TrackingClient(runnerDb);
        using var inKernel = new TrackingClient(kernelDb);
        var (a, b) = (inRunner.SearchRuns(["churn-demo"]), inKernel.SearchRuns(["churn-demo"]));
        Assert.Equal(["sdca", "fasttree"], a.Select(r => r.Name));
        Assert.Equal(a.Select(r => r.Name), b.Select(r => r.Name));
        foreach (var (x, y) in a.Zip(b))
        {
            Assert.Equal(x.Metrics["auc"].Value, y.Metrics["auc"].Value, 1e-9); // a fixed seed: the same model in both hosts
            Assert.Equal(x.Params, y.Params);
            Assert.Equal("notebooks/churn.ipynb", y.Tags[RunContext.SourceName]);
            Assert.Equal(x.Inputs.Single().Hash, y.Inputs.Single().Hash); // the same data version
        }
        Assert.Equal(new MlopsNotebooks.Registry.ModelRegistry(inRunner).Get("churn@candidate").Version, new MlopsNotebooks.Registry.ModelRegistry(inKernel).Get("churn@candidate").Version);
    }

    [Fact]
    public void Charts_drawn_in_the_kernel_load_plotly_js_and_draw_in_a_browser()
    {
        var notebook = kernel.LoadingTheKit(TestNotebook("charts.ipynb"), _git.Root);
        _git.Commit("charts");
        var cells = kernel.Execute(notebook, new Dictionary<string, string?>
        {
            ["MLOPS_TRACKING_URI"] = Path.Combine(_git.Root, "mlops.db"),
            ["MLOPS_PLOTLY_JS"] = HeadlessChromium.PlotlyJsFile, // embedded: the page needs no network
        });
        Assert.Empty(Errors(cells).Select(e => e.ToJsonString()));
        var executed = Path.Combine(_git.Root, "charts.kernel.ipynb");
        HeadlessChromium.AssertChartsDrew(Browser.ChartDrawingTests.Export(executed), 3);
        HeadlessChromium.AssertChartsDrew(Browser.ChartDrawingTests.OutputsPage(executed), 3);
    }

    public static TheoryData<string> Compared => ["fidelity.ipynb", "magic-errors.ipynb", "basics.ipynb"];

    /// <summary>
    /// One notebook, two hosts: the runner (<c>mlops notebook run --continue-on-error</c>) and the kernel
    /// (<c>--allow-errors</c>) write the same outputs, cell by cell: output types, mime types, their order, text and
    /// error names and messages. What may differ is listed in README.md ("The runner and the kernel"), each with its
    /// reason; Signature says where each is taken out.
    /// </summary>
    [Theory]
    [MemberData(nameof(Compared))]
    public void One_notebook_in_the_runner_and_in_the_kernel_gives_the_same_outputs_cell_by_cell(string name)
    {
        var notebook = kernel.LoadingTheKit(TestNotebook(name), _git.Root);
        _git.Commit(name);
        var runnerOutput = Path.Combine(_git.Root, "runner.ipynb");
        var (_, _, stderr) = Programs.Run(Programs.Mlops, ["notebook", "run", notebook, "--output", runnerOutput, "--continue-on-error"],
            workingDirectory: _git.Root, environment: new Dictionary<string, string?> { ["MLOPS_TRACKING_URI"] = Path.Combine(_git.Root, "runner.db") }, timeoutSeconds: 600);
        Assert.DoesNotContain("internal error", stderr);
        var runner = JsonNode.Parse(File.ReadAllText(runnerOutput))!["cells"]!.AsArray();
        var inKernel = kernel.Execute(notebook, new Dictionary<string, string?> { ["MLOPS_TRACKING_URI"] = Path.Combine(_git.Root, "kernel.db") });

        Assert.Equal(inKernel.Count, runner.Count);
        var differences = new List<string>();
        for (var i = 1; i < runner.Count; i++) // cell 0 loads the kit: the kernel reports its restore there (README)
        {
            var (r, k) = (Signature(runner[i]!), Signature(inKernel[i]!));
            if (!r.SequenceEqual(k))
            {
                differences.Add($"cell {i + 1}: {RunnerSource(runner[i]!)}\n  runner: {string.Join(" | ", r)}\n  kernel: {string.Join(" | ", k)}");
            }
        }
        Assert.True(differences.Count == 0, string.Join("\n", differences));
    }

    private static string RunnerSource(JsonNode cell) => NbFormat.Text(cell["source"]).Split('\n')[0];

    /// <summary>What is compared of a cell's outputs, in order.</summary>
    private static List<string> Signature(JsonNode cell)
    {
        var signature = new List<string>();
        foreach (var output in cell["outputs"]?.AsArray() ?? [])
        {
            var type = (string)output!["output_type"]!;
            switch (type)
            {
                case "stream":
                    // The kernel warns that its own assembly versions differ (CS1701) when a cell uses its HTML types (README).
                    var text = string.Concat(Text(output).Split('\n').Where(l => !l.Contains("warning CS1701", StringComparison.Ordinal)).Select(l => l + "\n"));
                    if (text.Trim().Length > 0)
                    {
                        signature.Add($"{output["name"]}: {text.Trim()}");
                    }
                    break;
                case "error":
                    // The message as the user reads it: an exception's first line; what follows is each host's own stack.
                    signature.Add($"error {output["ename"]}: {((string)output["evalue"]!).Split('\n')[0]}");
                    break;
                default:
                    var data = output["data"]!.AsObject();
                    if (data["text/html"] is { } html && NbFormat.Text(html).Contains("dotnet-interactive-this-cell", StringComparison.Ordinal))
                    {
                        continue; // the kernel's own probe script in jupyter mode, not an output of the notebook (README)
                    }
                    // HTML is compared by kind: its ids, times and the kernel's style sheet differ from run to run.
                    // Run ids are new in each host.
                    var plain = data["text/plain"] is { } plainText ? $" \"{RunId().Replace(NbFormat.Text(plainText), "<run id>")}\"" : "";
                    signature.Add($"{type} [{string.Join(", ", data.Select(d => d.Key).Order())}]{plain}");
                    break;
            }
        }
        return signature;
    }


    [System.Text.RegularExpressions.GeneratedRegex("\\b[0-9a-f]{32}\\b")]
    private static partial System.Text.RegularExpressions.Regex RunId();
}
