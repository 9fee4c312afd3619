using Microsoft.DotNet.Interactive;
using Microsoft.DotNet.Interactive.Commands;
using Microsoft.DotNet.Interactive.CSharp;
using Microsoft.DotNet.Interactive.Events;
using MlopsNotebooks.Hosting;
using MlopsNotebooks.Magics;
using MlopsNotebooks.Tests.Support;
using MlopsNotebooks.Tests.Tracking;
using MlopsNotebooks.Tracking;

namespace MlopsNotebooks.Tests.Extension;

/// <summary>
/// <c>#!mlops sweep</c> in a real .NET Interactive kernel, in-process: the live table is one display, replaced in place
/// after each trial, and the sweep's formatter shows the result. The kernel uses the process's tracking session, so
/// these tests run alone.
/// </summary>
[Collection(nameof(FluentApiTests))]
public sealed class SweepKernelTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly CompositeKernel _kernel;

    public SweepKernelTests()
    {
        Mlops.Reset();
        Mlops.SetTrackingUri(_dir.File("mlops.db"));
        var csharp = new CSharpKernel().UseKernelHelpers();
        csharp.AddAssemblyReferences([typeof(Mlops).Assembly.Location, typeof(MlopsMagics).Assembly.Location]);
        _kernel = new CompositeKernel { csharp };
        _kernel.DefaultKernelName = csharp.Name;
        Submit("using MlopsNotebooks.Tracking;").Wait();
        MlopsKernelExtension.Load(_kernel);
    }

    public void Dispose()
    {
        _kernel.Dispose();
        Mlops.Reset();
        _dir.Dispose();
    }

    private async Task<KernelCommandResult> Submit(string code)
    {
        var result = await _kernel.SendAsync(new SubmitCode(code));
        Assert.True(result.Events.OfType<CommandFailed>().SingleOrDefault() is null, result.Events.OfType<CommandFailed>().SingleOrDefault()?.Message);
        return result;
    }

    private const string Setup = """
        using MlopsNotebooks.Sweeps;
        var space = new SearchSpace().Float("x", 0, 1).Choice("kind", "<b>bold</b>", "<script>alert(1)</script>");
        Func<Trial, double> evaluate = trial =>
        {
            var x = trial.Get<double>("x");
            trial.Report(x / 2, 1);
            return 1 - (x - 0.3) * (x - 0.3);
        };
        """;

    [Fact]
    public async Task The_live_table_is_one_display_updated_in_place_after_each_trial_then_the_sweep_is_charted()
    {
        await Submit(Setup);
        var result = await Submit("#!mlops sweep --space space --evaluate evaluate --trials 2 --metric score --name live");

        var live = Assert.Single(result.Events.OfType<DisplayedValueProduced>(), e => e.FormattedValues.Any(v => v.Value.Contains("mlops-sweep") && !v.Value.Contains("Plotly")));
        var updates = result.Events.OfType<DisplayedValueUpdated>().ToList();
        Assert.NotEmpty(updates);
        Assert.All(updates, u => Assert.Equal(live.ValueId, u.ValueId));
        var last = updates[^1].FormattedValues.Single(v => v.MimeType == "text/html").Value;
        Assert.Contains("2/2 trials done", last);
        Assert.DoesNotContain("<script>alert", last);
        Assert.DoesNotContain("<b>bold", last);
        Assert.Matches("kind=&lt;(script|b)&gt;", last);

        // The result: the table, the trials' params against the metric, and the best so far.
        var shown = result.Events.OfType<DisplayedValueProduced>().Where(e => e != live).Select(e => e.FormattedValues.Single().Value).Single();
        Assert.Contains("<div class=\"mlops-sweep\">", shown);
        Assert.Contains("parcoords", shown);
        Assert.Contains("best score so far", shown);
        Assert.DoesNotContain("<script>alert", shown);
    }

    [Fact]
    public async Task Mlops_Sweep_as_a_cells_value_shows_the_same_view()
    {
        await Submit(Setup);
        var result = await Submit("Mlops.Sweep(space, evaluate, new SweepOptions { Metric = \"score\", Trials = 2, Name = \"value\" })");
        var value = Assert.Single(result.Events.OfType<ReturnValueProduced>()).FormattedValues.Single();
        Assert.Equal("text/html", value.MimeType);
        Assert.Contains("<div class=\"mlops-sweep\">", value.Value);
        Assert.Contains("2/2 trials done", value.Value);
        Assert.Contains("parcoords", value.Value);
    }

    [Fact]
    public async Task A_variable_that_is_not_an_evaluation_fails_the_cell_and_starts_no_sweep()
    {
        await Submit(Setup + "\nvar notOne = 3;");
        var result = await _kernel.SendAsync(new SubmitCode("#!mlops sweep --space space --evaluate notOne --trials 2 --metric score --name never"));
        var failed = Assert.Single(result.Events.OfType<CommandFailed>());
        Assert.Contains("The variable 'notOne' holds a Int32, not an evaluation.", failed.Message);
        Assert.Empty(Mlops.Client.SearchRuns(["Default"]));
    }
}
