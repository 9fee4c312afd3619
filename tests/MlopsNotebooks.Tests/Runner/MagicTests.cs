using System.Text.Json.Nodes;
using MlopsNotebooks.Magics;
using MlopsNotebooks.Tests.Support;
using MlopsNotebooks.Tracking;

namespace MlopsNotebooks.Tests.Runner;

public sealed class MagicTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private sealed class NoHost : IMagicHost
    {
        public object? GetVariable(string name) => throw new MlopsException($"There is no variable '{name}'.");

        public IReadOnlyList<(string Name, object? Value)> Variables() => [];

        public void AfterCell(Action<bool> action)
        {
        }
    }

    private static MagicInvocation Parse(string text) => MagicParser.Parse(text, MlopsMagics.All, new NoHost());

    [Fact]
    public void A_magic_line_binds_positionals_options_flags_and_repeats()
    {
        var m = Parse("start-run --name \"my run\" --nested --params=trees=100,trainer=Fast' 'Tree");
        Assert.Equal("start-run", m.Command.Name);
        Assert.Equal("my run", m.Get("name"));
        Assert.True(m.Has("nested"));
        Assert.Equal("trees=100,trainer=Fast Tree", m.Get("params"));
        var metric = Parse("log-metric auc=0.9 --step 3");
        Assert.Equal(("auc=0.9", "3"), (metric.Get("metric"), metric.Get("step")));
        Assert.Equal("a1,b2,c3", Parse("compare a1,b2,c3").Get("runs"));
        Assert.Equal("trees=1", Parse("log-param --param trees=1").Get("param")); // the positional, named
    }

    [Theory]
    [InlineData("", "needs a subcommand")]
    [InlineData("frobnicate", "no subcommand 'frobnicate'")]
    [InlineData("start-run --colour red", "unknown option --colour (it takes --name, --nested, --params)")]
    [InlineData("start-run --name", "--name needs a value")]
    [InlineData("start-run --name a --name b", "--name is given twice")]
    [InlineData("experiment", "<name> is required")]
    [InlineData("experiment a b", "unexpected 'b'")]
    [InlineData("experiment \"unclosed", "is never closed")]
    public void Bad_magic_lines_say_what_is_wrong_and_show_the_usage(string text, string message)
    {
        var error = Assert.Throws<MlopsException>(() => Parse(text));
        Assert.Contains(message, error.Message);
        Assert.NotNull(error.Hint);
    }

    [Fact]
    public void Every_subcommand_has_a_description_and_help_lists_them_all()
    {
        var help = (string)MlopsMagics.All.Single(c => c.Name == "help").Handler(Parse("help"))!;
        foreach (var command in MlopsMagics.All)
        {
            Assert.False(string.IsNullOrWhiteSpace(command.Description));
            Assert.Contains(command.Usage(), help);
        }
        // One directive, so nothing clashes with the kernel's own magics; and within the kernel's grammar: its directive
        // parser takes one implicit (positional) parameter per directive.
        Assert.Equal("mlops", MagicParser.Directive);
        Assert.All(MlopsMagics.All, c => Assert.True(c.Parameters.Count(p => p.Positional) <= 1, $"{c.Name} has more than one positional"));
        // ... and it binds a parameter given once, so no option repeats; lists are one comma-separated value.
        Assert.Contains("is given twice", Assert.Throws<MlopsException>(() => Parse("compare a,b --runs c,d")).Message);
    }

    private (int Code, string Err, JsonArray Cells, string Db) RunNotebook(string name, params string[] args)
    {
        var output = _dir.File("out.ipynb");
        var db = _dir.File("mlops.db");
        var (code, _, stderr) = Programs.Run(Programs.Mlops, ["notebook", "run", Path.Combine(Programs.RepositoryRoot, "tests", "notebooks", name), "--output", output, .. args],
            workingDirectory: _dir.Path, environment: new Dictionary<string, string?> { ["MLOPS_TRACKING_URI"] = db });
        NbFormat.AssertValid(output);
        return (code, stderr, JsonNode.Parse(File.ReadAllText(output))!["cells"]!.AsArray(), db);
    }

    [Fact]
    public void Magics_in_a_notebook_track_runs_and_a_tracked_cell_records_its_hash_and_duration()
    {
        var (code, stderr, cells, db) = RunNotebook("magics.ipynb");
        Assert.True(code == 0, stderr);
        Assert.Contains("#!mlops register-model", string.Concat(cells[0]!["outputs"]![0]!["data"]!["text/plain"]!.AsArray().Select(l => (string)l!))); // displayed, as the kernel does
        using var client = new TrackingClient(db);
        var runs = MagicsNotebook.AssertTracked(client);
        var listed = cells[4]!["outputs"]![0]!["data"]!["text/html"]!.AsArray();
        var html = string.Concat(listed.Select(l => (string)l!));
        Assert.Contains("<div class=\"mlops-runs\">", html); // the kit's own view, as the kernel shows it
        Assert.Contains("first run", html);
        var tracked = runs[1];
        Assert.Equal(64, tracked.Tags["mlops.cell.4.sha256"].Length);
        Assert.True(double.Parse(tracked.Tags["mlops.cell.4.seconds"], System.Globalization.CultureInfo.InvariantCulture) >= 0);
    }

    [Fact]
    public void A_value_written_as_at_csharp_is_the_notebook_variable_as_the_kernel_shares_it()
    {
        var host = new MagicHost(() => [("ids", new List<string> { "abc123", "def456" }), ("lr", 0.05), ("name", "first run"), ("ids", new[] { "aaa", "bbb" })]);
        Assert.Equal("aaa,bbb", MagicParser.Parse("compare @csharp:ids", MlopsMagics.All, host).Get("runs")); // the newest declaration
        Assert.Equal("first run", MagicParser.Parse("start-run --name @csharp:name", MlopsMagics.All, host).Get("name"));
        Assert.Equal("0.05", MagicParser.Parse("log-metric lr=1 --step @csharp:lr", MlopsMagics.All, host).Get("step")); // invariant text
        Assert.Equal("lr=@csharp:lr", MagicParser.Parse("log-metric lr=@csharp:lr", MlopsMagics.All, host).Get("metric")); // inside a pair: as written
        var missing = Assert.Throws<NotFoundException>(() => MagicParser.Parse("compare @csharp:nothing", MlopsMagics.All, host));
        Assert.Contains("There is no variable 'nothing'", missing.Message);
        var other = Assert.Throws<MlopsException>(() => MagicParser.Parse("compare @fsharp:ids", MlopsMagics.All, host));
        Assert.Contains("names a value of another kernel", other.Message);
        Assert.Equal("a@b,c", MagicParser.Parse("compare a@b,c", MlopsMagics.All, host).Get("runs")); // not a reference
    }

    [Fact]
    public void Charting_a_metric_no_run_logged_is_an_error_that_names_the_metrics_there_are_for_every_kind()
    {
        // A session of the test's own: the magics use the current session, so nothing process-wide is touched.
        using var session = new MlopsSession(trackingUri: _dir.File("charts.db"));
        using var current = MlopsSession.Use(session);
        Mlops.SetExperiment("charts");
        foreach (var (name, auc) in new[] { ("a", 0.7), ("b", 0.8) })
        {
            using var run = Mlops.StartRun(name);
            Mlops.LogParam("trees", name == "a" ? 10 : 20);
            Mlops.LogMetric("auc", auc);
            Mlops.LogMetric("f1", auc - 0.1);
        }
        var chart = MlopsMagics.All.Single(c => c.Name == "chart");
        foreach (var kind in new[] { "history", "parallel", "bars" })
        {
            var error = Assert.Throws<NotFoundException>(() => chart.Handler(Parse($"chart rmse --kind {kind}")));
            Assert.Equal("None of the 2 runs to chart logged the metric 'rmse'.", error.Message);
            Assert.Equal("They logged: auc, f1.", error.Hint);
            Assert.NotNull(chart.Handler(Parse($"chart auc --kind {kind}"))); // a metric they logged draws
        }
    }

    [Fact]
    public void Each_bad_magic_fails_its_cell_with_a_message_that_says_what_to_do()
    {
        var (code, _, cells, _) = RunNotebook("magic-errors.ipynb", "--continue-on-error");
        Assert.Equal(1, code);
        string Error(int cell) => (string)cells[cell]!["outputs"]!.AsArray().Last()!["evalue"]!;
        Assert.Contains("#!mlops has no subcommand 'frobnicate'", Error(0));
        Assert.Contains("'high' is not a number", Error(1));
        Assert.Contains("unknown option --colour", Error(2));
        Assert.Contains("--name needs a value", Error(3));
        Assert.Contains("There is no active run.", Error(4));
        Assert.Contains("The variable 'notAModel' does not hold an ML.NET model", Error(6));
        Assert.Contains("There is no variable 'missing' in the notebook.", Error(7));
        Assert.Contains("'paused' is not an end status", Error(8));
        Assert.Contains("<name> is required", Error(9));
        Assert.Contains("'team' is not key=value", Error(10));
        Assert.All(Enumerable.Range(0, 11).Where(i => i != 5), i => Assert.Equal("Error", (string)cells[i]!["outputs"]!.AsArray().Last()!["ename"]!)); // the kernel's name
        Assert.DoesNotContain(cells.SelectMany(c => c!["outputs"]!.AsArray()), o => ((string?)o!["evalue"] ?? "").Contains("   at "));
    }

    [Fact]
    public void A_magic_that_throws_fails_its_cell_ends_the_run_failed_and_the_notebook_is_still_written()
    {
        // A filter error from a magic: the run it was in ends FAILED and the executed notebook is written.
        var (code, stderr, cells, db) = RunNotebook("magic-throws.dib");

        Assert.Equal(1, code);
        Assert.Contains("cell 2, line 1: MagicCommandError", stderr);
        Assert.DoesNotContain("internal error", stderr);
        var error = cells[1]!["outputs"]!.AsArray().Last()!;
        Assert.Equal("Error", (string)error["ename"]!);
        Assert.Contains("Filter syntax error at position", (string)error["evalue"]!);
        Assert.Contains("NaN", (string)error["evalue"]!);
        Assert.Null(cells[2]!["execution_count"]);
        using var client = new TrackingClient(db);
        Assert.Equal(RunStatus.Failed, Assert.Single(client.SearchRuns(["magic-throws"])).Status);
    }
}
