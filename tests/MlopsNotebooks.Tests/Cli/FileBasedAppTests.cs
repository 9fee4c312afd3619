using System.Text.Json.Nodes;
using MlopsNotebooks.Tests.Packaging;
using MlopsNotebooks.Tests.Support;
using MlopsNotebooks.Tracking;
using MlopsNotebooks.Versioning;

namespace MlopsNotebooks.Tests.Cli;

/// <summary>
/// File-based apps (<c>dotnet run app.cs</c>) as pipeline inputs, end to end: real <c>dotnet run</c> builds, a real
/// SQLite store, the mlops tool as a process. Builds are slow, so each test builds few apps.
/// </summary>
[Collection(ToolPackageTests.Packing)]
public sealed class FileBasedAppTests(FileBasedAppFeed feed) : IClassFixture<FileBasedAppFeed>, IDisposable
{
    private readonly GitRepository _git = new();

    public void Dispose() => _git.Dispose();

    private string Store => Path.Combine(_git.Root, "runs.db");

    private (int Code, string Out, string Err) Mlops(params string[] args) =>
        Programs.Run(Programs.Mlops, args, _git.Root, feed.Environment(Store), timeoutSeconds: 900);

    private static JsonObject Cell(string kind, string source, string language = "csharp", params string[] tags) => new()
    {
        ["cell_type"] = kind,
        ["metadata"] = new JsonObject
        {
            ["dotnet_interactive"] = new JsonObject { ["language"] = language },
            ["polyglot_notebook"] = new JsonObject { ["kernelName"] = language },
            ["tags"] = new JsonArray([.. tags.Select(t => (JsonNode)t)]),
        },
        ["source"] = source,
        ["outputs"] = kind == "code" ? new JsonArray() : null,
        ["execution_count"] = null,
    };

    private string Notebook(string name, params JsonObject[] cells)
    {
        var notebook = new JsonObject
        {
            ["nbformat"] = 4, ["nbformat_minor"] = 5,
            ["metadata"] = new JsonObject { ["kernelspec"] = new JsonObject { ["name"] = ".net-csharp", ["display_name"] = ".NET (C#)", ["language"] = "C#" } },
            ["cells"] = new JsonArray([.. cells.Select(c => (JsonNode)c)]),
        };
        for (var i = 0; i < cells.Length; i++)
        {
            if (cells[i]["cell_type"]!.GetValue<string>() == "markdown")
            {
                cells[i].Remove("outputs");
                cells[i].Remove("execution_count");
            }
            cells[i]["id"] = $"cell-{i}";
        }
        return _git.Write(name, notebook.ToJsonString());
    }

    [Fact]
    public void The_converted_churn_sample_runs_under_dotnet_run_and_passes_validate_with_its_runs_naming_the_app_its_hash_and_parameters()
    {
        var (converted, _, convertError) = Mlops("notebook", "convert", Path.Combine(Programs.RepositoryRoot, "notebooks", "churn-train.ipynb"), "--to", "cs", "-o", "apps/churn-train.cs");
        Assert.True(converted == 0, convertError);
        _git.Write("apps/nuget.config", feed.NuGetConfig);
        _git.Commit("the churn app");

        var (code, stdout, stderr) = Mlops("validate", "--notebooks", "apps/*.cs", "-p", "rows=500", "-p", "steps=2", "--json");
        Assert.True(code == 0, stdout + stderr);
        var report = JsonNode.Parse(stdout)!;
        var app = report["notebooks"]![0]!;
        Assert.Equal(("apps/churn-train.cs", "succeeded"), (app["notebook"]!.GetValue<string>(), app["status"]!.GetValue<string>()));
        Assert.Contains("FastTree: auc", File.ReadAllText(app["output"]!.GetValue<string>())); // the app's output is kept

        using var client = new TrackingClient(Store);
        var run = client.GetRun(Assert.Single(app["runs"]!.AsArray())!.GetValue<string>());
        Assert.Equal("apps/churn-train.cs", run.Tags[RunContext.SourceName]);
        Assert.Equal(ContentHash.OfFile(_git.PathOf("apps/churn-train.cs")).ToString(), run.Tags[RunContext.NotebookHash]);
        Assert.Equal("500", run.Params["rows"]); // -p reached the app as an argument
        Assert.Equal("{\"rows\":\"500\",\"steps\":\"2\"}", run.Tags[RunContext.NotebookParameters]);
        Assert.True(run.Tags.ContainsKey(RunContext.ValidationId));
        Assert.Equal(2, client.GetMetricHistory(run.RunId, "auc").Count);
    }

