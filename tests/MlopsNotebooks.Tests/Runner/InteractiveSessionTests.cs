using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using MlopsNotebooks.Display;
using MlopsNotebooks.Notebooks;
using MlopsNotebooks.Runner.Interactive;
using MlopsNotebooks.Tests.Support;
using MlopsNotebooks.Tracking;
using MlopsNotebooks.Versioning;

namespace MlopsNotebooks.Tests.Runner;

/// <summary>
/// A live session sets the process's console, current folder and environment while a cell runs, and when it ends it kills
/// every process started below the test host since it began (what its cells left running): its tests run alone, or they
/// would end other tests' Jupyter clients and kernels.
/// </summary>
[CollectionDefinition(nameof(InteractiveSessionTests), DisableParallelization = true)]
public sealed class InteractiveCollection;

/// <summary>
/// The runner's engine held open for a client (the Jupyter kernel's): real sessions, cells sent one at a time, outputs
/// recorded as the client would get them.
/// </summary>
[Collection(nameof(InteractiveSessionTests))]
public sealed class InteractiveSessionTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Store => _dir.File("mlops.db");

    private InteractiveSession Session(string? notebook = null) =>
        new(new InteractiveOptions { WorkingDirectory = _dir.Path, TrackingUri = Store, NotebookPath = notebook });

    private static async Task<(ExecuteOutcome Outcome, LiveOutputs Outputs)> Run(InteractiveSession session, string code, LiveOutputs? outputs = null)
    {
        outputs ??= new LiveOutputs();
        var outcome = await session.ExecuteAsync(new ExecuteRequest(code), outputs).WaitAsync(TimeSpan.FromMinutes(3));
        return (outcome, outputs);
    }

    private static string ResultText(LiveOutputs outputs) =>
        Assert.Single(outputs.Added, o => o.Kind == OutputKind.ExecuteResult).Data["text/plain"];

    [Fact]
    public async Task Variables_defined_in_one_cell_are_seen_by_the_next()
    {
        using var session = Session();
        var (first, _) = await Run(session, "var answer = 41;");
        var (second, outputs) = await Run(session, "$\"{answer + 1}\"");
        Assert.True(first.Succeeded && second.Succeeded);
        Assert.Equal((1, 2), (first.ExecutionCount, second.ExecutionCount));
        Assert.Equal("42", ResultText(outputs));
    }

    [Fact]
    public async Task A_compile_error_is_an_error_output_naming_the_cells_own_line_and_column()
    {
        using var session = Session();
        // The loop gets an interrupt check on its brace's line: the column must still be the one the user wrote.
        var (outcome, outputs) = await Run(session, "var a = 1;\nfor (var i = 0; i < 2; i++) { var b = nope; }");
        Assert.Equal(("CompilationError", 2), (outcome.Failure!.Kind, outcome.Failure.Line));
        Assert.Contains("(2,39): error CS0103: The name 'nope' does not exist in the current context", outputs.Stream("stderr"));
        Assert.Equal(("Error", "compilation error"), (outputs.Added[^1].ErrorName, outputs.Added[^1].ErrorValue));
    }

    [Fact]
    public async Task An_exception_is_an_error_output_naming_the_cells_own_line()
    {
        using var session = Session();
        var (outcome, outputs) = await Run(session, """
            int Countdown(int n)
            {
                if (n == 0) throw new InvalidOperationException("boom");
                return Countdown(n - 1);
            }
            Countdown(3)
            """);
        Assert.Equal(("System.InvalidOperationException", 3), (outcome.Failure!.Kind, outcome.Failure.Line));
        var error = outputs.Added[^1];
        Assert.Equal(OutputKind.Error, error.Kind);
        Assert.Contains("boom", error.ErrorValue);
        Assert.Contains("cell-1.csx:line 3", string.Join("\n", error.Traceback));
    }

    [Fact]
    public async Task Code_made_stoppable_computes_what_it_computes_unchanged_and_fails_at_its_own_lines()
    {
        using var session = Session();
        var (outcome, outputs) = await Run(session, """
            class Counter { private int _n; public Counter() { _n = 10; } public int Next { get { return ++_n; } } }
            IEnumerable<int> Evens(int n) { for (var i = 0; i < n; i++) if (i % 2 == 0) yield return i; }
            Func<int, int> twice = x => { return 2 * x; };
            var total = 0;
            foreach (var e in Evens(6)) total += twice(e);
            do total++; while (total < 13);
            var c = new Counter();
            $"{c.Next} {c.Next} {total} {new[] { 1, 2 }.Select(x => x * 3).Sum()}"
            """);
        Assert.True(outcome.Succeeded, outputs.Describe());
        Assert.Equal("11 12 13 9", ResultText(outputs));
        var (failed, _) = await Run(session, "var n = 0;\nwhile (true) { if (++n == 3) throw new ArgumentException(\"third\"); }");
        Assert.Equal(("System.ArgumentException", 2), (failed.Failure!.Kind, failed.Failure.Line));
    }

    [Fact]
    public async Task A_nuget_package_is_restored_and_used()
    {
        using var session = Session();
        var (outcome, outputs) = await Run(session, "#r \"nuget: Newtonsoft.Json, 13.0.3\"\nNewtonsoft.Json.JsonConvert.SerializeObject(new { a = 1 })");
        Assert.True(outcome.Succeeded, outputs.Describe());
        Assert.Equal("{\"a\":1}", ResultText(outputs));
        Assert.Contains(session.ReferencePaths, p => Path.GetFileName(p) == "Newtonsoft.Json.dll");
    }

    [Fact]
    public async Task Mlops_magics_start_and_end_a_run_with_the_cells_hashes_and_the_notebook_as_its_source()
    {
        var notebook = _dir.File("churn.ipynb");
        File.WriteAllText(notebook, "{\"cells\": [], \"metadata\": {}, \"nbformat\": 4, \"nbformat_minor\": 5}");
        string[] cells = ["#!mlops start-run --name live", "var trees = 100;\nMlops.LogParam(\"trees\", trees);", "#!mlops end-run"];
        using (var session = Session())
        {
            foreach (var cell in cells)
            {
                var outputs = new LiveOutputs();
                var outcome = await session.ExecuteAsync(new ExecuteRequest(cell) { NotebookPath = notebook }, outputs);
                Assert.True(outcome.Succeeded, outputs.Describe());
            }
        }
        using var client = new TrackingClient(Store);
        var run = Assert.Single(client.SearchRuns(["Default"], "attributes.run_name = 'live'"));
        Assert.Equal(RunStatus.Finished, run.Status);
        Assert.Equal(Path.GetFileName(notebook), Path.GetFileName(run.Tags[RunContext.SourceName]));
        Assert.Equal(ContentHash.OfFile(notebook).ToString(), run.Tags[RunContext.NotebookHash]);
        Assert.Equal("100", run.Params["trees"]);
        // As in the runner, a cell counts in the run when code of it ran: not one of magics alone.
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(cells[1]))), run.Tags["mlops.cell.2.sha256"]);
        Assert.True(run.Tags.ContainsKey("mlops.cell.2.seconds"));
    }

    [Fact]
    public async Task A_run_left_active_ends_failed_when_the_session_ends_after_a_failed_cell()
    {
        using (var session = Session())
        {
            await Run(session, "Mlops.StartRun(\"left\");");
            await Run(session, "throw new Exception(\"late\");");
        }
        using var client = new TrackingClient(Store);
        Assert.Equal(RunStatus.Failed, Assert.Single(client.SearchRuns(["Default"], "attributes.run_name = 'left'")).Status);
    }

    [Fact]
    public async Task Console_output_reaches_the_client_while_the_cell_still_runs()
    {
        using var session = Session();
        var signal = _dir.File("go-on");
        var outputs = new LiveOutputs();
        var execution = session.ExecuteAsync(new ExecuteRequest($$"""
            Console.WriteLine("started");
            Console.Write("partial");
            while (!System.IO.File.Exists("{{signal}}")) { System.Threading.Thread.Sleep(10); }
            Console.WriteLine(" done");
            """), outputs);
        await outputs.WaitFor(o => o.Stream("stdout") == "started\npartial", TimeSpan.FromSeconds(60));
        Assert.False(execution.IsCompleted);
        File.WriteAllText(signal, "");
        var outcome = await execution.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.True(outcome.Succeeded, outputs.Describe());
        Assert.Equal("started\npartial done\n", outputs.Stream("stdout"));
    }

    [Fact]
    public async Task A_display_updated_later_is_added_then_updated_under_the_same_display_id()
    {
        using var session = Session();
        var (outcome, outputs) = await Run(session, """
            var progress = display("0 of 2");
            progress.Update("1 of 2");
            display("another display, never updated");
            progress.Update("2 of 2");
            """);
        Assert.True(outcome.Succeeded, outputs.Describe());
        var shown = outputs.Added.Where(o => o.Kind == OutputKind.DisplayData).ToList();
        Assert.Equal(["0 of 2", "another display, never updated"], shown.Select(o => o.Data["text/plain"]));
        Assert.All(shown, o => Assert.False(string.IsNullOrEmpty(o.DisplayId)));
        Assert.NotEqual(shown[0].DisplayId, shown[1].DisplayId);
        Assert.Equal(["1 of 2", "2 of 2"], outputs.Updated.Select(o => o.Data["text/plain"]));
        Assert.All(outputs.Updated, o => Assert.Equal(shown[0].DisplayId, o.DisplayId));
    }

    [Fact]
    public async Task Console_ReadLine_asks_the_client_with_the_current_line_as_the_prompt()
    {
        using var session = Session();
        var outputs = new LiveOutputs("Ada");
        var (outcome, _) = await Run(session, """
            Console.Write("Name: ");
            var name = Console.ReadLine();
            Console.WriteLine($"Hello {name}");
            Console.WriteLine(Console.ReadLine() is null ? "end of input" : "more");
            """, outputs);
        Assert.True(outcome.Succeeded, outputs.Describe());
        Assert.Equal(["Name: ", ""], outputs.Prompts);
        Assert.Equal("Hello Ada\nend of input\n", outputs.Stream("stdout"));
    }

    public static TheoryData<string, bool> Endless => new()
    {
        { "while (true) { }", true },
        { "void Spin() { for (;;) ; }\nSpin();", true },
        { "System.Threading.Thread.Sleep(60000);", true },
        { "await Task.Delay(60000, MlopsNotebooks.Runner.Interactive.CellInterrupt.CurrentToken);", true },
        { "await Task.Delay(60000);", false }, // waits in no thread: abandoned after the grace
    };

    [Theory]
    [MemberData(nameof(Endless))]
    public async Task An_interrupted_cell_stops_and_the_session_keeps_what_earlier_cells_defined(string code, bool stopsBeforeTheGrace)
    {
        using var session = Session();
        await Run(session, "var kept = 7;");
        var outputs = new LiveOutputs();
        var execution = session.ExecuteAsync(new ExecuteRequest("Console.WriteLine(\"running\");\n" + code), outputs);
        await outputs.WaitFor(o => o.Stream("stdout").Contains("running"), TimeSpan.FromSeconds(60));
        await Task.Delay(200);
        var clock = Stopwatch.StartNew();
        session.Interrupt();
        var outcome = await execution.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(outcome.Interrupted, outputs.Describe());
        Assert.False(outcome.Succeeded);
        var error = outputs.Added[^1];
        Assert.Equal(("KeyboardInterrupt", "interrupted"), (error.ErrorName, error.ErrorValue));
        if (stopsBeforeTheGrace)
        {
            Assert.True(clock.Elapsed < CellInterrupt.Grace, $"stopped after {clock.Elapsed}");
        }
        var (after, afterOutputs) = await Run(session, "$\"{kept * 6}\"");
        Assert.True(after.Succeeded, afterOutputs.Describe());
        Assert.Equal("42", ResultText(afterOutputs));
        Assert.Equal("running\n", outputs.Stream("stdout")); // nothing of the next cell went to the interrupted one
    }

    [Fact]
    public async Task A_second_chart_does_not_load_plotly_js_again_and_a_new_session_loads_it_again()
    {
        var plotly = _dir.File("plotly.min.js");
        File.WriteAllText(plotly, "/* plotly stand-in */ window.Plotly = {};");
        PlotlyJs.Current = PlotlyJs.Parse(plotly, "test");
        try
        {
            using (var session = Session())
            {
                await Run(session, """
                    using (Mlops.StartRun("a"))
                    {
                        Mlops.LogMetric("auc", 0.7, 1);
                        Mlops.LogMetric("auc", 0.8, 2);
                    }
                    """);
                var (first, firstOutputs) = await Run(session, "#!mlops chart auc");
                var (second, secondOutputs) = await Run(session, "#!mlops chart auc --kind bars");
                Assert.True(first.Succeeded && second.Succeeded, firstOutputs.Describe() + secondOutputs.Describe());
                Assert.Equal(1, firstOutputs.Count("plotly stand-in"));
                Assert.Equal(0, secondOutputs.Count("plotly stand-in"));
                Assert.Equal(1, secondOutputs.Count("Plotly.newPlot"));
            }
            using var fresh = Session();
            var (again, againOutputs) = await Run(fresh, "#!mlops chart auc");
            Assert.True(again.Succeeded, againOutputs.Describe());
            Assert.Equal(1, againOutputs.Count("plotly stand-in"));
        }
        finally
        {
            PlotlyJs.Current = null!; // back to the environment's choice
        }
    }

    /// <summary>What a client gets, as it gets it; answers input requests from a list, then with the end of input.</summary>
    private sealed class LiveOutputs(params string[] answers) : ILiveOutputs
    {
        private readonly object _gate = new();
        private readonly List<CellOutput> _added = [];
        private readonly List<CellOutput> _updated = [];
        private readonly List<string> _prompts = [];
        private readonly Queue<string> _answers = new(answers);

        public IReadOnlyList<CellOutput> Added => Copy(_added);

        public IReadOnlyList<CellOutput> Updated => Copy(_updated);

        public IReadOnlyList<string> Prompts => Copy(_prompts);

        private List<T> Copy<T>(List<T> list)
        {
            lock (_gate)
            {
                return [.. list];
            }
        }

        public void Add(CellOutput output)
        {
            lock (_gate)
            {
                _added.Add(output);
            }
        }

        public void Update(CellOutput display)
        {
            lock (_gate)
            {
                _updated.Add(display);
            }
        }

        public string? Input(string prompt, bool password)
        {
            lock (_gate)
            {
                _prompts.Add(prompt);
                return _answers.TryDequeue(out var answer) ? answer : null;
            }
        }

        /// <summary>A stream's text as the client shows it: its writes joined.</summary>
        public string Stream(string name) => string.Concat(Added.Where(o => o.Kind == OutputKind.Stream && o.StreamName == name).Select(o => o.Text));

        /// <summary>How many times <paramref name="text"/> occurs in the outputs' data.</summary>
        public int Count(string text) => Added.SelectMany(o => o.Data.Values).Sum(v => (v.Length - v.Replace(text, "", StringComparison.Ordinal).Length) / text.Length);

        public string Describe() => string.Join("\n", Added.Select(o => $"{o.Kind} {o.StreamName} {o.Text} {o.ErrorName} {o.ErrorValue}"));

        public async Task WaitFor(Func<LiveOutputs, bool> condition, TimeSpan timeout)
        {
            var clock = Stopwatch.StartNew();
            while (!condition(this))
            {
                if (clock.Elapsed > timeout)
                {
                    throw new Xunit.Sdk.XunitException($"not seen within {timeout}: {Describe()}");
                }
                await Task.Delay(10);
            }
        }
    }
}
