using System.Text.Json.Nodes;
using MlopsNotebooks.Notebooks;
using MlopsNotebooks.Tests.Support;

namespace MlopsNotebooks.Tests.Runner;

/// <summary>
/// A cell's magic command lines are read as the kernel reads them: on any line, kernel selectors in the middle of a
/// cell, <c>#!import</c> of files and notebooks, and <c>#load</c>/<c>#r</c> paths relative to the notebook. Each expected
/// output is what the released kernel wrote for the same cell through Jupyter.
/// </summary>
public sealed class DirectiveTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public DirectiveTests() => Directory.CreateDirectory(Folder);

    public void Dispose() => _dir.Dispose();

    /// <summary>The notebooks' folder; the runner is started elsewhere, so relative paths must be the notebook's.</summary>
    private string Folder => _dir.File("notebooks");

    private string Beside(string name, string text)
    {
        var path = Path.Combine(Folder, name);
        File.WriteAllText(path, text);
        return path;
    }

    private static Notebook CSharpCells(params string[] cells) => new()
    {
        Format = NotebookFormat.Ipynb,
        Metadata = new JsonObject { ["kernelspec"] = new JsonObject { ["name"] = ".net-csharp", ["display_name"] = ".NET (C#)", ["language"] = "C#" } },
        Cells = cells.Select(c => new NotebookCell { Kind = CellKind.Code, Language = "csharp", Source = c }).ToList(),
    };

    /// <summary>Runs C# cells (going on after a failing one) and returns the exit code, stderr and each cell's outputs.</summary>
    private (int Code, string Err, List<JsonArray> Outputs) Run(string[] cells, params string[] args)
    {
        var notebook = Path.Combine(Folder, "cells.ipynb");
        CSharpCells(cells).Write(notebook);
        var output = _dir.File("out.ipynb");
        var (code, _, stderr) = Programs.Run(Programs.Mlops, ["notebook", "run", notebook, "--output", output, "--continue-on-error", .. args],
            workingDirectory: _dir.Path, environment: new Dictionary<string, string?> { ["MLOPS_TRACKING_URI"] = _dir.File("mlops.db") });
        NbFormat.AssertValid(output);
        var written = JsonNode.Parse(File.ReadAllText(output))!["cells"]!.AsArray();
        return (code, stderr, written.Select(c => c!["outputs"]!.AsArray()).ToList());
    }

    private static string Text(JsonNode? lines) => NbFormat.Text(lines);

    /// <summary>An output in short: "stdout: text", "text/html: ...", "error Kind: message".</summary>
    private static string Describe(JsonNode? output) => (string)output!["output_type"]! switch
    {
        "stream" => $"{output["name"]}: {Text(output["text"])}",
        "error" => $"error {output["ename"]}: {output["evalue"]}",
        _ => string.Join(" | ", output["data"]!.AsObject().Select(p => $"{p.Key}: {Text(p.Value)}")),
    };

    private static List<string> Describe(JsonArray outputs) => outputs.Select(Describe).ToList();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Html_markdown_and_mermaid_selectors_display_what_the_kernel_displays(bool skipUnsupported)
    {
        var (code, stderr, outputs) = Run(
        [
            "#!html\n<b>bold</b>",
            "#!html\n\n  <b>spaced</b>  \n",
            "#!markdown\n# Title\nSome *text*",
            "#!mermaid\ngraph TD; A-->B;",
            "var x = 1;\nConsole.WriteLine(\"cs part\");\n#!html\n<i>html part</i>\n#!csharp\nConsole.WriteLine(x + 1);",
            "Console.WriteLine(\"one\");\n#!markdown\n# Head\n#!csharp\nConsole.WriteLine(\"never\");",
        ], skipUnsupported ? ["--skip-unsupported"] : []);

        Assert.True(code == 0, stderr);
        Assert.Equal(["text/html: <b>bold</b>"], Describe(outputs[0]));
        Assert.Equal(["text/html: <b>spaced</b>"], Describe(outputs[1]));
        Assert.Equal(["text/html: <h1 id=\"title\">Title</h1>\n<p>Some <em>text</em></p>\n"], Describe(outputs[2]));
        var mermaid = Assert.Single(Describe(outputs[3]));
        Assert.StartsWith("text/html: <div class=\"mermaidMarkdownContainer\" style=\"background-color:white\">", mermaid);
        Assert.Contains("import mermaid from 'https://cdn.jsdelivr.net/npm/mermaid@10.6.1/dist/mermaid.esm.min.mjs';", mermaid);
        Assert.Contains("`graph TD; A-->B;`", mermaid);
        // The kernel runs each part in turn, in the one C# session.
        Assert.Equal(["stdout: cs part\n", "text/html: <i>html part</i>", "stdout: 2\n"], Describe(outputs[4]));
        // Jupyter's #!markdown renders the whole cell, without its #!markdown lines, after what came before, and ends it.
        Assert.Equal(["stdout: one\n", "text/html: <p>Console.WriteLine(&quot;one&quot;);</p>\n<h1 id=\"head\">Head</h1>\n<p>#!csharp\nConsole.WriteLine(&quot;never&quot;);</p>\n"],
            Describe(outputs[5]));
    }

    [Fact]
    public void A_part_in_another_language_fails_its_cell_unless_skipped_and_then_the_csharp_around_it_runs()
    {
        string[] cells = ["Console.WriteLine(\"before\");\n#!fsharp\nprintfn \"hi\"\n#!csharp\nConsole.WriteLine(\"after\");"];

        var (code, stderr, outputs) = Run(cells);
        Assert.Equal(1, code);
        Assert.Contains("Cell 1, line 2 is in fsharp; the headless runner runs C# only.", stderr);
        Assert.DoesNotContain("stdout: before\n", Describe(outputs[0])); // nothing ran: the cell is refused as a whole

        var (skipped, skipErr, skippedOutputs) = Run(cells, "--skip-unsupported");
        Assert.True(skipped == 0, skipErr);
        Assert.Equal(["stdout: before\n", "stderr: Skipped: Cell 1, line 2 is in fsharp; the headless runner runs C# only.\n", "stdout: after\n"],
            Describe(skippedOutputs[0]));
    }

    [Fact]
    public void A_magic_command_on_any_line_runs_in_its_place()
    {
        var (code, stderr, outputs) = Run(
        [
            "// a comment first\n#!time\nConsole.WriteLine(\"after time\");",
            "var a = 41;\n#!time\nConsole.WriteLine(a + 1);",
            $"#r \"{typeof(MlopsNotebooks.Tracking.Mlops).Assembly.Location}\"\n#!mlops experiment directives\nConsole.WriteLine(Mlops.ExperimentName);",
            "Console.WriteLine(\"x\");\n#!mlops experiment second\nConsole.WriteLine(Mlops.ExperimentName);",
        ]);

        Assert.True(code == 0, stderr);
        Assert.Equal("stdout: after time\n", Describe(outputs[0])[0]);
        Assert.Matches(@"^text/plain: Wall time: [0-9.]+ms$", Describe(outputs[0])[1]); // after the outputs, as the kernel shows it
        Assert.Contains("stdout: 42\n", Describe(outputs[1]));
        Assert.Contains("stdout: directives\n", Describe(outputs[2]));
        var mixed = Describe(outputs[3]);
        Assert.True(mixed.IndexOf("stdout: x\n") is >= 0 and var x && x < mixed.IndexOf("stdout: second\n"), string.Join(", ", mixed)); // in the cell's order
        Assert.DoesNotContain("CS9378", stderr);
    }

    [Fact]
    public void A_magic_line_inside_a_string_is_a_magic_as_in_the_kernel_and_an_indented_one_stays_csharp()
    {
        var (code, stderr, outputs) = Run(
        [
            "var script = \"\"\"\n#!/bin/bash\necho hi\n\"\"\";\nConsole.WriteLine(\"ran\");",
            "var indented = \"\"\"\n    #!/bin/bash\n    echo hi\n    \"\"\";\nConsole.WriteLine(indented);",
            "/*\n#!html\n<b>in a comment</b>\n*/\nConsole.WriteLine(\"ran\");",
        ]);

        Assert.Equal(1, code);
        // The kernel refuses the whole cell (DNI101); so does the runner, and says how to keep the line.
        var refused = Assert.Single(Describe(outputs[0]));
        Assert.StartsWith("error Error: unknown magic command #!/bin/bash.", refused); // named Error, as the kernel names it; the report keeps the line
        Assert.Contains("indent", Text(outputs[0][0]!["traceback"]));
        Assert.Equal(["stdout: #!/bin/bash\necho hi\n"], Describe(outputs[1]));
        // A comment is no shelter either: the kernel sends "/*" to C# and fails with CS1035, as here.
        Assert.Equal(["error Error: compilation error"], Describe(outputs[2]).Skip(1));
        Assert.Contains("CS1035", Describe(outputs[2])[0]); // on stderr, as the kernel shows diagnostics
    }

    [Fact]
    public void Import_runs_a_csharp_file_or_a_notebook_relative_to_the_notebook_in_its_place()
    {
        Beside("helper.cs", "static int Twice(int x) => x * 2;\nConsole.WriteLine(\"helper.cs ran\");\n");
        Beside("helper.csx", "#!/usr/bin/env dotnet-script\nstatic int Thrice(int x) => x * 3;\nConsole.WriteLine(\"helper.csx ran\");\n");
        Beside("lib.dib", "#!meta\n\n{\"kernelInfo\":{\"defaultKernelName\":\"csharp\",\"items\":[{\"aliases\":[],\"name\":\"csharp\"}]}}\n\n"
            + "#!markdown\n\n# Lib heading\n\n#!csharp\n\nstatic int Quad(int x) => x * 4;\nConsole.WriteLine(\"lib.dib ran\");\n\n#!csharp\n\n\"dib value\"\n");
        var lib = CSharpCells("static int Five(int x) => x * 5;\nConsole.WriteLine(\"lib.ipynb ran\");");
        lib.Cells.Insert(0, new NotebookCell { Kind = CellKind.Markdown, Language = "markdown", Source = "## Lib md" });
        lib.Write(Path.Combine(Folder, "lib.ipynb"));

        var (code, stderr, outputs) = Run(
        [
            "#!import helper.cs\nConsole.WriteLine(Twice(2));",
            "#!import \"helper.csx\"\nConsole.WriteLine(Thrice(2));",
            "Console.WriteLine(\"before\");\n#!import lib.dib\nConsole.WriteLine(Quad(2));",
            "#!import --file lib.ipynb\nConsole.WriteLine(Five(2));",
        ]);

        Assert.True(code == 0, stderr);
        Assert.Equal(["stdout: helper.cs ran\n4\n"], Describe(outputs[0])); // one stream: Jupyter joins consecutive writes
        // A dotnet-script interpreter line: the kernel reports it on stderr and runs the rest.
        Assert.Equal(["stderr: Cell 2, line 1: #!import \"helper.csx\": line 1 of helper.csx (#!/usr/bin/env dotnet-script) is a script's interpreter line; it is not run.\n",
            "stdout: helper.csx ran\n6\n"], Describe(outputs[1]));
        // A notebook's markdown is shown as markdown, its cells run in order, values shown: as the kernel writes them.
        Assert.Equal(["stdout: before\n", "text/markdown: # Lib heading", "stdout: lib.dib ran\n", "text/plain: dib value", "stdout: 8\n"], Describe(outputs[2]));
        Assert.Equal(["text/markdown: ## Lib md", "stdout: lib.ipynb ran\n10\n"], Describe(outputs[3]));
    }

    [Fact]
    public void Import_of_a_missing_file_a_folder_another_kind_or_itself_fails_its_cell_with_a_clear_message()
    {
        Beside("data.txt", "data");
        Beside("helper.fsx", "printfn \"fsx\"");
        Beside("loop.dib", "#!csharp\n\n#!import loop.dib\n");
        Directory.CreateDirectory(Path.Combine(Folder, "sub"));
        Beside("throws.dib", "#!csharp\n\nConsole.WriteLine(\"first\");\n\n#!csharp\n\nthrow new Exception(\"boom in import\");\n\n#!csharp\n\nConsole.WriteLine(\"third\");\n");

        var (code, stderr, outputs) = Run(
        [
            "#!import nosuch.dib\nConsole.WriteLine(\"after\");",
            "#!import data.txt",
            "#!import sub",
            "#!import loop.dib",
            "#!import",
            "#!import helper.fsx",
            "#!import cells.ipynb",
        ]);

        Assert.Equal(1, code);
        Assert.DoesNotContain("   at ", stderr); // no stack trace
        string[] messages =
        [
            $"#!import nosuch.dib: there is no file at {Path.Combine(Folder, "nosuch.dib")}.",
            "#!import data.txt: the runner imports notebooks (.ipynb, .dib) and C# files (.cs, .csx), not .txt files.",
            $"#!import sub: {Path.Combine(Folder, "sub")} is a folder, not a file.",
            "#!import loop.dib: loop.dib imports itself",
            "#!import needs the file to import",
            "#!import helper.fsx: helper.fsx is in fsharp; the headless runner runs C# only.",
            "#!import cells.ipynb: cells.ipynb imports itself (cells.ipynb -> cells.ipynb).",
        ];
        for (var i = 0; i < messages.Length; i++)
        {
            var error = Assert.Single(outputs[i], o => (string)o!["output_type"]! == "error")!;
            Assert.StartsWith(messages[i], (string)error["evalue"]!);
            Assert.DoesNotContain("stdout: after\n", Describe(outputs[i]));
        }

        // A failing cell of an imported notebook fails the cell that imports it (the kernel would drop the error).
        var (failed, failedErr, failedOutputs) = Run(["#!import throws.dib\nConsole.WriteLine(\"after\");"]);
        Assert.Equal(1, failed);
        Assert.Equal("stdout: first\n", Describe(failedOutputs[0])[0]);
        Assert.StartsWith("error Error: System.Exception: boom in import", Assert.Single(Describe(failedOutputs[0]), o => o.StartsWith("error", StringComparison.Ordinal)));
        Assert.Contains("line 1: System.Exception: #!import throws.dib: boom in import", failedErr);
    }

    [Fact]
    public void Each_cell_has_the_next_execution_count_however_many_submissions_it_holds_as_in_jupyter()
    {
        var notebook = Path.Combine(Folder, "cells.ipynb");
        CSharpCells("1 + 1\n#!time\n2 + 2", "#!mlops experiment counts", "#!frobnicate", "3").Write(notebook);
        var output = _dir.File("out.ipynb");
        Programs.Run(Programs.Mlops, ["notebook", "run", notebook, "--output", output, "--continue-on-error"],
            workingDirectory: _dir.Path, environment: new Dictionary<string, string?> { ["MLOPS_TRACKING_URI"] = _dir.File("mlops.db") });

        var cells = JsonNode.Parse(File.ReadAllText(output))!["cells"]!.AsArray();
        Assert.Equal([1, 2, 3, 4], cells.Select(c => (int?)c!["execution_count"]));
        Assert.Equal([1, 1], cells[0]!["outputs"]!.AsArray().Where(o => (string)o!["output_type"]! == "execute_result").Select(o => (int)o!["execution_count"]!));
        Assert.Equal(4, (int)cells[3]!["outputs"]![0]!["execution_count"]!);
    }

    [Fact]
    public void A_skipped_kernel_magic_is_named_in_the_output_and_the_rest_of_its_cell_runs()
    {
        var (code, stderr, outputs) = Run(["#!set --name x --value 1\nConsole.WriteLine(\"csharp ran\");"], "--skip-unsupported");

        Assert.True(code == 0, stderr);
        Assert.Equal(["stderr: Skipped: Cell 1 uses the kernel magic #!set, which the headless runner does not support.\n", "stdout: csharp ran\n"],
            Describe(outputs[0]));
    }

    [Fact]
    public void Load_and_r_paths_are_relative_to_the_notebook_and_a_missing_one_fails_its_cell()
    {
        Beside("helper2.csx", "static string Hello() => \"hello from csx\";\n");
        var library = Path.Combine(Folder, "lib", "Core.dll");
        Directory.CreateDirectory(Path.GetDirectoryName(library)!);
        File.Copy(typeof(MlopsNotebooks.Tracking.Mlops).Assembly.Location, library);

        var (code, stderr, outputs) = Run(
        [
            "#load \"helper2.csx\"\nConsole.WriteLine(Hello());",
            "#r \"lib/Core.dll\"\nConsole.WriteLine(typeof(MlopsNotebooks.Tracking.Mlops).Name);",
            "#load \"nosuch.csx\"",
        ]);

        Assert.Equal(1, code);
        Assert.Equal(["stdout: hello from csx\n"], Describe(outputs[0]));
        Assert.Equal(["stdout: Mlops\n"], Describe(outputs[1]));
        // As the kernel shows a compile error: the diagnostics on stderr, then "compilation error".
        Assert.Equal(2, Describe(outputs[2]).Count);
        Assert.StartsWith("stderr: \n(1,7): error CS1504: Source file", Describe(outputs[2])[0]);
        Assert.Equal("error Error: compilation error", Describe(outputs[2])[1]);
        Assert.Contains("nosuch.csx", Describe(outputs[2])[0]);
    }
}
