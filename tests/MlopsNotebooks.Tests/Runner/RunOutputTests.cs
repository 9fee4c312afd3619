using System.Text.Json.Nodes;
using MlopsNotebooks.Notebooks;
using MlopsNotebooks.Tests.Support;

namespace MlopsNotebooks.Tests.Runner;

/// <summary>Where a run writes: checked before the first cell runs, and written in the format the file's name says.</summary>
public sealed class RunOutputTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>A notebook whose only cell leaves a file behind, so a test sees whether any cell ran.</summary>
    private string MarkingNotebook()
    {
        var notebook = _dir.File("marks.dib");
        File.WriteAllText(notebook, "#!csharp\n\nSystem.IO.File.WriteAllText(\"ran.txt\", \"yes\");\n\"done\"\n");
        return notebook;
    }

    private (int Code, string Out, string Err) Mlops(params string[] args) =>
        Programs.Run(Programs.Mlops, ["notebook", "run", .. args], workingDirectory: _dir.Path,
            environment: new Dictionary<string, string?> { ["MLOPS_TRACKING_URI"] = _dir.File("mlops.db") });

    public static TheoryData<string, string, string> Unwritable => new()
    {
        { "--output", "{dir}", "is a folder; name a file in it" },
        { "--output", "/proc", "is a folder; name a file in it" },
        { "--output", "/proc/out.ipynb", "does not take new files" },
        { "--output", "/proc/self/status", "does not take new files" },
        { "--output", "{dir}/" + new string('n', 300) + ".ipynb", "longer than the file system allows" },
        { "--output", "{dir}/" + new string('f', 300) + "/out.ipynb", "the folder name 'fff" },
        { "--output", "{dir}/marks.dib/out.ipynb", "marks.dib is a file, not a folder" },
        { "--result", "{dir}", "is a folder; name a file in it" },
        { "--result", "/proc/result.json", "does not take new files" },
        { "--result", "{dir}/" + new string('r', 300) + ".json", "longer than the file system allows" },
    };

    [Theory]
    [MemberData(nameof(Unwritable))]
    public void An_output_that_cannot_be_written_is_refused_before_any_cell_runs(string option, string path, string message)
    {
        var notebook = MarkingNotebook();
        path = path.Replace("{dir}", _dir.Path, StringComparison.Ordinal);
        var before = Directory.GetFileSystemEntries(_dir.Path).Order().ToList();
        var args = option == "--output" ? new[] { notebook, "--output", path } : [notebook, "--output", _dir.File("out.ipynb"), "--result", path];

        var (code, stdout, stderr) = Mlops(args);

        Assert.True(code == 1, $"exit {code}: {stderr}");
        Assert.StartsWith($"error: {option} ", stderr);
        Assert.Contains(message, stderr);
        Assert.Contains($"Pass {option} with a file path", stderr);
        Assert.Equal("", stdout);
        Assert.False(File.Exists(_dir.File("ran.txt")), "a cell ran");
        Assert.Equal(before, Directory.GetFileSystemEntries(_dir.Path).Where(p => !p.EndsWith("mlops.db", StringComparison.Ordinal)).Order().ToList());
    }

    [Fact]
    public void The_output_and_the_result_may_not_be_the_same_file()
    {
        var (code, _, stderr) = Mlops(MarkingNotebook(), "--output", _dir.File("same.json"), "--result", _dir.File("same.json"));
        Assert.Equal(1, code);
        Assert.Contains("--output and --result name the same file", stderr);
        Assert.False(File.Exists(_dir.File("ran.txt")));
    }

    [Fact]
    public void A_dib_run_written_as_ipynb_is_a_valid_jupyter_notebook_with_its_outputs()
    {
        var output = _dir.File("basics-run.ipynb");
        var (code, _, stderr) = Mlops(Path.Combine(Programs.RepositoryRoot, "tests", "notebooks", "basics.dib"), "-p", "epochs=4", "--output", output);

        Assert.True(code == 0, stderr);
        NbFormat.AssertValid(output);
        var notebook = JsonNode.Parse(File.ReadAllText(output))!;
        Assert.Equal(".net-csharp", (string)notebook["metadata"]!["kernelspec"]!["name"]!);
        Assert.NotNull(notebook["metadata"]!["polyglot_notebook"]!["kernelInfo"]);
        Assert.Equal("4", (string)notebook["metadata"]!["papermill"]!["parameters"]!["epochs"]!);
        var text = string.Concat(notebook["cells"]!.AsArray()
            .SelectMany(c => c!["outputs"]?.AsArray() ?? [])
            .SelectMany(o => o!["text"]?.AsArray() ?? []).Select(l => (string)l!));
        Assert.Contains("total=10 name=demo", text);
        Assert.Equal("markdown", (string)notebook["cells"]![2]!["cell_type"]!);
    }

    [Fact]
    public void An_ipynb_run_written_as_dib_reads_back_as_the_same_cells()
    {
        var input = Path.Combine(Programs.RepositoryRoot, "tests", "notebooks", "basics.ipynb");
        var output = _dir.File("basics-run.dib");
        var (code, _, stderr) = Mlops(input, "--output", output);

        Assert.True(code == 0, stderr);
        Assert.StartsWith("#!meta", File.ReadAllText(output));
        Assert.Equal(Ipynb.Read(input).Cells.Select(c => (c.Language, c.Source)), Dib.Read(output).Cells.Select(c => (c.Language, c.Source)));
    }
}
