using System.Text.Json.Nodes;
using MlopsNotebooks.Notebooks;
using MlopsNotebooks.Tests.Support;

namespace MlopsNotebooks.Tests.Runner;

/// <summary>`mlops notebook run` as a process over real notebook files; outputs checked with nbformat.</summary>
public sealed class NotebookRunnerTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static string Sample(string name) => Path.Combine(Programs.RepositoryRoot, "tests", "notebooks", name);

    private (int Code, string Out, string Err, string Output, JsonObject Result) Run(string notebook, params string[] args)
    {
        var output = _dir.File("out" + Path.GetExtension(notebook));
        var result = _dir.File("result.json");
        var (code, stdout, stderr) = Programs.Run(Programs.Mlops,
            ["notebook", "run", Sample(notebook), "--output", output, "--result", result, .. args],
            workingDirectory: _dir.Path,
            environment: new Dictionary<string, string?> { ["MLOPS_TRACKING_URI"] = _dir.File("mlops.db") });
        var json = File.Exists(result) ? JsonNode.Parse(File.ReadAllText(result))!.AsObject() : [];
        return (code, stdout, stderr, output, json);
    }

    private static JsonArray Cells(string output) => JsonNode.Parse(File.ReadAllText(output))!["cells"]!.AsArray();

    private static string Text(JsonNode? lines) => NbFormat.Text(lines);

    [Fact]
    public void A_five_cell_notebook_runs_and_its_outputs_are_valid_nbformat()
    {
        var (code, stdout, stderr, output, result) = Run("basics.ipynb");
        Assert.True(code == 0, stderr);
        Assert.Contains("cells ran", stdout);
        Assert.Equal("succeeded", (string)result["status"]!);
        NbFormat.AssertValid(output);
        var cells = Cells(output);
        Assert.Contains("<pre>7</pre>", Text(cells[2]!["outputs"]![0]!["data"]!["text/html"])); // html alone, as the kernel writes it
        Assert.Equal("execute_result", (string)cells[2]!["outputs"]![0]!["output_type"]!);
        var display = cells[3]!["outputs"]![0]!;
        Assert.Equal("display_data", (string)display["output_type"]!);
        Assert.Contains("<table>", Text(display["data"]!["text/html"]));
        Assert.Contains("Point { X = 3, Y = 4 }", Text(display["data"]!["text/html"]));
        Assert.Equal("total=6\n", Text(cells[4]!["outputs"]![0]!["text"]));
        Assert.Equal("hello, demo", Text(cells[5]!["outputs"]![0]!["data"]!["text/plain"]));
        Assert.Equal([1, 2, 3, 4, 5], cells.Where(c => (string)c!["cell_type"]! == "code").Select(c => (int)c!["execution_count"]!));
        Assert.Equal("completed", (string)cells[2]!["metadata"]!["papermill"]!["status"]!);
    }

    [Fact]
    public void Parameters_are_typed_from_their_defaults_and_injected_after_the_parameters_cell()
    {
        var (code, _, stderr, output, _) = Run("parameters.ipynb",
            "-p", "count=5", "-p", "big=9000000000", "-p", "rate=1e-3", "-p", "price=2.25", "-p", "shuffle=true",
            "-p", "trainer=Fast \"Tree\"", "-p", "limit=null", "-p", "cutoff=2026-01-31T12:00:00Z", "-p", "seed=7");
        Assert.True(code == 0, stderr);
        NbFormat.AssertValid(output);
        var notebook = JsonNode.Parse(File.ReadAllText(output))!;
        var cells = notebook["cells"]!.AsArray();
        Assert.Equal(["injected-parameters"], cells[1]!["metadata"]!["tags"]!.AsArray().Select(t => (string)t!));
        Assert.Equal("5|9000000000|0.001|2.25|True|Fast \"Tree\"|null|2026-01-31T12:00:00.0000000Z|7\n", Text(cells[2]!["outputs"]![0]!["text"]));
        Assert.Equal("5", (string)notebook["metadata"]!["papermill"]!["parameters"]!["count"]!);
    }

    [Theory]
    [InlineData("nope=1", "has no parameter 'nope'")]
    [InlineData("count=many", "Parameter 'count' is int; 'many' is not an int")]
    [InlineData("shuffle=yes", "'yes' is not true or false")]
    [InlineData("cutoff=someday", "is not a date")]
    [InlineData("rate", "is not name=value")]
    public void Bad_parameters_are_refused_before_anything_runs(string parameter, string message)
    {
        var (code, stdout, stderr, output, _) = Run("parameters.ipynb", "-p", parameter);
        Assert.Equal(1, code);
        Assert.Contains(message, stderr);
        Assert.False(File.Exists(output)); // nothing ran, nothing was written
        Assert.Equal("", stdout);
    }

    [Fact]
    public void A_compile_error_stops_the_run_with_the_cell_and_line_and_the_notebook_is_still_written()
    {
        var (code, _, stderr, output, result) = Run("compile-error.ipynb");
        Assert.Equal(1, code);
        Assert.Contains("cell 2, line 2: CompilationError", stderr);
        Assert.Equal(2, (int)result["failure"]!["cell"]!);
        Assert.Equal(2, (int)result["failure"]!["source_cell"]!);
        Assert.Equal(2, (int)result["failure"]!["line"]!);
        Assert.Contains("CS0029", (string)result["failure"]!["message"]!);
        NbFormat.AssertValid(output);
        var cells = Cells(output);
        Assert.Equal("stream", (string)cells[1]!["outputs"]![0]!["output_type"]!); // the diagnostics, on stderr
        Assert.Equal("error", (string)cells[1]!["outputs"]![1]!["output_type"]!);
        Assert.Equal("Error", (string)cells[1]!["outputs"]![1]!["ename"]!);
        Assert.Empty(cells[2]!["outputs"]!.AsArray()); // not run
        Assert.Null(cells[2]!["execution_count"]);
    }

    [Fact]
    public void An_exception_names_its_type_line_and_the_cells_own_frames()
    {
        var (code, _, stderr, output, result) = Run("exception.ipynb");
        Assert.Equal(1, code);
        Assert.Contains("cell 2, line 3: System.ArgumentOutOfRangeException", stderr);
        Assert.Equal(3, (int)result["failure"]!["line"]!);
        NbFormat.AssertValid(output);
        var outputs = Cells(output)[1]!["outputs"]!.AsArray();
        Assert.Equal("about to fail\n", Text(outputs[0]!["text"])); // output before the exception is kept
        var error = outputs[1]!;
        Assert.Equal("Error", (string)error["ename"]!);
        Assert.StartsWith("System.ArgumentOutOfRangeException", (string)error["evalue"]!);
        Assert.Contains(error["traceback"]!.AsArray(), l => ((string)l!).Contains("cell-2.csx:line 3"));
    }

    [Fact]
    public void A_failure_after_injected_parameters_names_the_cell_as_committed_too()
    {
        var notebook = _dir.File("params-fail.dib");
        File.WriteAllText(notebook, "#!csharp\n\n// parameters\nint n = 1;\n\n#!csharp\n\nthrow new InvalidOperationException($\"n={n}\");\n");
        var result = _dir.File("params-fail.json");
        var (code, _, _) = Programs.Run(Programs.Mlops, ["notebook", "run", notebook, "-p", "n=5", "--output", _dir.File("o.dib"), "--result", result]);
        Assert.Equal(1, code);
        var failure = JsonNode.Parse(File.ReadAllText(result))!["failure"]!;
        Assert.Equal((3, 2), ((int)failure["cell"]!, (int)failure["source_cell"]!));
        Assert.Equal("n=5", (string)failure["message"]!);
    }

    [Fact]
    public void Continue_on_error_runs_the_rest_but_the_run_still_fails()
    {
        var (code, _, _, output, result) = Run("exception.ipynb", "--continue-on-error");
        Assert.Equal(1, code);
        Assert.Equal(3, (int)result["cells_run"]!);
        Assert.Equal("never runs\n", Text(Cells(output)[2]!["outputs"]![0]!["text"]));
    }

    [Fact]
    public void A_cell_timeout_ends_the_run_with_the_notebook_written()
    {
        // 5 s, not 1: on a loaded machine compiling even a trivial first cell can take a second.
        var (code, _, stderr, output, result) = Run("timeout.ipynb", "--cell-timeout", "5");
        Assert.Equal(1, code);
        Assert.Contains("cell 2: Timeout: Cell 2 did not finish within 5 s.", stderr);
        Assert.Equal("Timeout", (string)result["failure"]!["kind"]!);
        NbFormat.AssertValid(output);
        Assert.Equal("Error", (string)Cells(output)[1]!["outputs"]![0]!["ename"]!);
        Assert.StartsWith("Cell 2 did not finish within 5 s.", (string)Cells(output)[1]!["outputs"]![0]!["evalue"]!);
    }

    [Fact]
    public void A_run_timeout_counts_across_cells()
    {
        var (code, _, stderr, _, _) = Run("timeout.ipynb", "--timeout", "2");
        Assert.Equal(1, code);
        Assert.Contains("Timeout", stderr);
    }

    [Fact]
    public void Other_languages_and_kernel_magics_fail_with_their_names_unless_skipped()
    {
        var (code, _, stderr, _, result) = Run("other-languages.ipynb");
        Assert.Equal(1, code);
        Assert.Contains("Cell 3 is in fsharp", stderr);
        Assert.Equal(3, (int)result["failure"]!["cell"]!);

        var (skipped, _, skipErr, output, _) = Run("other-languages.ipynb", "--skip-unsupported");
        Assert.True(skipped == 0, skipErr);
        NbFormat.AssertValid(output);
        var cells = Cells(output);
        Assert.Contains("Skipped: Cell 3 is in fsharp", Text(cells[2]!["outputs"]![0]!["text"]));
        Assert.Contains("#!set", Text(cells[3]!["outputs"]![0]!["text"]));
        Assert.Equal("csharp ran\n", Text(cells[4]!["outputs"]![0]!["text"]));
        Assert.Empty(cells[1]!["outputs"]!.AsArray()); // mermaid passes through
    }

    [Fact]
    public void An_unknown_magic_command_is_an_error_with_its_line()
    {
        var (code, _, stderr, _, _) = Run("unknown-magic.ipynb");
        Assert.Equal(1, code);
        Assert.Contains("line 1: UnknownMagic: Cell 1, line 1: unknown magic command #!frobnicate", stderr);
    }

    [Fact]
    public void A_dib_notebook_round_trips_with_its_parameters_cell()
    {
        var (code, _, stderr, output, _) = Run("basics.dib", "-p", "epochs=4");
        Assert.True(code == 0, stderr);
        var written = Dib.Read(output);
        var original = Dib.Read(Sample("basics.dib"));
        Assert.Equal(original.Cells.Count + 1, written.Cells.Count);
        Assert.Equal(original.Cells[0].Source, written.Cells[0].Source);
        Assert.Contains("int epochs = 4;", written.Cells[1].Source);
        Assert.Equal(original.Cells.Skip(1).Select(c => (c.Language, c.Source)), written.Cells.Skip(2).Select(c => (c.Language, c.Source)));
        Assert.Equal(original.Metadata.ToJsonString(), written.Metadata["kernelInfo"] is null ? "" : JsonNode.Parse(original.Metadata.ToJsonString())!.ToJsonString());
    }

    [Fact]
    public void A_nuget_package_is_restored_once_and_used()
    {
        var cache = _dir.File("nuget-cache");
        var env = new Dictionary<string, string?> { ["MLOPS_NUGET_CACHE"] = cache, ["MLOPS_TRACKING_URI"] = _dir.File("mlops.db") };
        var output = _dir.File("nuget-out.ipynb");
        var (code, _, stderr) = Programs.Run(Programs.Mlops, ["notebook", "run", Sample("nuget.ipynb"), "--output", output], environment: env);
        Assert.True(code == 0, stderr);
        Assert.Equal("{\"a\":1,\"b\":\"two\"}", Text(Cells(output)[0]!["outputs"]![0]!["data"]!["text/plain"]));
        var restored = Directory.GetDirectories(cache);
        var assets = File.GetLastWriteTimeUtc(Path.Combine(Assert.Single(restored), "obj", "project.assets.json"));

        var (again, _, againErr) = Programs.Run(Programs.Mlops, ["notebook", "run", Sample("nuget.ipynb"), "--output", output], environment: env);
        Assert.True(again == 0, againErr);
        Assert.Equal(assets, File.GetLastWriteTimeUtc(Path.Combine(restored[0], "obj", "project.assets.json"))); // nothing restored again
    }

    [Fact]
    public void A_dll_is_referenced_by_path_relative_to_the_notebook()
    {
        // YamlDotNet sits beside the tests; the kit does not reference it from notebooks on its own.
        File.Copy(Path.Combine(AppContext.BaseDirectory, "YamlDotNet.dll"), _dir.File("YamlDotNet.dll"));
        var notebook = _dir.File("dll.dib");
        File.WriteAllText(notebook, "#!csharp\n\n#r \"YamlDotNet.dll\"\nnew YamlDotNet.Serialization.SerializerBuilder().Build().Serialize(new { a = 1 })\n");
        var (code, stdout, stderr) = Programs.Run(Programs.Mlops, ["notebook", "run", notebook, "--output", _dir.File("dll-out.dib"), "--json"]);
        Assert.True(code == 0, stderr);
        var result = JsonNode.Parse(stdout)!;
        Assert.Equal(("succeeded", 1), ((string)result["status"]!, (int)result["cells_run"]!));
        var missing = _dir.File("missing.dib");
        File.WriteAllText(missing, "#!csharp\n\n#r \"nowhere.dll\"\n");
        var (failed, _, error) = Programs.Run(Programs.Mlops, ["notebook", "run", missing, "--output", _dir.File("missing-out.dib")]);
        Assert.Equal(1, failed);
        Assert.Contains("line 1: CompilationError", error);
        Assert.Contains("nowhere.dll", error);
    }

    [Fact]
    public void A_malformed_notebook_is_refused_with_what_is_wrong()
    {
        var broken = _dir.File("broken.ipynb");
        File.WriteAllText(broken, "{\"cells\": [], \"nbformat\": 3, \"metadata\": {}}");
        var (code, _, stderr) = Programs.Run(Programs.Mlops, ["notebook", "run", broken]);
        Assert.Equal(1, code);
        Assert.Contains("only nbformat 4 is supported", stderr);
        File.WriteAllText(broken, "{\"cells\": [ {\"cell_type\": \"code\"");
        Assert.Contains("JSON is broken", Programs.Run(Programs.Mlops, ["notebook", "run", broken]).Error);
        Assert.Contains("There is no notebook", Programs.Run(Programs.Mlops, ["notebook", "run", _dir.File("none.ipynb")]).Error);
    }
}
