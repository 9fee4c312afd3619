using System.Diagnostics;
using System.Globalization;
using MlopsNotebooks.Tests.Support;
using MlopsNotebooks.Tracking;

namespace MlopsNotebooks.Tests.Runner;

/// <summary>The runs a notebook run by `mlops notebook run` starts, as they end and as they name the notebook.</summary>
public sealed class RunnerSessionTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Store => _dir.File("mlops.db");

    private Process StartNotebook(string source, string name = "cells.dib")
    {
        var notebook = _dir.File(name);
        File.WriteAllText(notebook, source);
        return Programs.StartTool("dotnet", [Programs.Mlops, "notebook", "run", notebook, "--output", _dir.File("out.ipynb")],
            _dir.Path, new Dictionary<string, string?> { ["MLOPS_TRACKING_URI"] = Store });
    }

    private Run WaitForRun(Process runner, Task<string> error, string name)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(90))
        {
            if (File.Exists(Store))
            {
                using var client = new TrackingClient(Store);
                if (client.SearchRuns(["Default"], $"attributes.run_name = '{name}'").FirstOrDefault() is { } run)
                {
                    return run;
                }
            }
            if (runner.HasExited)
            {
                throw new Xunit.Sdk.XunitException($"the runner exited first: {error.Result}");
            }
            Thread.Sleep(200);
        }
        throw new Xunit.Sdk.XunitException($"no run '{name}' after 90 s");
    }

    [Fact]
    public void A_notebook_run_stopped_with_SIGTERM_while_a_cell_logs_ends_its_run_as_killed()
    {
        using var runner = StartNotebook("""
            #!csharp

            var run = Mlops.StartRun("long");
            for (var step = 0; ; step++)
            {
                Mlops.LogMetric("x", step, step);
                System.Threading.Thread.Sleep(5);
            }
            """);
        var error = runner.StandardError.ReadToEndAsync();
        try
        {
            var runId = WaitForRun(runner, error, "long").RunId;
            using (var kill = Process.Start("kill", ["-TERM", runner.Id.ToString(CultureInfo.InvariantCulture)]))
            {
                kill.WaitForExit();
            }
            Assert.True(runner.WaitForExit(30_000), "the runner did not exit on SIGTERM");
            Assert.True(runner.ExitCode == 143, $"exit {runner.ExitCode}: {error.Result}");
            using var client = new TrackingClient(Store);
            var run = client.GetRun(runId);
            Assert.Equal(RunStatus.Killed, run.Status);
            Assert.NotNull(run.EndTime);
        }
        finally
        {
            if (!runner.HasExited)
            {
                runner.Kill(entireProcessTree: true);
            }
        }
    }

    [Fact]
    public void A_program_a_cell_starts_records_the_notebook_as_its_runs_source_as_the_notebooks_own_runs_do()
    {
        // A cell that runs a training program: its runs belong to the notebook (validate finds them by these tags).
        using var runner = StartNotebook($$"""
            #!csharp

            using (Mlops.StartRun("own")) { }
            var worker = System.Diagnostics.Process.Start("dotnet", new[] { @"{{Programs.TrackingWorker}}", @"{{Store}}", "Default", "child", "3" });
            worker.WaitForExit();
            if (worker.ExitCode != 0) throw new Exception("worker failed");
            """);
        var error = runner.StandardError.ReadToEndAsync();
        Assert.True(runner.WaitForExit(120_000), "the runner did not finish");
        Assert.True(runner.ExitCode == 0, error.Result);
        using var client = new TrackingClient(Store);
        var own = client.SearchRuns(["Default"], "attributes.run_name = 'own'").Single();
        var child = client.SearchRuns(["Default"], "attributes.run_name = 'child'").Single();
        Assert.Equal("cells.dib", own.Tags[RunContext.SourceName]);
        foreach (var key in new[] { RunContext.SourceName, RunContext.SourceType, RunContext.NotebookHash, RunContext.NotebookParameters })
        {
            Assert.Equal(own.Tags[key], child.Tags.GetValueOrDefault(key));
        }
    }

    [Fact]
    public void A_run_a_cell_creates_through_the_client_records_the_notebook_as_its_source()
    {
        using var runner = StartNotebook("""
            #!csharp

            var direct = Mlops.Client.CreateRun(runName: "direct");
            Mlops.Client.SetTerminated(direct.RunId, RunStatus.Finished);
            """);
        var error = runner.StandardError.ReadToEndAsync();
        Assert.True(runner.WaitForExit(120_000), "the runner did not finish");
        Assert.True(runner.ExitCode == 0, error.Result);
        using var client = new TrackingClient(Store);
        var run = client.SearchRuns(["Default"], "attributes.run_name = 'direct'").Single();
        Assert.Equal("cells.dib", run.Tags[RunContext.SourceName]);
        Assert.Equal("NOTEBOOK", run.Tags[RunContext.SourceType]);
        Assert.True(run.Tags.ContainsKey(RunContext.NotebookHash));
    }
}
