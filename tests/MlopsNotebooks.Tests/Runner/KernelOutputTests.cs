using System.Text.Json.Nodes;
using MlopsNotebooks.Tests.Support;

namespace MlopsNotebooks.Tests.Runner;

/// <summary>
/// The outputs the runner writes are the ones the .NET kernel writes for the same cell through Jupyter (seen with
/// `jupyter nbconvert --execute` on the released kernel): the output types, the mime types in each bundle, their order
/// and the error names and messages.
/// </summary>
public sealed class KernelOutputTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>Runs a notebook of C# cells to the end (failures included) and returns its executed cells.</summary>
    private (int Code, string Err, JsonArray Cells) Run(params string[] sources)
    {
        var notebook = _dir.File("cells.ipynb");
        File.WriteAllText(notebook, new JsonObject
        {
            ["cells"] = new JsonArray(sources.Select(s => (JsonNode)new JsonObject
            {
                ["cell_type"] = "code",
                ["execution_count"] = null,
                ["metadata"] = new JsonObject(),
                ["outputs"] = new JsonArray(),
                ["source"] = s,
            }).ToArray()),
            ["metadata"] = new JsonObject { ["kernelspec"] = new JsonObject { ["display_name"] = ".NET (C#)", ["language"] = "C#", ["name"] = ".net-csharp" } },
            ["nbformat"] = 4,
            ["nbformat_minor"] = 5,
        }.ToJsonString());
        var output = _dir.File("out.ipynb");
        var (code, _, stderr) = Programs.Run(Programs.Mlops, ["notebook", "run", notebook, "--output", output, "--continue-on-error"],
            workingDirectory: _dir.Path, environment: new Dictionary<string, string?> { ["MLOPS_TRACKING_URI"] = _dir.File("mlops.db") });
        NbFormat.AssertValid(output);
        return (code, stderr, JsonNode.Parse(File.ReadAllText(output))!["cells"]!.AsArray());
    }

    private static string Text(JsonNode? lines) => NbFormat.Text(lines);

    /// <summary>A cell's outputs in short: "stream stdout", "display_data text/html", "error Error".</summary>
    private static List<string> Shapes(JsonNode cell) => cell["outputs"]!.AsArray().Select(o => (string)o!["output_type"]! switch
    {
        "stream" => $"stream {o!["name"]}",
        "error" => $"error {o!["ename"]}",
        var type => $"{type} {string.Join(" ", o!["data"]!.AsObject().Select(d => d.Key))}",
    }).ToList();

    [Fact]
    public void Values_are_written_as_html_alone_and_strings_as_plain_text_alone_as_the_kernel_writes_them()
    {
        var (code, stderr, cells) = Run(
            "1 + 1", "\"hello\"", "new { A = 1, B = \"x\" }", "new[] { 1, 2, 3 }", "new List<string> { \"a\" }", "null",
            "new Microsoft.AspNetCore.Html.HtmlString(\"<b>h</b>\")", "DateTime.Parse(\"2020-01-01\")",
            "var run = Mlops.StartRun(\"r\"); Mlops.EndRun(); Mlops.GetRun(run.RunId)",
            "display(2); display(\"s\"); display(new { X = 1 });");

        Assert.True(code == 0, stderr);
        for (var i = 0; i < 9; i++)
        {
            Assert.Equal([i == 1 ? "execute_result text/plain" : "execute_result text/html"], Shapes(cells[i]!));
        }
        Assert.Equal(["display_data text/html", "display_data text/plain", "display_data text/html"], Shapes(cells[9]!));
        Assert.Equal("hello", Text(cells[1]!["outputs"]![0]!["data"]!["text/plain"]));
        Assert.Equal("<b>h</b>", Text(cells[6]!["outputs"]![0]!["data"]!["text/html"]));
        Assert.Contains("<pre>&lt;null&gt;</pre>", Text(cells[5]!["outputs"]![0]!["data"]!["text/html"]));
    }

    [Fact]
    public void A_string_a_magic_command_returns_is_displayed_as_plain_text_not_written_to_stdout()
    {
        var (code, stderr, cells) = Run("#!mlops start-run --name first\nConsole.WriteLine(\"code\");", "#!mlops end-run");

        Assert.True(code == 0, stderr);
        Assert.Equal(["display_data text/plain", "stream stdout"], Shapes(cells[0]!));
        Assert.StartsWith("Started run ", Text(cells[0]!["outputs"]![0]!["data"]!["text/plain"]));
        Assert.Equal(["display_data text/plain"], Shapes(cells[1]!));
    }

    [Fact]
    public void Console_output_and_displays_keep_the_order_they_happened_in_and_consecutive_writes_are_one_stream()
    {
        var (code, stderr, cells) = Run(
            "Console.WriteLine(\"a\"); display(1); Console.Write(\"b\"); Console.WriteLine(\"c\"); 5",
            "Console.Error.Write(\"e\"); Console.Write(\"o\"); Console.Error.Write(\"e2\");",
            "var t = new System.Threading.Thread(() => Console.WriteLine(\"from a thread\")); t.Start(); t.Join(); Console.Write(\"!\");");

        Assert.True(code == 0, stderr);
        Assert.Equal(["stream stdout", "display_data text/html", "stream stdout", "execute_result text/html"], Shapes(cells[0]!));
        Assert.Equal("a\n", Text(cells[0]!["outputs"]![0]!["text"]));
        Assert.Equal("bc\n", Text(cells[0]!["outputs"]![2]!["text"]));
        Assert.Equal(["stream stderr", "stream stdout", "stream stderr"], Shapes(cells[1]!));
        Assert.Equal(["stream stdout"], Shapes(cells[2]!));
        Assert.Equal("from a thread\n!", Text(cells[2]!["outputs"]![0]!["text"]));
    }

    [Fact]
    public void A_cell_that_does_not_compile_shows_its_diagnostics_on_stderr_and_the_kernels_compilation_error()
    {
        var (code, stderr, cells) = Run("Console.WriteLine(\"never\");\nundefinedThing", "#warning look here\n1");

        Assert.Equal(1, code);
        Assert.Contains("cell 1, line 2: CompilationError", stderr); // the run's report keeps the cell and the line
        Assert.Equal(["stream stderr", "error Error"], Shapes(cells[0]!));
        Assert.Equal("\n(2,1): error CS0103: The name 'undefinedThing' does not exist in the current context\n\n", Text(cells[0]!["outputs"]![0]!["text"]));
        Assert.Equal("compilation error", (string)cells[0]!["outputs"]![1]!["evalue"]!);
        Assert.Empty(cells[0]!["outputs"]![1]!["traceback"]!.AsArray());
        Assert.Equal(["stream stderr", "execute_result text/html"], Shapes(cells[1]!)); // warnings are shown, before the value
        Assert.Equal("\n(1,10): warning CS1030: #warning: 'look here'\n\n", Text(cells[1]!["outputs"]![0]!["text"]));
    }

    [Fact]
    public void An_exception_is_an_Error_whose_value_is_the_exception_and_whose_traceback_is_its_stack()
    {
        var (code, stderr, cells) = Run("Console.WriteLine(\"before\");\nthrow new InvalidOperationException(\"boom\\nsecond line\");");

        Assert.Equal(1, code);
        Assert.Contains("cell 1, line 2: System.InvalidOperationException: boom", stderr);
        Assert.Equal(["stream stdout", "error Error"], Shapes(cells[0]!));
        var error = cells[0]!["outputs"]![1]!;
        var value = (string)error["evalue"]!;
        Assert.StartsWith("System.InvalidOperationException: boom\nsecond line\n   at Submission#", value);
        var traceback = error["traceback"]!.AsArray().Select(l => (string)l!).ToList();
        Assert.Equal(value, traceback[0]);
        Assert.StartsWith("   at Submission#", traceback[1]);
        Assert.Contains("cell-1.csx:line 2", traceback[1]);
    }

    [Fact]
    public void A_magic_command_error_is_an_Error_with_the_message_and_hint_and_no_cell_position()
    {
        var (code, stderr, cells) = Run("1", "#!mlops end-run");

        Assert.Equal(1, code);
        Assert.Contains("cell 2, line 1: MagicCommandError", stderr);
        var error = cells[1]!["outputs"]!.AsArray().Last()!;
        Assert.Equal("Error", (string)error["ename"]!);
        Assert.Equal("There is no active run to end.\nStart one with #!mlops start-run.", (string)error["evalue"]!);
        Assert.Equal([(string)error["evalue"]!], error["traceback"]!.AsArray().Select(l => (string)l!));
    }

    [Fact]
    public void The_formatting_librarys_display_methods_write_display_data_where_they_are_called_and_an_update_is_not_written()
    {
        var (code, stderr, cells) = Run(
            "Console.WriteLine(\"a\"); var v = 0.Display(); v.Update(1); Console.WriteLine(\"b\");",
            "\"<b>x</b>\".DisplayAs(\"text/html\")",
            "new[] { 1, 2 }.DisplayTable()",
            "v.Update(2);");

        Assert.True(code == 0, stderr);
        Assert.Equal(["stream stdout", "display_data text/html", "stream stdout"], Shapes(cells[0]!));
        // The kernel's update carries a new display id, so Jupyter keeps the first value in the file: so does the runner.
        Assert.Contains("<pre>0</pre>", Text(cells[0]!["outputs"]![1]!["data"]!["text/html"]));
        Assert.Equal(["display_data text/html"], Shapes(cells[1]!)); // no execute_result for the DisplayedValue
        Assert.Equal("<b>x</b>", Text(cells[1]!["outputs"]![0]!["data"]!["text/html"]));
        Assert.Equal(["display_data text/csv text/html"], Shapes(cells[2]!));
        Assert.Equal("value\n1\n2\n", Text(cells[2]!["outputs"]![0]!["data"]!["text/csv"]));
        Assert.Empty(Shapes(cells[3]!));
    }

    [Fact]
    public void The_kernels_display_HTML_Javascript_and_CSS_globals_work_with_its_signatures()
    {
        var (code, stderr, cells) = Run(
            "display(HTML(\"<b>hi</b>\"))",
            "HTML(\"<i>it</i>\")",
            "Javascript(\"console.log(1)\")",
            "CSS(\"p { color: red; }\")",
            "display(new { A = 1 }, \"application/json\", \"text/html\")",
            "display(\"x\", \"text/html\")");

        Assert.True(code == 0, stderr);
        Assert.Equal(["display_data text/html"], Shapes(cells[0]!));
        Assert.Equal("<b>hi</b>", Text(cells[0]!["outputs"]![0]!["data"]!["text/html"]));
        Assert.Equal(["execute_result text/html"], Shapes(cells[1]!));
        Assert.Equal("<i>it</i>", Text(cells[1]!["outputs"]![0]!["data"]!["text/html"]));
        Assert.Equal("<script type=\"text/javascript\">console.log(1)</script>", Text(cells[2]!["outputs"]![0]!["data"]!["text/html"]));
        Assert.Equal(["display_data text/html"], Shapes(cells[3]!));
        Assert.Contains("p { color: red; }", Text(cells[3]!["outputs"]![0]!["data"]!["text/html"]));
        Assert.Equal(["display_data application/json text/html"], Shapes(cells[4]!));
        Assert.Equal(1, (int)cells[4]!["outputs"]![0]!["data"]!["application/json"]!["A"]!); // JSON as JSON, as Jupyter keeps it
        Assert.Equal(["display_data text/html"], Shapes(cells[5]!));
        Assert.Contains("<pre>x</pre>", Text(cells[5]!["outputs"]![0]!["data"]!["text/html"]));
    }

    [Fact]
    public void The_session_imports_what_the_kernels_does_and_no_more()
    {
        var (_, _, cells) = Run(
            "new StringBuilder().Append(new ArrayList().Count).Append(new List<int>().Count).Append(Task.CompletedTask.IsCompleted).Append(new[] { 1 }.Sum()).ToString()",
            "typeof(Formatter)",
            "File.Exists(\"x\")");

        Assert.Equal(["execute_result text/plain"], Shapes(cells[0]!));
        Assert.Contains("error CS0246: The type or namespace name 'Formatter'", Text(cells[1]!["outputs"]![0]!["text"]));
        Assert.Contains("error CS0103: The name 'File'", Text(cells[2]!["outputs"]![0]!["text"]));
    }

    [Fact]
    public void The_wall_time_of_a_timed_cell_is_displayed_after_its_value()
    {
        var (code, stderr, cells) = Run("#!time\nConsole.WriteLine(\"t\"); 3");

        Assert.True(code == 0, stderr);
        Assert.Equal(["stream stdout", "execute_result text/html", "display_data text/plain"], Shapes(cells[0]!));
        Assert.Matches(@"^Wall time: [0-9.]+ms$", Text(cells[0]!["outputs"]![2]!["data"]!["text/plain"]));
    }
}
