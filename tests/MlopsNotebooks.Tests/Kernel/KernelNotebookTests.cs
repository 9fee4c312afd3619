using System.Text.Json.Nodes;
using MlopsNotebooks.Tests.Support;
using MlopsNotebooks.Tracking;

namespace MlopsNotebooks.Tests.Kernel;

/// <summary>Notebooks run in the kernel by Jupyter itself (<c>jupyter nbconvert --execute</c>), and cells that run long or read input.</summary>
public sealed class KernelNotebookTests(InstalledKernel kernel) : IClassFixture<InstalledKernel>, IDisposable
{
    private readonly GitRepository _git = new();

    public void Dispose() => _git.Dispose();

    [Fact]
    public void The_churn_sample_runs_in_the_kernel_under_nbconvert_with_valid_outputs_and_its_runs_tracked_from_the_notebook()
    {
        var folder = Path.Combine(_git.Root, "notebooks");
        Directory.CreateDirectory(folder);
        File.Copy(Path.Combine(Programs.RepositoryRoot, "notebooks", "churn.ipynb"), Path.Combine(folder, "churn.ipynb"));
        _git.Commit("sample");
        var output = Path.Combine(_git.Root, "executed.ipynb");
        // jupyter_server names the notebook to the kernel this way (relative to the server's root, the kernel in its folder).
        var environment = new Dictionary<string, string?>(kernel.Environment) { ["JPY_SESSION_NAME"] = "notebooks/churn.ipynb" };
        var (code, stdout, stderr) = Programs.RunTool("/usr/bin/jupyter",
            ["nbconvert", "--to", "notebook", "--execute", $"--ExecutePreprocessor.kernel_name={InstalledKernel.Name}", "--ExecutePreprocessor.timeout=600",
             "--output", output, "churn.ipynb"],
            workingDirectory: folder, environment: environment, timeoutSeconds: 900);
        Assert.True(code == 0, stdout + stderr);
        NbFormat.AssertValid(output);

        var cells = JsonNode.Parse(File.ReadAllText(output))!["cells"]!.AsArray().Where(c => (string?)c!["cell_type"] == "code").ToList();
        Assert.All(cells, c => Assert.DoesNotContain(c!["outputs"]!.AsArray(), o => (string?)o!["output_type"] == "error"));
        Assert.Equal(Enumerable.Range(1, cells.Count), cells.Select(c => (int)c!["execution_count"]!));
        Assert.Contains(cells, c => c!["outputs"]!.AsArray().Any(o => o!["data"]?["text/html"] is not null));

        using var client = new TrackingClient(Path.Combine(_git.Root, ".mlops", "mlops.db"));
        var runs = client.SearchRuns(["churn-demo"]);
        Assert.Equal(["sdca", "fasttree"], runs.Select(r => r.Name));
        Assert.All(runs, run =>
        {
            Assert.Equal(RunStatus.Finished, run.Status);
            Assert.Equal("notebooks/churn.ipynb", run.Tags[RunContext.SourceName]);
        });
    }

    [Fact]
    public void A_long_cell_interrupted_by_message_stops_and_the_next_cell_sees_a_variable_from_before()
    {
        var (result, _) = kernel.Drive("interrupt");
        Assert.Equal("ok", (string?)result["kept"]!["reply"]!["status"]);
        Assert.Equal("error", (string?)result["interrupted"]!["status"]);
        Assert.Equal("KeyboardInterrupt", (string?)result["interrupted"]!["ename"]);
        Assert.True((double)result["seconds"]! < 10, $"the interrupt took {result["seconds"]} s");
        Assert.Equal("ok", (string?)result["after"]!["reply"]!["status"]);
        Assert.Contains("42", InstalledKernel.Shown(result["after"]!));
    }

    [Fact]
    public void Console_ReadLine_asks_the_client_that_sent_the_cell_and_reads_end_of_input_when_the_client_takes_none()
    {
        var (result, _) = kernel.Drive("stdin");
        var prompt = Assert.Single(result["prompts"]!.AsArray())!;
        Assert.Equal("input_request", (string?)prompt["type"]);
        Assert.Equal("execute_request", (string?)prompt["parent"]);
        Assert.Equal("Name: ", (string?)prompt["prompt"]);
        Assert.False((bool)prompt["password"]!);
        Assert.Equal("hello Ada\n", InstalledKernel.Shown(result["asked"]!));
        Assert.Equal("hello <end of input>\n", InstalledKernel.Shown(result["refused"]!));
    }
}