    [Fact]
    public void A_failing_app_is_reported_at_its_line_for_a_compile_error_and_for_an_unhandled_exception()
    {
        _git.Write("apps/compiles-not.cs", "Console.WriteLine(\"before\");\nvar x = 1;\nint y = \"text\";\n");
        _git.Write("apps/throws.cs", """
            Console.WriteLine("args: " + string.Join(",", args));
            Console.WriteLine("source: " + Environment.GetEnvironmentVariable("MLOPS_SOURCE"));
            Fail();

            static void Fail() =>
                throw new InvalidOperationException("no churn data");
            """);
        _git.Commit("two failing apps");

        var (code, stdout, stderr) = Mlops("validate", "--notebooks", "apps/*.cs", "-p", "epochs=3", "--report", "report/report.json");
        Assert.True(code == 1, stdout + stderr);
        Assert.Contains("apps/compiles-not.cs", stdout); // annotated at the line
        var apps = JsonNode.Parse(File.ReadAllText(_git.PathOf("report/report.json")))!["notebooks"]!.AsArray();
        var compile = apps.Single(a => a!["notebook"]!.GetValue<string>() == "apps/compiles-not.cs")!["failure"]!;
        Assert.Equal(("CompilationError", 3, 3), (compile["kind"]!.GetValue<string>(), compile["line"]!.GetValue<int>(), compile["file_line"]!.GetValue<int>()));
        Assert.StartsWith("CS0029: Cannot implicitly convert type 'string' to 'int'", compile["message"]!.GetValue<string>());
        var thrown = apps.Single(a => a!["notebook"]!.GetValue<string>() == "apps/throws.cs")!;
        Assert.Equal(("System.InvalidOperationException", "no churn data", 6),
            (thrown["failure"]!["kind"]!.GetValue<string>(), thrown["failure"]!["message"]!.GetValue<string>(), thrown["failure"]!["file_line"]!.GetValue<int>()));
        var output = File.ReadAllText(thrown["output"]!.GetValue<string>());
        Assert.Contains("args: epochs=3", output);
        Assert.Contains("source: " + _git.PathOf("apps/throws.cs"), output);
        Assert.DoesNotContain("   at ", stderr); // the failure is a finding, not a stack trace of ours
    }

    [Fact]
    public void A_missing_app_or_a_cs_file_that_is_not_an_app_is_refused_before_anything_runs_or_is_recorded()
    {
        var (code, _, stderr) = Mlops("validate", "--notebooks", "apps/missing.cs");
        Assert.Equal(1, code);
        Assert.Contains("No notebook matches apps/missing.cs", stderr);

        _git.Write("apps/a-ok.cs", "Console.WriteLine(\"ran\");\n");
        _git.Write("apps/library.cs", "namespace Churn;\n\npublic sealed class Features { }\n");
        (code, _, stderr) = Mlops("validate", "--notebooks", "apps/*.cs");
        Assert.Equal(1, code);
        Assert.Contains("apps/library.cs is not a file-based app: it has no top-level statements", stderr);
        Assert.DoesNotContain("   at ", stderr);
        Assert.False(File.Exists(Store));
        Assert.False(Directory.Exists(_git.PathOf(".mlops/notebooks"))); // a-ok.cs did not run either
    }

