using System.Text.Json;
using System.Text.Json.Nodes;
using MlopsNotebooks.Validation;
using MlopsNotebooks.Tests.Support;

namespace MlopsNotebooks.Tests.Actions;

public sealed class ValidateTests : IDisposable
{
    private readonly GitRepository _repo = new();

    public void Dispose() => _repo.Dispose();

    private static string Sample(string name) => File.ReadAllText(Path.Combine(Programs.RepositoryRoot, "tests", "notebooks", name));

    private const string Csv = "tenure,plan,churned\n1,basic,true\n24,pro,false\n12,basic,false\n";

    [Fact]
    public void A_schema_inferred_from_data_accepts_it_and_names_the_line_and_column_of_each_break()
    {
        var csv = _repo.Write("data/d.csv", Csv);
        var schema = DataSchema.Infer(csv);
        Assert.Equal(["integer", "string", "boolean"], schema.Columns.Select(c => c.Type));
        Assert.Equal(["basic", "pro"], schema.Columns[1].Allowed);
        Assert.Equal((1.0, 24.0), (schema.Columns[0].Min!.Value, schema.Columns[0].Max!.Value));
        var path = _repo.Write("data/d.schema.yaml", schema.ToYaml());
        var loaded = DataSchema.Load(path);
        Assert.Empty(loaded.Validate(csv));

        _repo.Write("data/d.csv", "tenure,plan,extra\n1,basic,x\n99,gold,x\nabc,,x\n5,pro,x\n");
        var violations = loaded.Validate(csv);
        Assert.Contains(violations, v => v is { Column: "churned", Line: 1 } && v.Message.Contains("is missing"));
        Assert.Contains(violations, v => v is { Column: "extra", Line: 1 } && v.Message.Contains("not in the schema"));
        Assert.Contains(violations, v => v is { Column: "tenure", Line: 3 } && v.Message.Contains("outside [1, 24]") && v.Message.Contains("e.g. 99"));
        Assert.Contains(violations, v => v is { Column: "tenure", Line: 4 } && v.Message.Contains("not integer") && v.Message.Contains("'abc'"));
        Assert.Contains(violations, v => v is { Column: "plan", Line: 3 } && v.Message.Contains("'gold'") && v.Message.Contains("allowed: basic, pro"));
        Assert.Contains(violations, v => v is { Column: "plan", Line: 4 } && v.Message.Contains("empty in 1 row"));
    }

    [Theory]
    [InlineData("rows: [1, 2\n", "d.schema.yaml:")]
    [InlineData("columns:\n- name: a\n  type: text\n", "has type 'text'")]
    [InlineData("columns:\n- name: a\n- name: a\n", "described twice")]
    public void A_schema_that_does_not_parse_says_where(string yaml, string message)
    {
        var path = _repo.Write("d.schema.yaml", yaml);
        Assert.Contains(message, Assert.Throws<MlopsException>(() => DataSchema.Load(path)).Message);
    }

    [Fact]
    public void Gates_compare_the_best_run_with_thresholds_and_the_baseline()
    {
        var path = _repo.Write("mlops-gates.yaml", "gates:\n  - auc >= 0.85\n  - loss < 0.5\n  - f1 > 0.1\nregression:\n  auc: 0.01\n  loss: 0\n");
        var gates = ModelGates.Load(path);
        var candidate = gates.Candidate([new Dictionary<string, double> { ["auc"] = 0.86, ["loss"] = 0.4 }, new Dictionary<string, double> { ["auc"] = 0.88, ["loss"] = 0.45 }]);
        Assert.Equal(0.88, candidate["auc"]); // higher is better
        Assert.Equal(0.4, candidate["loss"]); // a < gate makes lower better
        var results = gates.Evaluate(candidate, new Dictionary<string, double> { ["auc"] = 0.895, ["loss"] = 0.41 });
        Assert.Equal([true, true, false, false, true], results.Select(r => r.Passed));
        Assert.Equal("no run logged f1 (logged: auc, loss)", results[2].Detail);
        Assert.Equal(4, results[2].Line);
        Assert.Contains("0.88 against 0.895", results[3].Detail); // dropped 0.015 > 0.01
        Assert.Equal(6, results[3].Line);
        Assert.True(gates.Evaluate(candidate, null)[3].Passed); // no baseline: nothing to regress from
        Assert.EndsWith("there is no baseline to compare with", gates.Evaluate(candidate, null)[3].Detail);
        // With no threshold on it, a metric's name gives its direction.
        var ungated = gates.Candidate([new Dictionary<string, double> { ["log_loss"] = 0.7, ["rmse"] = 2, ["r_squared"] = 0.5 },
            new Dictionary<string, double> { ["log_loss"] = 0.6, ["rmse"] = 3, ["r_squared"] = 0.6 }]);
        Assert.Equal((0.6, 2.0, 0.6), (ungated["log_loss"], ungated["rmse"], ungated["r_squared"]));
    }

