using System.Text.Json.Nodes;
using MlopsNotebooks.Tests.Support;
using MlopsNotebooks.Tracking;

namespace MlopsNotebooks.Tests.Runner;

/// <summary><c>#!mlops sweep</c> in a notebook run headless: the runner writes the sweep's final table once.</summary>
public sealed class SweepMagicTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private (int Code, string Error, JsonArray Cells) Run(string source)
    {
        var notebook = _dir.File("sweep.dib");
        File.WriteAllText(notebook, source);
        var output = _dir.File("out.ipynb");
        var (code, _, error) = Programs.Run(Programs.Mlops, ["notebook", "run", notebook, "--output", output], _dir.Path,
            new Dictionary<string, string?> { ["MLOPS_TRACKING_URI"] = _dir.File("mlops.db") }, timeoutSeconds: 300);
        NbFormat.AssertValid(output);
        return (code, error, JsonNode.Parse(File.ReadAllText(output))!["cells"]!.AsArray());
    }

    private static IReadOnlyList<string> Html(JsonNode cell) =>
        cell["outputs"]!.AsArray().Select(o => NbFormat.Text(o!["data"]?["text/html"])).Where(h => h.Length > 0).ToList();

    [Fact]
    public void A_notebook_using_mlops_sweep_runs_headless_and_shows_the_sweeps_table_once()
    {
        File.WriteAllText(_dir.File("space.yaml"), "metric: score\ndirection: maximize\ntrials: 3\ntuner: random\nparameters:\n  x: { float: [0, 1] }\n");
        var (code, error, cells) = Run("""
            #!csharp

            using MlopsNotebooks.Sweeps;
            Func<Trial, double> evaluate = trial => 1 - Math.Abs(trial.Get<double>("x") - 0.3);

            #!csharp

            #!mlops sweep --space space.yaml --evaluate evaluate --trials 2 --name headless
            """);
        Assert.True(code == 0, error);
        // Updates are not written, so the live table never is: the cell holds the sweep's final view alone.
        var shown = Assert.Single(Html(cells[1]!));
        Assert.Contains("<div class=\"mlops-sweep\">", shown);
        Assert.Contains("2/2 trials done", shown);
        Assert.Contains("parcoords", shown);
        using var client = new TrackingClient(_dir.File("mlops.db"));
        Assert.Equal(2, client.SearchRuns(["Default"], "attributes.run_name LIKE 'trial-%'").Count);
    }

    [Theory]
    [InlineData("#!mlops sweep --space nowhere.yaml --evaluate evaluate --metric score --trials 2", "'nowhere.yaml' is neither a notebook variable nor a file.")]
    [InlineData("#!mlops sweep --space space --evaluate evaluate --trials 2", "a SearchSpace variable carries no metric")]
    [InlineData("#!mlops sweep --space space --evaluate evaluate --metric score --trials 0", "'0' is not a positive number")]
    [InlineData("#!mlops sweep --space space --evaluate evaluate --metric score --budget 10y", "'10y' is not a duration")]
    [InlineData("#!mlops sweep --space space --evaluate evaluate --metric score --trials 2 --tuner annealing", "no tuner named 'annealing'")]
    [InlineData("#!mlops sweep --space evaluate --evaluate evaluate --metric score --trials 2", "holds a Func`2, not a SearchSpace")]
    public void A_bad_sweep_line_fails_its_cell_with_a_message_and_starts_nothing(string line, string message)
    {
        var (code, error, _) = Run($$"""
            #!csharp

            using MlopsNotebooks.Sweeps;
            var space = new SearchSpace().Float("x", 0, 1);
            Func<Trial, double> evaluate = trial => trial.Get<double>("x");

            #!csharp

            {{line}}
            """);
        Assert.Equal(1, code);
        Assert.Contains(message, error);
        Assert.DoesNotContain("   at ", error);
        using var client = new TrackingClient(_dir.File("mlops.db"));
        Assert.Empty(client.SearchRuns(["Default"]));
    }
}
