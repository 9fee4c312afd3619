using System.Security.Cryptography;
using System.Text;
using Microsoft.DotNet.Interactive;
using Microsoft.DotNet.Interactive.Commands;
using Microsoft.DotNet.Interactive.CSharp;
using Microsoft.DotNet.Interactive.Events;
using Microsoft.DotNet.Interactive.Formatting;
using MlopsNotebooks.Hosting;
using MlopsNotebooks.Magics;
using MlopsNotebooks.Notebooks;
using MlopsNotebooks.Tests.Support;
using MlopsNotebooks.Tests.Tracking;
using MlopsNotebooks.Tracking;

namespace MlopsNotebooks.Tests.Extension;

/// <summary>
/// The extension in a real .NET Interactive kernel, in-process (a CompositeKernel with a CSharpKernel, as the kernel's
/// own tests build one): every magic is submitted as a cell, and the kernel's events are what is checked. The kernel
/// uses the process's tracking session, so these tests run alone.
/// </summary>
[Collection(nameof(FluentApiTests))]
public sealed class InProcessKernelTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly CompositeKernel _kernel;
    private readonly CSharpKernel _csharp;

    public InProcessKernelTests()
    {
        Mlops.Reset();
        Mlops.SetTrackingUri(_dir.File("mlops.db"));
        _csharp = new CSharpKernel().UseKernelHelpers();
        _csharp.AddAssemblyReferences([typeof(Mlops).Assembly.Location, typeof(MlopsMagics).Assembly.Location]);
        _kernel = new CompositeKernel { _csharp };
        _kernel.DefaultKernelName = _csharp.Name;
        // What the package's extension.dib does when a notebook loads it, with the using it gives the notebook.
        Submit("using MlopsNotebooks.Tracking;").Wait();
        MlopsKernelExtension.Load(_kernel);
    }

    public void Dispose()
    {
        _kernel.Dispose();
        Mlops.Reset();
        _dir.Dispose();
    }

    private async Task<KernelCommandResult> Submit(string code) => await _kernel.SendAsync(new SubmitCode(code));

    private static string? Failure(KernelCommandResult result) => result.Events.OfType<CommandFailed>().SingleOrDefault()?.Message;

    private static void Succeeded(KernelCommandResult result) => Assert.True(Failure(result) is null, Failure(result));

    private static IReadOnlyList<FormattedValue> Shown(KernelCommandResult result) =>
        Assert.Single(result.Events.OfType<DisplayEvent>(), e => e is not ReturnValueProduced).FormattedValues.ToList();

    private static IReadOnlyList<string> Cells(string notebook) =>
        Notebook.Read(Path.Combine(Programs.RepositoryRoot, "tests", "notebooks", notebook)).Cells.Where(c => c.IsCode).Select(c => c.Source).ToList();

    [Fact]
    public async Task The_magics_notebook_runs_in_the_kernel_and_records_what_the_runner_records()
    {
        var cells = Cells("magics.ipynb");
        var results = new List<KernelCommandResult>();
        foreach (var cell in cells)
        {
            results.Add(await Submit(cell));
            Succeeded(results[^1]);
        }
        var help = Assert.Single(Shown(results[0]));
        Assert.Equal("text/plain", help.MimeType); // a magic's text is a display of text, as in the runner
        Assert.Contains("#!mlops register-model", help.Value);
        var listed = Assert.Single(Shown(results[4])); // the kit's view alone: no text/plain object dump beside it
        Assert.Equal("text/html", listed.MimeType);
        Assert.Contains("<div class=\"mlops-runs\">", listed.Value);
        Assert.Contains("first run", listed.Value);
        Assert.Equal("tracked\n", string.Concat(results[3].Events.OfType<StandardOutputValueProduced>().Select(e => e.FormattedValues.Single().Value)));

        var runs = MagicsNotebook.AssertTracked(Mlops.Client);
        // Cells are numbered as the runner numbers them (magic-only cells count) and hashed whole, magics included.
        Assert.Equal(Sha256(cells[1]), runs[0].Tags["mlops.cell.2.sha256"]);
        Assert.Equal(Sha256(cells[3]), runs[1].Tags["mlops.cell.4.sha256"]);
    }

    private static string Sha256(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    [Fact]
    public async Task Each_bad_magic_fails_its_cell_with_the_runners_message_and_never_the_kernels()
    {
        var expected = new[]
        {
            "#!mlops has no subcommand 'frobnicate'", "'high' is not a number", "unknown option --colour", "--name needs a value",
            "There is no active run.", null, "The variable 'notAModel' does not hold an ML.NET model",
            "There is no variable 'missing' in the notebook.", "'paused' is not an end status", "<name> is required", "'team' is not key=value",
        };
        var cells = Cells("magic-errors.ipynb");
        Assert.Equal(expected.Length, cells.Count);
        for (var i = 0; i < cells.Count; i++)
        {
            var message = Failure(await Submit(cells[i]));
            if (expected[i] is null)
            {
                Assert.Null(message);
                continue;
            }
            Assert.NotNull(message);
            Assert.Contains(expected[i]!, message);
            Assert.DoesNotContain("DNI", message);
            Assert.Contains("\n", message); // the message, then the hint that says what to do
        }
        // The kernel's parser refuses these before a handler runs: the runner's words all the same.
        Assert.Contains("#!mlops has no subcommand 'frobnicate'", Failure(await Submit("#!mlops frobnicate --x 1")));
        Assert.Contains("unknown option --nope", Failure(await Submit("#!mlops log-metric auc=1 --nope 2")));
        Assert.Contains("#!mlops needs a subcommand", Failure(await Submit("#!mlops")));
        Assert.Contains("--step is given twice", Failure(await Submit("#!mlops log-metric auc=1 --step 1 --step 2")));
        var thrown = Failure(await Submit("#!mlops runs --filter \"metrics.x > NaN\""));
        Assert.Contains("Filter syntax error at position", thrown); // a filter the search refuses: in words, no stack trace
        Assert.DoesNotContain("   at ", thrown);
        var later = await Submit("Console.WriteLine(\"ran\");\n#!mlops start-run --colour red");
        Assert.Contains("unknown option --colour", Failure(later));
        Assert.Empty(later.Events.OfType<StandardOutputValueProduced>()); // refused before any of the cell ran
        Assert.Equal("x", Mlops.ActiveRun?.Name); // refused lines changed nothing: the run cell 5 started is still the active one
    }

    [Fact]
    public async Task Values_written_as_at_csharp_are_the_notebook_variables()
    {
        Succeeded(await Submit("#!mlops experiment shared"));
        Succeeded(await Submit("var ids = new List<string>();\nforeach (var n in new[] { \"a\", \"b\" }) { using var r = Mlops.StartRun(n); Mlops.LogMetric(\"auc\", n == \"a\" ? 0.7 : 0.8); ids.Add(r.RunId); }\nvar step = 7;"));
        var compared = Shown(await Submit("#!mlops compare @csharp:ids"));
        var html = Assert.Single(compared, v => v.MimeType == "text/html").Value;
        Assert.Contains("<th>a (", html); // one column per run, named with its id
        Assert.Contains("<th>b (", html);
        Succeeded(await Submit("#!mlops start-run --name stepped\n#!mlops log-metric loss=0.5 --step @csharp:step\n#!mlops end-run"));
        Assert.Equal(7L, Assert.Single(Mlops.SearchRuns("attributes.run_name = 'stepped'")).Metrics["loss"].Step);
    }

    [Fact]
    public async Task Charting_a_metric_no_run_logged_fails_the_cell_and_a_logged_one_draws()
    {
        Succeeded(await Submit("#!mlops experiment charts\n#!mlops start-run --name a\n#!mlops log-metric auc=0.7\n#!mlops end-run"));
        var missing = Failure(await Submit("#!mlops chart rmse"));
        Assert.Contains("logged the metric 'rmse'", missing);
        Assert.Contains("They logged: auc.", missing);
        var chart = Assert.Single(Shown(await Submit("#!mlops chart auc --kind bars")));
        Assert.Equal("text/html", chart.MimeType);
    }

    [Fact]
    public async Task A_tracked_cell_that_throws_ends_its_run_failed()
    {
        Succeeded(await Submit("#!mlops experiment tracked"));
        var result = await Submit("#!mlops track --name doomed\nthrow new InvalidOperationException(\"boom\");");
        Assert.Contains("boom", Failure(result));
        Assert.Equal(RunStatus.Failed, Assert.Single(Mlops.SearchRuns("attributes.run_name = 'doomed'")).Status);
        Assert.Null(Mlops.ActiveRun);
    }

    [Fact]
    public async Task A_subcommand_is_a_typed_command_that_runs_without_a_cell()
    {
        Succeeded(await Submit("#!mlops experiment typed\n#!mlops start-run --name direct"));
        Succeeded(await _csharp.SendAsync(new MlopsLogMetric { Metric = "auc=0.5", Step = "2" }));
        Succeeded(await Submit("#!mlops end-run"));
        var run = Assert.Single(Mlops.SearchRuns("attributes.run_name = 'direct'"));
        Assert.Equal((0.5, 2L), (run.Metrics["auc"].Value, run.Metrics["auc"].Step));
        Assert.Equal("register-model", MlopsDirectiveCommand.SubcommandOf(typeof(MlopsRegisterModel)));
    }

    [Fact]
    public void Loading_twice_keeps_one_mlops_directive()
    {
        MlopsKernelExtension.Load(_kernel);
        Assert.Single(_csharp.KernelInfo.SupportedDirectives, d => d.Name == "#!mlops");
    }
}