    [Theory]
    [InlineData("gates:\n  - auc is high\n", ":2: 'auc is high' is not a gate")]
    [InlineData("gates: [auc >= 0.8\n", "does not parse")]
    [InlineData("regression:\n  auc: lots\n", ":2: the regression tolerance of auc is 'lots'")]
    public void A_gates_file_that_does_not_parse_says_where(string yaml, string message)
    {
        var path = _repo.Write("mlops-gates.yaml", yaml);
        Assert.Contains(message, Assert.Throws<MlopsException>(() => ModelGates.Load(path)).Message);
    }

    [Fact]
    public void A_cells_line_is_found_in_the_notebook_file()
    {
        var ipynb = _repo.Write("m.ipynb", Sample("metrics.ipynb"));
        var lines = File.ReadAllLines(ipynb);
        Assert.Contains("Mlops.LogMetric(\\\"auc\\\", auc)", lines[NotebookLines.Locate(ipynb, 2, 4) - 1]);
        var dib = _repo.Write("b.dib", "#!meta\n\n{}\n\n#!csharp\n\nvar a = 1;\n\n#!csharp\n\nvar b = 2;\nthrow new Exception();\n");
        Assert.Equal(12, NotebookLines.Locate(dib, 2, 2));
    }

    private (int Code, string Stdout, JsonObject Report, IReadOnlyDictionary<string, string> Outputs, string Summary) RunAction(Dictionary<string, string?> inputs)
    {
        inputs.TryAdd("report-path", _repo.PathOf("report/report.json"));
        var step = ActionStep.Run("validate", _repo.Root, _repo.Root, inputs);
        Assert.True(step.Code is 0 or 1, step.Stdout + step.Stderr);
        return (step.Code, step.Stdout, (JsonObject)JsonNode.Parse(File.ReadAllText(_repo.PathOf("report/report.json")))!, step.Outputs, step.Summary);
    }

    [Fact]
    public void The_validate_action_runs_notebooks_checks_data_and_gates_and_reports_as_a_step()
    {
        _repo.Write("notebooks/metrics.ipynb", Sample("metrics.ipynb"));
        var csv = _repo.Write("data/d.csv", Csv);
        _repo.Write("data/d.schema.yaml", DataSchema.Infer(csv).ToYaml());
        _repo.Write("mlops-gates.yaml", "gates:\n  - auc >= 0.85\nregression:\n  auc: 0.01\nbaseline: metrics/baseline.json\n");
        _repo.Write("metrics/baseline.json", "{\"auc\": 0.8}");
        _repo.Commit("base");
        _repo.Write("metrics/baseline.json", "{\"auc\": 0.99}"); // the work tree's; the base branch's is read at main

        var passing = RunAction(new() { ["notebooks"] = "notebooks/*.ipynb", ["data"] = "data/d.csv=data/d.schema.yaml", ["baseline-ref"] = "main" });
        Assert.Equal(0, passing.Code);
        Assert.Equal("true", passing.Outputs["passed"]);
        Assert.Equal("{\"auc\":0.9,\"loss\":0.3}", passing.Outputs["metrics"]);
        Assert.Single(passing.Outputs["run-ids"].Split(','));
        Assert.Equal(0.8, passing.Report["baseline"]!["auc"]!.GetValue<double>());
        Assert.Equal("main:metrics/baseline.json", (string?)passing.Report["baseline_source"]);
        Assert.Contains("✅ MLOps report: all checks passed", passing.Summary);
        Assert.Contains("| auc | 0.9 | 0.8 | +0.1 |", passing.Summary);
        Assert.Contains("<h1>MLOps report: all checks passed</h1>", File.ReadAllText(_repo.PathOf("report/report.html")));
        Assert.DoesNotContain("::error", passing.Stdout);

        // A parameter drops auc below both gates; the data breaks its schema.
        _repo.Write("data/d.csv", Csv + "1,gold,true\n");
        var failing = RunAction(new() { ["notebooks"] = "notebooks/*.ipynb", ["parameters"] = "auc=0.7", ["data"] = "data/d.csv=data/d.schema.yaml", ["baseline-ref"] = "main" });
        Assert.True(failing.Code == 1, failing.Stdout);
        Assert.Equal("false", failing.Outputs["passed"]);
        Assert.True(failing.Stdout.Contains("::error file=mlops-gates.yaml,line=2,title=Model gate failed::auc >= 0.85: auc = 0.7"), failing.Stdout + failing.Report.ToJsonString());
        Assert.Contains("::error file=mlops-gates.yaml,line=4,title=Model gate failed::auc no regression beyond 0.01: auc = 0.7 against 0.8", failing.Stdout);
        Assert.Contains("::error file=data/d.csv,line=5,title=Data data/d.csv breaks data/d.schema.yaml (column plan)::column plan has a value outside its categories", failing.Stdout);
        Assert.Contains("❌ MLOps report: checks failed", failing.Summary);
    }