    [Fact]
    public void A_converted_notebook_with_magics_markdown_parameters_and_packages_has_the_app_shape_and_runs()
    {
        var notebook = Notebook("demo.ipynb",
            Cell("markdown", "# Demo\n\nTrains *nothing*.", "markdown"),
            Cell("code", $"#r \"nuget: CsvHelper, 34.0.0\"\n#r \"nuget: MlopsNotebooks, {FileBasedAppFeed.Version}\"\n#i \"nuget: /opt/feed\"\nusing System.Globalization;\nusing CsvHelper;"),
            Cell("code", "// parameters\nint epochs = 10;\nstring label = \"base\";", tags: "parameters"),
            Cell("code", "#!mlops experiment app-demo\n#!mlops start-run --name first --params a=1\nvar total = epochs * 2;\n#!mlops log-metric auc=0.9 --step 1\n#!mlops runs\nrecord Point(int X, int Y);\ndisplay(new Point(1, 2));\ntotal"),
            Cell("code", "#!mlops end-run"),
            Cell("code", "Console.WriteLine(label + \"/\" + typeof(CsvReader).Name + \"/\" + CultureInfo.InvariantCulture.Name.Length);"));
        var (code, stdout, stderr) = Mlops("notebook", "convert", notebook, "--to", "cs", "-o", "app/demo.cs");
        Assert.True(code == 0, stderr);
        Assert.Contains("not converted: cell 4: #!mlops runs", stderr);

        var app = File.ReadAllText(_git.PathOf("app/demo.cs"));
        Assert.StartsWith($"#:package CsvHelper@34.0.0\n#:package MlopsNotebooks@{FileBasedAppFeed.Version}\n#:property PublishAot=false\n", app);
        Assert.Contains("// #i \"nuget: /opt/feed\": file-based apps have no source directive; add the source to a nuget.config", app);
        Assert.Contains("// # Demo\n//\n// Trains *nothing*.", app);
        Assert.Contains("int epochs = Parameter<int>(\"epochs\", 10);", app);
        Assert.Contains("Mlops.StartRun(\"first\");\nMlops.LogParam(\"a\", \"1\");", app);
        Assert.Contains("Mlops.LogMetric(\"auc\", 0.9, 1);", app);
        Assert.Contains("// Not converted: #!mlops runs", app);
        Assert.Contains("Console.WriteLine(new Point(1, 2));\nConsole.WriteLine(total);", app);
        // C#'s order: usings, then the statements, then the types.
        Assert.True(app.IndexOf("using CsvHelper;", StringComparison.Ordinal) < app.IndexOf("// # Demo", StringComparison.Ordinal));
        Assert.True(app.IndexOf("T Parameter<T>(", StringComparison.Ordinal) < app.IndexOf("record Point(int X, int Y);", StringComparison.Ordinal));
        Assert.True(app.IndexOf("Mlops.EndRun();", StringComparison.Ordinal) < app.IndexOf("T Parameter<T>(", StringComparison.Ordinal));

        _git.Write("app/nuget.config", feed.NuGetConfig);
        var environment = feed.Environment(Store);
        (code, stdout, stderr) = Programs.RunTool("dotnet", ["run", "--file", _git.PathOf("app/demo.cs"), "--", "epochs=3", "label=tuned"], _git.PathOf("app"), environment, 900);
        Assert.True(code == 0, stdout + stderr);
        Assert.Contains("Point { X = 1, Y = 2 }\n6\n", stdout);
        Assert.Contains("tuned/CsvReader/0", stdout);
        using var client = new TrackingClient(Store);
        var run = Assert.Single(client.SearchRuns(["app-demo"]));
        Assert.Equal(("first", "1", 0.9), (run.Name, run.Params["a"], run.Metrics["auc"].Value));
        Assert.Equal(RunStatus.Finished, run.Status);
    }

    [Fact]
    public void Convert_refuses_cells_in_other_languages_unless_skipped_and_never_overwrites_without_force()
    {
        var notebook = Notebook("mixed.ipynb", Cell("code", "var a = 1;"), Cell("code", "let b = 2", "fsharp"));
        var (code, _, stderr) = Mlops("notebook", "convert", notebook, "--to", "cs");
        Assert.Equal(1, code);
        Assert.Contains("Cell 2 is a fsharp cell: a file-based app is C# only.", stderr);
        Assert.False(File.Exists(_git.PathOf("mixed.cs")));

        (code, _, stderr) = Mlops("notebook", "convert", notebook, "--to", "cs", "--skip-unsupported");
        Assert.True(code == 0, stderr);
        Assert.Contains("not converted: cell 2: a fsharp cell: commented out", stderr);
        var written = File.ReadAllText(_git.PathOf("mixed.cs"));
        Assert.Contains("var a = 1;", written);
        Assert.Contains("// let b = 2", written);

        File.WriteAllText(_git.PathOf("mixed.cs"), "// mine\n");
        (code, _, stderr) = Mlops("notebook", "convert", notebook, "--to", "cs", "--skip-unsupported");
        Assert.Equal(1, code);
        Assert.Contains("mixed.cs exists; it is not overwritten.", stderr);
        Assert.Equal("// mine\n", File.ReadAllText(_git.PathOf("mixed.cs")));
        (code, _, _) = Mlops("notebook", "convert", notebook, "--to", "cs", "--skip-unsupported", "--force");
        Assert.Equal(0, code);
        Assert.Contains("var a = 1;", File.ReadAllText(_git.PathOf("mixed.cs")));

        var markdownOnly = Notebook("notes.ipynb", Cell("markdown", "# Notes only", "markdown"));
        (code, _, stderr) = Mlops("notebook", "convert", markdownOnly, "--to", "cs");
        Assert.Equal(1, code);
        Assert.Contains("notes.ipynb has no C# code to convert", stderr);
        Assert.False(File.Exists(_git.PathOf("notes.cs")));

        Assert.Equal(2, Mlops("notebook", "convert", notebook, "--to", "py").Code);
        Assert.Equal(1, Mlops("notebook", "convert", "missing.ipynb", "--to", "cs").Code);
    }
}
