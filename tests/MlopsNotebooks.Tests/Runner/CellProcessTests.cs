using System.Text.Json.Nodes;
using MlopsNotebooks.Tests.Support;

namespace MlopsNotebooks.Tests.Runner;

/// <summary>
/// Processes a cell starts end with the run: one left running holds the runner's stdout open, and whatever reads it (CI,
/// a pipe) would wait for it.
/// </summary>
public sealed class CellProcessTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>Runs the notebook and reads its output to the end, as CI does; fails if that takes more than a minute.</summary>
    private (int Code, string Out, string Err) RunToEndOfOutput(string source, params string[] args)
    {
        var notebook = _dir.File("cells.dib");
        File.WriteAllText(notebook, source);
        using var process = Programs.StartTool("dotnet", [Programs.Mlops, "notebook", "run", notebook, "--output", _dir.File("out.ipynb"), .. args],
            _dir.Path, new Dictionary<string, string?> { ["MLOPS_TRACKING_URI"] = _dir.File("mlops.db") });
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        try
        {
            Assert.True(Task.WhenAll(output, error).Wait(TimeSpan.FromSeconds(60)), "the run's output was still open a minute later");
            Assert.True(process.WaitForExit(10_000), "the runner did not exit");
            return (process.ExitCode, output.Result, error.Result);
        }
        finally
        {
            KillLeftOver();
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }

    /// <summary>The process the cell wrote down, killed if the runner left it running (so a failing test cleans up).</summary>
    private bool KillLeftOver()
    {
        if (!File.Exists(_dir.File("pid.txt")) || !int.TryParse(File.ReadAllText(_dir.File("pid.txt")).Trim(), out var pid))
        {
            return false;
        }
        var stat = $"/proc/{pid}/stat";
        if (!File.Exists(stat) || File.ReadAllText(stat).Split(' ')[2] == "Z")
        {
            return false;
        }
        System.Diagnostics.Process.GetProcessById(pid).Kill();
        return true;
    }

    [Fact]
    public void A_background_process_a_cell_leaves_running_ends_with_the_run()
    {
        var (code, stdout, stderr) = RunToEndOfOutput(
            "#!csharp\n\nusing System.Diagnostics;\nProcess.Start(\"bash\", new[] { \"-c\", \"sleep 600 & echo $! > pid.txt\" })!.WaitForExit();\n\"started\"\n");

        Assert.True(code == 0, stderr);
        Assert.Contains("1 cells ran", stdout);
        Assert.True(File.Exists(_dir.File("pid.txt")), "the cell did not start its process");
        Assert.False(KillLeftOver(), "the background process outlived the run");
    }

    [Fact]
    public void A_cell_that_times_out_waiting_on_a_process_ends_it_and_the_runner_exits()
    {
        var (code, _, stderr) = RunToEndOfOutput(
            "#!csharp\n\nusing System.Diagnostics;\nvar p = Process.Start(\"sleep\", \"600\")!;\nSystem.IO.File.WriteAllText(\"pid.txt\", p.Id.ToString());\np.WaitForExit();\n",
            "--cell-timeout", "5");

        Assert.Equal(1, code);
        Assert.Contains("Timeout: Cell 1 did not finish within 5 s.", stderr);
        Assert.Equal("Error", (string)JsonNode.Parse(File.ReadAllText(_dir.File("out.ipynb")))!["cells"]![0]!["outputs"]!.AsArray().Last()!["ename"]!);
        Assert.False(KillLeftOver(), "the cell's process outlived the run");
    }
}