    [Fact]
    public void A_failing_notebook_is_annotated_at_its_cell_and_a_missing_metric_fails_its_gate()
    {
        _repo.Write("notebooks/exception.ipynb", Sample("exception.ipynb"));
        _repo.Write("mlops-gates.yaml", "gates:\n  - auc >= 0.85\n");
        var result = RunAction(new() { ["notebooks"] = "notebooks/*.ipynb" });
        Assert.Equal(1, result.Code);
        var failure = result.Report["notebooks"]![0]!["failure"]!;
        var cell = failure["source_cell"]!.GetValue<int>();
        var line = NotebookLines.Locate(_repo.PathOf("notebooks/exception.ipynb"), cell, failure["line"]?.GetValue<int>());
        Assert.True(line > 1);
        Assert.Contains($"::error file=notebooks/exception.ipynb,line={line},title=Notebook notebooks/exception.ipynb failed in cell {cell}::", result.Stdout);
        Assert.Contains("auc >= 0.85: no run logged auc (the notebooks logged no metrics)", result.Stdout);
    }

    [Fact]
    public void Bad_inputs_fail_with_a_message_and_no_report()
    {
        _repo.Write("mlops-gates.yaml", "gates:\n  - auc >= 0.85\n");
        _repo.Write("broken-gates.yaml", "gates:\n  - auc is high\n");
        _repo.Write("notebooks/metrics.ipynb", Sample("metrics.ipynb"));
        var environment = new Dictionary<string, string?> { ["GITHUB_ACTIONS"] = "true", ["GITHUB_WORKSPACE"] = _repo.Root, ["GITHUB_OUTPUT"] = _repo.PathOf("o"), ["GITHUB_STEP_SUMMARY"] = _repo.PathOf("s") };
        foreach (var (input, value, message) in new[]
        {
            ("INPUT_NOTEBOOKS", "nowhere/*.ipynb", "No notebook matches nowhere/*.ipynb"),
            ("INPUT_PARAMETERS", "novalue", "parameters: 'novalue' is not name=value"),
            ("INPUT_DATA", "data.csv", "Data check 'data.csv' is not data=schema"),
            ("INPUT_CELL-TIMEOUT", "soon", "Input 'cell-timeout' is 'soon'"),
            ("INPUT_GATES", "broken-gates.yaml", "'auc is high' is not a gate"),
            ("INPUT_DATA", "d.csv=missing.schema.yaml", "The data schema missing.schema.yaml does not exist"),
        })
        {
            // Every case but the first names a notebook that would run: the bad input must stop it before it does.
            var env = new Dictionary<string, string?>(environment) { ["INPUT_NOTEBOOKS"] = "notebooks/*.ipynb", [input] = value };
            var (code, _, stderr) = Programs.Run(Programs.Mlops, ["action", "validate"], _repo.Root, env);
            Assert.Equal(1, code);
            Assert.Contains(message, stderr);
            Assert.DoesNotContain("   at ", stderr);
        }
        Assert.False(Directory.Exists(_repo.PathOf(".mlops/notebooks")), "a notebook ran despite bad inputs");
    }

