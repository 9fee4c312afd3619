using System.Text.Json.Nodes;
using MlopsNotebooks.Display;
using MlopsNotebooks.GitHub.Reporting;
using MlopsNotebooks.Tests.Support;
using MlopsNotebooks.Tracking;
using MlopsNotebooks.Validation;

namespace MlopsNotebooks.Tests.Browser;

/// <summary>
/// The loader each chart carries, on pages made for it: plotly.js comes once per page, from a reference or a copy,
/// whatever order the charts run in, and a load that fails says so.
/// </summary>
public sealed class ChartLoaderTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static string PlotlyJsHeader => $"* plotly.js v{PlotlyJs.Version}";

    private static int Count(string text, string part) => (text.Length - text.Replace(part, "", StringComparison.Ordinal).Length) / part.Length;

    private static GenericChartAndRuns TwoRuns(TrackingClient client)
    {
        var runs = new[] { ("fasttree", 0.8), ("sdca", 0.7) }.Select(r =>
        {
            var run = client.CreateRun("charts", r.Item1);
            client.LogBatch(run.RunId, [new Metric("auc", r.Item2 - 0.1, 1, 1), new Metric("auc", r.Item2, 2, 2)], [new Param("trainer", r.Item1)]);
            return client.GetRun(run.RunId);
        }).ToList();
        return new(client.MetricHistoryChart("auc", runs.Select(r => r.RunId).ToList()), runs);
    }

    private sealed record GenericChartAndRuns(Plotly.NET.GenericChart History, IReadOnlyList<Run> Runs);

    [Fact]
    public void A_chart_shown_before_the_one_that_carries_the_copy_draws_once_the_copy_runs()
    {
        using var client = new TrackingClient(_dir.File("mlops.db"));
        var (history, runs) = TwoRuns(client);
        var page = new ChartPage(PlotlyJs.Parse(HeadlessChromium.PlotlyJsFile, "test"));
        var first = RunCharts.ToHtmlFragment(history, page);
        var second = RunCharts.ToHtmlFragment(RunCharts.Comparison(RunComparison.Of(runs)), page);
        Assert.Equal((1, 0), (Count(first, PlotlyJsHeader), Count(second, PlotlyJsHeader)));
        // JupyterLab renders outputs as they scroll into view: the second chart may run first.
        var path = Write("reversed.html", $"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"></head><body>\n{second}\n{first}\n</body></html>\n");

        HeadlessChromium.AssertChartsDrew(path, 2);
    }

    [Fact]
    public void A_chart_whose_plotly_js_cannot_be_loaded_says_so_in_its_place()
    {
        using var client = new TrackingClient(_dir.File("mlops.db"));
        var missing = new Uri(_dir.File("no-such-plotly.js")).AbsoluteUri;
        var html = RunCharts.ToHtmlFragment(TwoRuns(client).History, new ChartPage(PlotlyJs.Parse(missing, "test")));
        var path = Write("missing.html", $"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"></head><body>\n{html}\n</body></html>\n");

        var (dom, _) = HeadlessChromium.Open(path);

        Assert.Empty(dom.QuerySelectorAll(".js-plotly-plot"));
        Assert.Contains($"plotly.js could not be loaded from {missing}.", dom.Body!.TextContent);
    }

    [Fact]
    public void By_default_charts_load_the_plotly_js_that_Plotly_NET_targets_from_its_cdn_and_embed_Plotly_NETs_own_copy()
    {
        // The version the tests draw with is the one the charts are written for.
        var tools = JsonNode.Parse(File.ReadAllText(Path.Combine(Programs.RepositoryRoot, "tests", "tools", "package.json")))!;
        Assert.Equal(PlotlyJs.Version, (string?)tools["devDependencies"]!["plotly.js-dist-min"]);
        Assert.Equal($"https://cdn.plot.ly/plotly-{PlotlyJs.Version}.min.js", PlotlyJs.Parse("cdn", "test").Url);
        Assert.Equal(File.ReadAllText(HeadlessChromium.PlotlyJsFile), PlotlyJs.Parse("embed", "test").Script);

        using var client = new TrackingClient(_dir.File("mlops.db"));
        var page = RunCharts.ToHtml(TwoRuns(client).History, PlotlyJs.Cdn);
        Assert.Contains($"<script src=\"https://cdn.plot.ly/plotly-{PlotlyJs.Version}.min.js\"", page);
        Assert.Equal(1, Count(ReportHtml.Build(new ValidationReport(), PlotlyJs.Cdn), "https://cdn.plot.ly/"));
    }

    private string Write(string name, string text)
    {
        File.WriteAllText(_dir.File(name), text);
        return _dir.File(name);
    }
}
