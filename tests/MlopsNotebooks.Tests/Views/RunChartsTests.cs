using System.Text.Json.Nodes;
using Microsoft.DotNet.Interactive.Formatting;
using MlopsNotebooks.Tests.Support;
using MlopsNotebooks.Tracking;
using MlopsNotebooks.Display;

namespace MlopsNotebooks.Tests.Views;

public sealed class RunChartsTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly TrackingClient _client;
    private readonly Run _a;
    private readonly Run _b;

    public RunChartsTests()
    {
        MlopsFormatters.Register();
        _client = new TrackingClient(_dir.File("mlops.db"));
        var a = _client.CreateRun("charts", "fasttree");
        _client.LogBatch(a.RunId, [new Metric("auc", 0.7, 1, 1), new Metric("auc", 0.8, 2, 2), new Metric("f1", 0.5, 2, 2)],
            [new Param("trees", "100"), new Param("trainer", "FastTree"), new Param("seed", "1")]);
        var b = _client.CreateRun("charts", "sdca");
        _client.LogBatch(b.RunId, [new Metric("auc", 0.75, 1, 1)], [new Param("trees", "20"), new Param("trainer", "Sdca"), new Param("seed", "1")]);
        (_a, _b) = (_client.GetRun(a.RunId), _client.GetRun(b.RunId));
    }

    public void Dispose()
    {
        _client.Dispose();
        _dir.Dispose();
    }

    private static JsonArray Traces(Plotly.NET.GenericChart chart) => JsonNode.Parse(RunCharts.ToJson(chart))!["data"]!.AsArray();

    private static double[] Numbers(JsonNode? node) => node!.AsArray().Select(v => (double)v!).ToArray();

    [Fact]
    public void The_metric_history_chart_has_a_line_per_run_over_steps()
    {
        var traces = Traces(_client.MetricHistoryChart("auc", [_a.RunId, _b.RunId[..8]]));
        Assert.Equal(2, traces.Count);
        Assert.Equal(("scatter", "fasttree"), ((string)traces[0]!["type"]!, (string)traces[0]!["name"]!));
        Assert.Equal([1.0, 2.0], Numbers(traces[0]!["x"]));
        Assert.Equal([0.7, 0.8], Numbers(traces[0]!["y"]));
        Assert.Equal([0.75], Numbers(traces[1]!["y"]));
    }

    [Fact]
    public void Charting_no_runs_says_so()
    {
        Assert.Contains("No runs", Assert.Throws<MlopsException>(() => RunCharts.MetricHistory("auc", [])).Message);
    }

    [Fact]
    public void Parallel_coordinates_have_an_axis_per_differing_param_and_the_metric_last()
    {
        var trace = Assert.Single(Traces(RunCharts.ParallelCoordinates([_a, _b], "auc")))!;
        Assert.Equal("parcoords", (string)trace["type"]!);
        var dimensions = trace["dimensions"]!.AsArray();
        Assert.Equal(["trainer", "trees", "auc"], dimensions.Select(d => (string)d!["label"]!));
        Assert.Equal([0.0, 1.0], Numbers(dimensions[0]!["values"]));                 // categorical: index into ticktext
        Assert.Equal(["FastTree", "Sdca"], dimensions[0]!["ticktext"]!.AsArray().Select(t => (string)t!));
        Assert.Equal([100.0, 20.0], Numbers(dimensions[1]!["values"]));             // numeric: by value
        Assert.Equal([0.8, 0.75], Numbers(dimensions[2]!["values"]));
        Assert.Throws<NotFoundException>(() => RunCharts.ParallelCoordinates([_a, _b], "rmse"));
    }

    [Fact]
    public void Every_chart_of_a_metric_no_run_logged_is_an_error_from_the_api_too_not_an_empty_chart()
    {
        var history = Assert.Throws<NotFoundException>(() => _client.MetricHistoryChart("rmse", [_a.RunId, _b.RunId]));
        Assert.Equal("None of the 2 runs to chart logged the metric 'rmse'.", history.Message);
        Assert.Equal("They logged: auc, f1.", history.Hint);
        Assert.Throws<NotFoundException>(() => RunCharts.Comparison(_client.CompareRuns([_a.RunId, _b.RunId]), ["auc", "rmse"]));
        Assert.Single(Traces(RunCharts.Comparison(_client.CompareRuns([_a.RunId, _b.RunId]), ["f1"]))[0]!["x"]!.AsArray()); // one run logged it: drawn
    }

    [Fact]
    public void The_comparison_chart_groups_bars_by_metric_with_a_bar_per_run()
    {
        var chart = RunCharts.Comparison(_client.CompareRuns([_a.RunId, _b.RunId]));
        var traces = Traces(chart);
        Assert.Equal(["fasttree", "sdca"], traces.Select(t => (string)t!["name"]!));
        Assert.Equal(["auc", "f1"], traces[0]!["x"]!.AsArray().Select(x => (string)x!));
        Assert.Equal([0.8, 0.5], Numbers(traces[0]!["y"]));
        Assert.Null(traces[1]!["y"]![1]); // sdca logged no f1
        Assert.Equal("group", (string)JsonNode.Parse(RunCharts.ToJson(chart))!["layout"]!["barmode"]!);
        var html = chart.ToDisplayString(HtmlFormatter.MimeType);
        // A fragment for the notebook, not a whole page (Plotly.NET gives each render a fresh div id).
        Assert.DoesNotContain("<html", html);
        Assert.Contains("Plotly.newPlot", html);
        Assert.Contains("\"name\":\"fasttree\"", html);
    }
}