    [Fact]
    public void Two_validations_of_the_same_notebook_path_on_one_store_at_once_each_report_only_their_own_runs()
    {
        // Two clones validate notebooks/train.ipynb into one store. The notebooks wait for each other, so that both
        // runs start after both validations began and end after both started: before-and-after cannot tell them apart.
        using var other = new GitRepository();
        using var shared = new TempDirectory();
        var environment = new Dictionary<string, string?> { ["MLOPS_TRACKING_URI"] = shared.File("mlops.db") };
        foreach (var (repo, me, them, auc) in new[] { (_repo, "a", "b", 0.9), (other, "b", "a", 0.7) })
        {
            string Wait(string what) => $"while (!File.Exists(@\"{shared.File(them + what)}\")) {{ if (DateTime.UtcNow > deadline) throw new TimeoutException(\"{them}{what}\"); System.Threading.Thread.Sleep(20); }}";
            var source = string.Join("\n",
                "using System.IO;",
                "var deadline = DateTime.UtcNow.AddSeconds(120);",
                $"File.WriteAllText(@\"{shared.File(me + ".ready")}\", \"\");",
                Wait(".ready"),
                "Mlops.SetExperiment(\"shared\");",
                $"using (var run = Mlops.StartRun(\"{me}\"))",
                "{",
                $"    Mlops.LogMetric(\"auc\", {auc.ToString(System.Globalization.CultureInfo.InvariantCulture)});",
                $"    File.WriteAllText(@\"{shared.File(me + ".started")}\", \"\");",
                "    " + Wait(".started"),
                "}");
            var notebook = new JsonObject
            {
                ["cells"] = new JsonArray(new JsonObject
                {
                    ["cell_type"] = "code", ["execution_count"] = null, ["id"] = "train", ["metadata"] = new JsonObject(),
                    ["outputs"] = new JsonArray(), ["source"] = source,
                }),
                ["metadata"] = new JsonObject { ["language_info"] = new JsonObject { ["name"] = "csharp" } },
                ["nbformat"] = 4,
                ["nbformat_minor"] = 5,
            };
            repo.Write("notebooks/train.ipynb", notebook.ToJsonString());
        }

        var validations = new[] { _repo, other }
            .Select(repo => Programs.Start(Programs.Mlops, ["validate", "--notebooks", "notebooks/*.ipynb", "--json"], repo.Root, environment))
            .Select(p => (Process: p, Output: p.StandardOutput.ReadToEndAsync(), Error: p.StandardError.ReadToEndAsync()))
            .ToList();
        var reports = new List<JsonObject>();
        foreach (var (process, output, error) in validations)
        {
            Assert.True(process.WaitForExit(300_000), "a validation hung");
            Assert.True(process.ExitCode == 0, output.Result + error.Result);
            reports.Add((JsonObject)JsonNode.Parse(output.Result)!);
            process.Dispose();
        }
        foreach (var (report, name, auc) in new[] { (reports[0], "a", 0.9), (reports[1], "b", 0.7) })
        {
            var runs = report["runs"]!.AsArray();
            Assert.True(runs.Count == 1, report.ToJsonString());
            Assert.Equal(name, (string?)runs[0]!["run_name"]);
            Assert.Single(report["notebooks"]![0]!["runs"]!.AsArray());
            Assert.Equal(auc, report["candidate"]!["auc"]!.GetValue<double>());
        }
    }

    [Fact]
    public void Metrics_out_is_the_next_baseline_and_a_tracking_store_can_be_the_baseline()
    {
        _repo.Write("notebooks/metrics.ipynb", Sample("metrics.ipynb"));
        _repo.Write("mlops-gates.yaml", "gates:\n  - loss <= 0.5\nregression:\n  loss: 0.05\nbaseline: store:main\n");
        _repo.Commit("main");
        // On main: no baseline in the store yet (a warning, the gate passes), and the metrics file is written.
        var first = RunAction(new() { ["notebooks"] = "notebooks/*.ipynb", ["metrics-path"] = _repo.PathOf("metrics.json"), ["parameters"] = "loss=0.3" });
        Assert.Equal(0, first.Code);
        Assert.Contains("::warning title=No baseline::The tracking store has no finished runs of branch main", first.Stdout);
        var written = JsonNode.Parse(File.ReadAllText(_repo.PathOf("metrics.json")))!;
        Assert.Equal(0.3, written["metrics"]!["loss"]!.GetValue<double>());
        Assert.Equal(JsonValueKind.Object, written["params"]!.GetValueKind());

        // A branch whose loss rises by more than 0.05 against the runs main recorded in the (shared) store fails.
        _repo.Git("checkout", "-q", "-b", "feature");
        var second = RunAction(new() { ["notebooks"] = "notebooks/*.ipynb", ["parameters"] = "loss=0.4" });
        Assert.Equal(1, second.Code);
        Assert.StartsWith("store:main@", (string?)second.Report["baseline_source"]);
        Assert.Contains("loss no regression beyond 0.05: loss = 0.4 against 0.3 on the base branch", second.Stdout);
    }

    [Fact]
    public void A_metric_that_is_not_a_number_is_NaN_in_the_metrics_output_and_the_report_not_an_internal_error()
    {
        var notebook = new JsonObject
        {
            ["cells"] = new JsonArray(new JsonObject
            {
                ["cell_type"] = "code", ["execution_count"] = null, ["id"] = "train", ["metadata"] = new JsonObject(), ["outputs"] = new JsonArray(),
                ["source"] = "using (var run = Mlops.StartRun(\"nan\"))\n{\n    Mlops.LogMetric(\"auc\", double.NaN);\n}",
            }),
            ["metadata"] = new JsonObject { ["language_info"] = new JsonObject { ["name"] = "csharp" } },
            ["nbformat"] = 4,
            ["nbformat_minor"] = 5,
        };
        _repo.Write("notebooks/nan.ipynb", notebook.ToJsonString());
        var result = RunAction(new() { ["notebooks"] = "notebooks/*.ipynb" });
        Assert.Equal(0, result.Code);
        Assert.Equal("{\"auc\":\"NaN\"}", result.Outputs["metrics"]);
        Assert.Equal("NaN", (string?)result.Report["candidate"]!["auc"]);
        Assert.Contains("| auc |  |  |  |", result.Summary);
    }
}
